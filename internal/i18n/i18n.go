// Package i18n speaks the invitee's language: the message catalogs of the
// hosted pages, emails and text messages (locales/*.json, embedded), the
// choice of a catalog for a reader (Choose), plural forms by the CLDR rules
// of golang.org/x/text, and the one date format of pages and emails.
//
// A catalog maps a key to a message: a string, or an object of plural
// forms ("zero", "one", "two", "few", "many", "other") chosen by a count
// (Locale.N). A message names its arguments in braces, "{org}"; Locale.T
// fills them in. Every catalog has exactly the keys English has, which the
// package's tests check. docs/i18n.md says how to add a language.
package i18n

import (
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var files embed.FS

// The languages shipped, English first: it is the one read when nothing
// else matches.
var names = []string{"en", "de", "fr", "es", "pt-BR", "ja", "ar"}

// rtl are the languages written right to left.
var rtl = []string{"ar"}

// Locale is one language's catalog.
type Locale struct {
	tag      language.Tag
	name     string
	messages map[string]message
}

// message is a catalog entry: a text, or plural forms by their CLDR name.
type message struct {
	text  string
	forms map[string]string
}

func (m *message) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &m.text); err == nil {
		return nil
	}
	if err := json.Unmarshal(b, &m.forms); err != nil {
		return fmt.Errorf("a message is a string or an object of plural forms: %w", err)
	}
	if _, ok := m.forms["other"]; !ok {
		return fmt.Errorf("plural forms without \"other\"")
	}
	return nil
}

var (
	locales = mustLoad()
	matcher = language.NewMatcher(tags())
)

func mustLoad() []*Locale {
	out := make([]*Locale, len(names))
	for i, name := range names {
		b, err := files.ReadFile(path.Join("locales", name+".json"))
		if err != nil {
			panic(err)
		}
		l := &Locale{tag: language.MustParse(name), name: name}
		if err := json.Unmarshal(b, &l.messages); err != nil {
			panic(fmt.Sprintf("i18n: catalog %s: %v", name, err))
		}
		out[i] = l
	}
	return out
}

func tags() []language.Tag {
	out := make([]language.Tag, len(locales))
	for i, l := range locales {
		out[i] = l.tag
	}
	return out
}

// All returns every shipped locale, English first.
func All() []*Locale { return slices.Clone(locales) }

// English is the locale read when no preference matches a shipped one.
func English() *Locale { return locales[0] }

// Choose returns the locale for a reader from their preferences, most
// binding first: each a BCP 47 tag (an invitation's locale, an
// organization's default_locale), a list of them ("ko, de", a letter's
// Locale), or an Accept-Language header; "" when there is none. The first
// tag, in that order (a header's by its q values), that a shipped
// language matches decides; English when none does.
func Choose(prefs ...string) *Locale {
	for _, p := range prefs {
		for _, tag := range parsePrefs(p) {
			if _, i, conf := matcher.Match(tag); conf != language.No {
				return locales[i]
			}
		}
	}
	return English()
}

// parsePrefs parses an Accept-Language header (a single tag is one too),
// most wanted first, skipping the entries that do not parse instead of
// the whole header, as x/text's parser would.
func parsePrefs(header string) []language.Tag {
	type pref struct {
		tag language.Tag
		q   float32
	}
	var prefs []pref
	for entry := range strings.SplitSeq(header, ",") {
		tags, qs, err := language.ParseAcceptLanguage(entry)
		if err == nil && len(tags) == 1 {
			prefs = append(prefs, pref{tags[0], qs[0]})
		}
	}
	slices.SortStableFunc(prefs, func(a, b pref) int { return cmp.Compare(b.q, a.q) })
	out := make([]language.Tag, len(prefs))
	for i, p := range prefs {
		out[i] = p.tag
	}
	return out
}

// Name is the locale's BCP 47 tag, for lang attributes: "pt-BR".
func (l *Locale) Name() string { return l.name }

// Dir is the direction the locale is written in, for dir attributes:
// "rtl" or "ltr".
func (l *Locale) Dir() string {
	if slices.Contains(rtl, l.name) {
		return "rtl"
	}
	return "ltr"
}

