package invited

import "testing"

func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		value     string
		multiline bool
		ok        bool
	}{
		{"Ada Lovelace", false, true},
		{"Zoë 李 \u202eRTL", false, true},
		{"", false, true},
		{"a\x00b", false, false},
		{"a\x00b", true, false},
		{"a\x1bb", false, false},
		{"a\x7fb", false, false},
		{"a\u0085b", false, false},
		{"line\nbreak", false, false},
		{"tab\there", false, false},
		{"line\r\nbreak\tand tab", true, true},
		{"a\xffb", false, false},
		{"a\xffb", true, false},
	} {
		f := FieldErrors{}
		CheckText(f, "name", tc.value, tc.multiline)
		if _, bad := f["name"]; bad == tc.ok {
			t.Errorf("CheckText(%q, multiline %v): ok %v, want %v (%q)", tc.value, tc.multiline, !bad, tc.ok, f["name"].Text())
		}
	}
}
