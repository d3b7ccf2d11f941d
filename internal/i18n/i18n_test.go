package i18n

import (
	"encoding/json"
	"html/template"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/feature/plural"
)

// placeholders returns the {names} of s, sorted and without duplicates.
func placeholders(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`\{([a-z_]+)\}`).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// forms returns the plural forms the language of l uses, by its rules.
func forms(l *Locale) []string {
	var out []string
	for n := range 1000 {
		out = append(out, formName(plural.Cardinal.MatchPlural(l.tag, n, 0, 0, 0, 0)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestCatalogsComplete fails when a catalog lacks a key English has or
// has one English does not, when a message names other arguments than
// English's, when a plural message lacks a form its language uses, and
// when a message is plural in one catalog but not in English.
func TestCatalogsComplete(t *testing.T) {
	en := English()
	if len(All()) != 7 || en.Name() != "en" {
		t.Fatalf("locales = %d, first %s", len(All()), en.Name())
	}
	for _, l := range All()[1:] {
		t.Run(l.Name(), func(t *testing.T) {
			for _, k := range en.Keys() {
				if !l.Has(k) {
					t.Errorf("%s lacks %q", l.Name(), k)
				}
			}
			for _, k := range l.Keys() {
				if !en.Has(k) {
					t.Errorf("%s has %q, which English does not", l.Name(), k)
				}
			}
		})
	}
	for _, l := range All() {
		t.Run(l.Name()+"/messages", func(t *testing.T) {
			uses := forms(l)
			for _, k := range l.Keys() {
				m, want := l.messages[k], en.messages[k]
				if (m.forms == nil) != (want.forms == nil) {
					t.Errorf("%s: %q is plural in one of %s and en only", l.Name(), k, l.Name())
					continue
				}
				wantArgs := placeholders(want.text + want.forms["other"])
				if m.forms == nil && strings.HasPrefix(k, "date.") {
					// A date's pattern may use any of the parts.
					for _, a := range placeholders(m.text) {
						if !slices.Contains([]string{"day", "dd", "mm", "month", "year", "time"}, a) {
							t.Errorf("%s: %q names %q, not a part of a date", l.Name(), k, a)
						}
					}
					continue
				}
				if m.forms == nil {
					if got := placeholders(m.text); !slices.Equal(got, wantArgs) {
						t.Errorf("%s: %q names %v, English %v", l.Name(), k, got, wantArgs)
					}
					continue
				}
				for _, f := range uses {
					if _, ok := m.forms[f]; !ok {
						t.Errorf("%s: %q lacks the plural form %q", l.Name(), k, f)
					}
				}
				for f, s := range m.forms {
					if !slices.Contains(uses, f) {
						t.Errorf("%s: %q has the form %q, which %s does not use", l.Name(), k, f, l.Name())
					}
					if got := placeholders(s); !slices.Equal(got, wantArgs) {
						t.Errorf("%s: %q (%s) names %v, English %v", l.Name(), k, f, got, wantArgs)
					}
				}
			}
		})
	}
}

// keyUse finds the literal keys of the catalogs' users: t and tn in
// templates, T, N, HTML and NHTML calls in Go, and the text messages'
// drafts (sms add).
var keyUse = regexp.MustCompile(`(?:\{\{-?\s*|\()tn? "([a-z0-9_.-]+)"|\.(?:T|N|HTML|NHTML)\("([a-z0-9_.-]+)"`)

// dynamicKeys are the keys that code builds from a status or a name,
// which no literal shows.
var dynamicKeys = []string{
	"dead.title.expired", "dead.title.revoked", "dead.title.accepted", "dead.title.declined", "dead.title.ended",
	"join_dead.title.unknown", "join_dead.title.exhausted", "join_dead.title.expired", "join_dead.title.revoked",
	"join_dead.title.domain", "join_dead.title.confirmation-unknown", "join_dead.title.confirmed",
	"join_dead.title.confirmation-expired",
	"connect_failed.title.invalid", "connect_failed.title.denied", "connect_failed.title.platform",
	"console.status.draft", "console.status.pending", "console.status.accepted", "console.status.declined",
	"console.status.revoked", "console.status.expired", "console.status.archived",
	"console.via.user", "console.via.join_link", "console.via.domain",
	"console.notice.revoked", "console.notice.resent", "console.notice.renewed", "console.notice.roles",
	"console.notice.ended", "console.notice.approved", "console.notice.denied",
	"error.code.invalid_request", "error.code.forbidden", "error.code.not_found", "error.code.already_member",
	"error.code.invalid_state", "error.code.email_mismatch", "error.code.email_domain_not_allowed",
	"error.code.conflict", "error.code.rate_limited", "error.code.unavailable", "error.code.upstream_error",
	"console.problem.invitation_exists", "console.problem.already_member",
}

// consoleKey finds the console's keys that Go code keeps in a value (an
// action's label) for a template's t.
var consoleKey = regexp.MustCompile(`"(console\.[a-z0-9_.]*[a-z0-9_])"`)

// TestKeysUsedExist fails when a template or Go file of the pages, emails
// or text messages uses a key English lacks.
func TestKeysUsedExist(t *testing.T) {
	var files []string
	for _, glob := range []string{"../web/templates/*.*", "../web/templates/console/*.*", "../web/*.go",
		"../email/templates/*.*", "../email/*.go", "../sms/*.go"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	used := map[string]bool{}
	for _, k := range dynamicKeys {
		used[k] = true
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyUse.FindAllStringSubmatch(string(b), -1) {
			if k := m[1] + m[2]; !strings.HasSuffix(k, ".") { // not a prefix of dynamicKeys
				used[k] = true
			}
		}
		if filepath.Ext(f) == ".go" {
			for _, m := range consoleKey.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = true
			}
		}
		if filepath.Base(f) == "text.go" {
			// add(ok, "name"): the message "sms." + name, and a
			// reminder's with "_soon".
			for _, m := range regexp.MustCompile(`add\([^,]+, "([a-z_]+)"`).FindAllStringSubmatch(string(b), -1) {
				used["sms."+m[1]] = true
				if slices.Contains([]string{"reminder_roles", "reminder", "reminder_short"}, m[1]) {
					used["sms."+m[1]+"_soon"] = true
				}
			}
		}
	}
	if len(used) < 150 {
		t.Fatalf("found only %d keys in use: is the pattern still right?", len(used))
	}
	for _, k := range slices.Sorted(maps.Keys(used)) {
		if !English().Has(k) {
			t.Errorf("%q is used but not in the English catalog", k)
		}
	}
}

func TestChoose(t *testing.T) {
	for _, tc := range []struct {
		name  string
		prefs []string
		want  string
	}{
		{"nothing", nil, "en"},
		{"all empty", []string{"", "", ""}, "en"},
		{"the invitation's first", []string{"de", "fr", "ja"}, "de"},
		{"the organization's when the invitation has none", []string{"", "fr", "ja"}, "fr"},
		{"the browser's when neither has one", []string{"", "", "ja,en;q=0.5"}, "ja"},
		{"the browser's preference order", []string{"", "", "xx-YY, es;q=0.9, de;q=0.8"}, "es"},
		{"a region finds its language", []string{"de-AT"}, "de"},
		{"Portuguese is Brazilian", []string{"pt"}, "pt-BR"},
		{"canonical case", []string{"pt-br"}, "pt-BR"},
		{"Arabic of a region", []string{"ar-EG"}, "ar"},
		{"a language not shipped falls through", []string{"zh-Hans", "ja"}, "ja"},
		{"a language not shipped anywhere is English", []string{"zh", "", "ko"}, "en"},
		{"junk falls through", []string{"!!", "fr"}, "fr"},
		{"a list: the first shipped", []string{"ko, de"}, "de"},
		{"a list: a region before a later language", []string{"de-AT, fr"}, "de"},
		{"a list: Portuguese before a later language", []string{"pt, ja"}, "pt-BR"},
		{"a list: in its order, not by the closeness of the match", []string{"ar-EG, fr"}, "ar"},
		{"a list without a shipped language falls through", []string{"ko, zh", "ja"}, "ja"},
		{"any language", []string{"*"}, "en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Choose(tc.prefs...).Name(); got != tc.want {
				t.Errorf("Choose(%q) = %s, want %s", tc.prefs, got, tc.want)
			}
		})
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		locale string
		n      int
		want   string
	}{
		{"en", 0, "Roles"}, {"en", 1, "Role"}, {"en", 2, "Roles"},
		{"de", 1, "Rolle"}, {"de", 3, "Rollen"},
		{"fr", 0, "Rôle"}, {"fr", 1, "Rôle"}, {"fr", 2, "Rôles"}, // French 0 is singular
		{"pt-BR", 0, "Função"}, {"pt-BR", 2, "Funções"},
		{"ja", 1, "ロール"}, {"ja", 5, "ロール"},
		{"ar", 0, "الأدوار"}, {"ar", 1, "الدور"}, {"ar", 2, "الدوران"}, {"ar", 3, "الأدوار"}, {"ar", 11, "الأدوار"},
	} {
		if got := Choose(tc.locale).N("facts.roles", tc.n); got != tc.want {
			t.Errorf("%s N(facts.roles, %d) = %q, want %q", tc.locale, tc.n, got, tc.want)
		}
	}
	if got := English().N("email.your_roles", 2, "roles", "admin, member"); got != "Your roles: admin, member." {
		t.Errorf("N with arguments = %q", got)
	}
}

func TestDate(t *testing.T) {
	// 19:15 in Berlin is 18:15 UTC: the formatter always says UTC.
	at := time.Date(2026, 12, 8, 19, 15, 0, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct{ locale, long, short, dayMonth string }{
		{"en", "8 December 2026, 18:15 UTC", "8 Dec 2026 18:15", "8 Dec"},
		{"de", "8. Dezember 2026, 18:15 UTC", "08.12.2026 18:15", "8. Dez."},
		{"fr", "8 décembre 2026, 18:15 UTC", "08/12/2026 18:15", "8 déc."},
		{"es", "8 de diciembre de 2026, 18:15 UTC", "08/12/2026 18:15", "8 dic"},
		{"pt-BR", "8 de dezembro de 2026, 18:15 UTC", "08/12/2026 18:15", "8 de dez."},
		{"ja", "2026年12月8日 18:15 UTC", "2026/12/08 18:15", "12月8日"},
		{"ar", "8 ديسمبر 2026، 18:15 UTC", "08/12/2026 18:15", "8 ديسمبر"},
	} {
		l := Choose(tc.locale)
		if got := l.Date(at); got != tc.long {
			t.Errorf("%s Date = %q, want %q", tc.locale, got, tc.long)
		}
		if got := l.ShortDate(at); got != tc.short {
			t.Errorf("%s ShortDate = %q, want %q", tc.locale, got, tc.short)
		}
		if got := l.DayMonth(at); got != tc.dayMonth {
			t.Errorf("%s DayMonth = %q, want %q", tc.locale, got, tc.dayMonth)
		}
	}
}

func TestDirection(t *testing.T) {
	for _, l := range All() {
		want := "ltr"
		if l.Name() == "ar" {
			want = "rtl"
		}
		if l.Dir() != want {
			t.Errorf("%s Dir = %s, want %s", l.Name(), l.Dir(), want)
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	en := English()
	got := en.HTML("joined.title", "org", `<b>"Acme"</b>`)
	if want := template.HTML("You joined &lt;b&gt;&#34;Acme&#34;&lt;/b&gt;"); got != want {
		t.Errorf("HTML = %q, want %q", got, want)
	}
	got = en.HTML("join_sent.body", "email", strong("sent-to", "a&b@example.com"), "date", "today", "org", "Acme")
	if want := template.HTML(`We sent a link to <strong id="sent-to">a&amp;b@example.com</strong>. Open it by today to join Acme.`); got != want {
		t.Errorf("HTML with markup = %q, want %q", got, want)
	}
	// A missing key comes back as itself, and fails a template.
	if got := en.T("no.such.key"); got != "no.such.key" {
		t.Errorf("T(missing) = %q", got)
	}
	tmpl := template.Must(template.New("").Funcs(en.HTMLFuncs()).Parse(`{{t "no.such.key"}}`))
	if err := tmpl.Execute(new(discard), nil); err == nil {
		t.Error("a template with a missing key executed")
	}
}

func TestAnd(t *testing.T) {
	for _, tc := range []struct {
		locale string
		items  []string
		want   string
	}{
		{"en", nil, ""},
		{"en", []string{"admin"}, "admin"},
		{"en", []string{"admin", "billing"}, "admin and billing"},
		{"en", []string{"admin", "billing", "support"}, "admin, billing and support"},
		{"de", []string{"admin", "billing"}, "admin und billing"},
		{"ja", []string{"admin", "billing", "support"}, "admin、billing、support"},
		{"ar", []string{"admin", "billing", "support"}, "admin، billing وsupport"},
	} {
		if got := Choose(tc.locale).And(tc.items); got != tc.want {
			t.Errorf("%s And(%q) = %q, want %q", tc.locale, tc.items, got, tc.want)
		}
	}
}

// TestCatalogFiles checks that each catalog is a JSON object, as the
// loader (which panics otherwise) assumes.
func TestCatalogFiles(t *testing.T) {
	for _, name := range names {
		b, err := files.ReadFile("locales/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
