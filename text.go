package invited

import (
	"unicode"
	"unicode/utf8"
)

// CheckText holds value, text from outside the service, to the one rule for
// text on every field (docs/security.md, "Hostile text"): valid UTF-8 and no
// control character (Unicode category Cc: U+0000-U+001F, U+007F-U+009F),
// except line feed, carriage return and tab in a multiline field such as an
// invitation's message. It records the problem under field in f. Both
// databases then store the same thing: PostgreSQL refuses NUL in text, and
// SQLite would keep it.
func CheckText(f FieldErrors, field, value string, multiline bool) {
	if !utf8.ValidString(value) {
		f.Add(field, Problemf("utf8"))
		return
	}
	for _, r := range value {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			if multiline {
				f.Add(field, Problemf("control_characters_lines"))
			} else {
				f.Add(field, Problemf("control_characters"))
			}
			return
		}
	}
}