// Keys returns the catalog's keys, sorted.
func (l *Locale) Keys() []string {
	keys := make([]string, 0, len(l.messages))
	for k := range l.messages {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Has reports whether the catalog has key.
func (l *Locale) Has(key string) bool {
	_, ok := l.messages[key]
	return ok
}

// T returns the message key with its arguments filled in: args are pairs
// of a name and a value, "org", "Acme". A key the catalog lacks comes back
// as itself, which the catalogs' tests keep from happening.
func (l *Locale) T(key string, args ...any) string {
	m, ok := l.messages[key]
	if !ok {
		return key
	}
	return fill(m.text, args, plain)
}

// N is T for a message of plural forms: the form for the count n by the
// language's rules, which gets n as the argument "n" too.
func (l *Locale) N(key string, n int, args ...any) string {
	m, ok := l.messages[key]
	if !ok {
		return key
	}
	return fill(l.form(m, n), append([]any{"n", n}, args...), plain)
}

// form returns the plural form of m for the count n.
func (l *Locale) form(m message, n int) string {
	if m.forms == nil {
		return m.text
	}
	if s, ok := m.forms[formName(plural.Cardinal.MatchPlural(l.tag, n, 0, 0, 0, 0))]; ok {
		return s
	}
	return m.forms["other"]
}

// HTML is T for an HTML page: the message and every argument are escaped,
// but for arguments that are template.HTML already (markup a template
// made, such as a <strong> around a name).
func (l *Locale) HTML(key string, args ...any) template.HTML {
	return l.html(key, 0, false, args)
}

// NHTML is N for an HTML page, escaped as HTML is.
func (l *Locale) NHTML(key string, n int, args ...any) template.HTML {
	return l.html(key, n, true, args)
}

func (l *Locale) html(key string, n int, counted bool, args []any) template.HTML {
	m, ok := l.messages[key]
	if !ok {
		return template.HTML(html.EscapeString(key))
	}
	text := m.text
	if counted {
		text, args = l.form(m, n), append([]any{"n", n}, args...)
	}
	return template.HTML(fill(html.EscapeString(text), args, escape))
}

// escape is fmt.Sprint, escaped for HTML unless v is template.HTML.
func escape(v any) string {
	if h, ok := v.(template.HTML); ok {
		return string(h)
	}
	return html.EscapeString(fmt.Sprint(v))
}

// fill replaces each {name} in s with the value that follows name in args.
func fill(s string, args []any, format func(any) string) string {
	if len(args) == 0 || !strings.Contains(s, "{") {
		return s
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+fmt.Sprint(args[i])+"}", format(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// formName is the CLDR name of a plural form, as catalogs spell it.
func formName(f plural.Form) string {
	switch f {
	case plural.Zero:
		return "zero"
	case plural.One:
		return "one"
	case plural.Two:
		return "two"
	case plural.Few:
		return "few"
	case plural.Many:
		return "many"
	}
	return "other"
}

// Date writes t for people, the one format of pages and emails: in UTC,
// because the server does not know the reader's time zone, and saying
// so: "8 December 2026, 19:15 UTC", "8. Dezember 2026, 19:15 UTC".
func (l *Locale) Date(t time.Time) string { return l.date("date.long", "month.", t) }

// ShortDate is Date for a table column whose header says UTC:
// "8 Dec 2026 19:15".
func (l *Locale) ShortDate(t time.Time) string { return l.date("date.short", "month_short.", t) }

// DayMonth is the day of t in UTC, without its year or time, for a text
// message: "8 Dec".
func (l *Locale) DayMonth(t time.Time) string { return l.date("date.day_month", "month_short.", t) }

func (l *Locale) date(key, months string, t time.Time) string {
	t = t.UTC()
	return l.T(key,
		"day", t.Day(), "dd", t.Format("02"), "mm", t.Format("01"),
		"month", l.T(months+strconv.Itoa(int(t.Month()))),
		"year", t.Year(), "time", t.Format("15:04"))
}

// List joins items as the language writes a list of names: "admin, member".
func (l *Locale) List(items []string) string { return strings.Join(items, l.T("list.separator")) }

// HTMLFuncs are the template functions of an html/template in l:
//
//	t KEY [NAME VALUE]...       the message KEY, escaped, with its arguments
//	tn KEY COUNT [NAME VALUE]... the plural form of KEY for COUNT
//	date TIME                   Date
//	list ITEMS                  List
//	strong ID VALUE             VALUE in <strong> (with the id ID unless ""),
//	                            as an argument of t
//
// t and tn fail the template on a key the catalog lacks.
func (l *Locale) HTMLFuncs() map[string]any {
	return map[string]any{
		"t": func(key string, args ...any) (template.HTML, error) {
			return l.HTML(key, args...), l.check(key)
		},
		"tn": func(key string, n int, args ...any) (template.HTML, error) {
			return l.NHTML(key, n, args...), l.check(key)
		},
		"date":   l.Date,
		"list":   l.List,
		"strong": strong,
	}
}

// TextFuncs are HTMLFuncs for a text/template, without escaping or strong.
func (l *Locale) TextFuncs() map[string]any {
	return map[string]any{
		"t": func(key string, args ...any) (string, error) {
			return l.T(key, args...), l.check(key)
		},
		"tn": func(key string, n int, args ...any) (string, error) {
			return l.N(key, n, args...), l.check(key)
		},
		"date": l.Date,
		"list": l.List,
	}
}

// check fails for a key the catalog lacks.
func (l *Locale) check(key string) error {
	if !l.Has(key) {
		return fmt.Errorf("i18n: no message %q in %s", key, l.name)
	}
	return nil
}

// strong returns v, escaped, in <strong>, with the id id unless "".
func strong(id string, v any) template.HTML {
	open := "<strong>"
	if id != "" {
		open = `<strong id="` + html.EscapeString(id) + `">`
	}
	return template.HTML(open + escape(v) + "</strong>")
}

// And joins items as the language writes a list whose last item is joined
// by "and": "admin", "admin and billing", "admin, billing and support".
func (l *Locale) And(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return l.T("list.and", "rest", l.List(items[:len(items)-1]), "last", items[len(items)-1])
}

// plain is fmt.Sprint of one value, for text.
func plain(v any) string { return fmt.Sprint(v) }
