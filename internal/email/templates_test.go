package email

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/invitedhq/invited"
)

var testExpiry = time.Date(2026, 11, 30, 15, 4, 0, 0, time.FixedZone("CET", 3600))

const testExpires = "30 November 2026, 14:04 UTC" // testExpiry in UTC, as i18n Date writes it

// fullLetter returns a letter of the kind with every optional field set.
func fullLetter(kind string) *invited.Letter {
	l := &invited.Letter{
		Kind:         kind,
		To:           "ada@example.com",
		ToName:       "Ada Lovelace",
		Organization: "Acme",
		Inviter:      "Grace Hopper",
		Roles:        []string{"admin", "billing"},
		Message:      "Looking forward to working with you.",
		ExpiresAt:    testExpiry,
		Acceptor:     "Ada Lovelace",
	}
	if kind != invited.KindAccepted {
		l.Link = "https://invited.test/i/tok_secret123"
	}
	return l
}

// bareLetter returns a letter of the kind with only the required fields.
func bareLetter(kind string) *invited.Letter {
	l := &invited.Letter{Kind: kind, To: "ada@example.com", Organization: "Acme"}
	if kind != invited.KindAccepted {
		l.Link = "https://invited.test/i/tok_secret123"
		l.ExpiresAt = testExpiry
	}
	return l
}

func mustTemplates(t testing.TB, dir string) *Templates {
	t.Helper()
	tt, err := LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

func mustRender(t *testing.T, tt *Templates, l *invited.Letter) *Rendered {
	t.Helper()
	r, err := tt.Render(l)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// renderInvitation renders fullLetter(invited.KindInvitation) after edit.
func renderInvitation(t *testing.T, tt *Templates, edit func(*invited.Letter)) *Rendered {
	t.Helper()
	l := fullLetter(invited.KindInvitation)
	edit(l)
	return mustRender(t, tt, l)
}

func TestRender(t *testing.T) {
	link := "https://invited.test/i/tok_secret123"
	tests := []struct {
		name    string
		letter  *invited.Letter
		subject string
		want    []string // in both the text and the HTML
		wantNot []string // in neither
	}{
		{
			name:    "invitation",
			letter:  fullLetter(invited.KindInvitation),
			subject: "Grace Hopper invited you to join Acme",
			want:    []string{"Hello Ada Lovelace,", "Grace Hopper", "Acme", "admin, billing", "Looking forward to working with you.", link, testExpires},
		},
		{
			name:    "invitation without optional fields",
			letter:  bareLetter(invited.KindInvitation),
			subject: "You are invited to join Acme",
			want:    []string{"Hello,", "You are invited", "Acme", link, testExpires},
			wantNot: []string{"wrote", "says", "role", "<no value>"},
		},
		{
			name:    "resend",
			letter:  fullLetter(invited.KindResend),
			subject: "Your new link to join Acme",
			want:    []string{"Hello Ada Lovelace,", "new link", "earlier link no longer works", "Grace Hopper", "Looking forward", link, testExpires},
		},
		{
			name:    "resend without optional fields",
			letter:  bareLetter(invited.KindResend),
			subject: "Your new link to join Acme",
			want:    []string{"Hello,", "new link", "earlier link no longer works", link},
			wantNot: []string{"wrote", "invited you", "<no value>"},
		},
		{
			name:    "reminder",
			letter:  fullLetter(invited.KindReminder),
			subject: "Reminder: your invitation to join Acme expires soon",
			want:    []string{"Hello Ada Lovelace,", "Grace Hopper", "expires on", testExpires, link},
		},
		{
			name:    "reminder without optional fields",
			letter:  &invited.Letter{Kind: invited.KindReminder, To: "ada@example.com", Organization: "Acme", Link: link},
			subject: "Reminder: your invitation to join Acme expires soon",
			want:    []string{"Hello,", "expires soon", link},
			wantNot: []string{"wrote", "UTC", "<no value>"},
		},
		{
			name:    "accepted",
			letter:  &invited.Letter{Kind: invited.KindAccepted, To: "grace@example.com", ToName: "Grace", Organization: "Acme", Acceptor: "Ada Lovelace"},
			subject: "Ada Lovelace joined Acme",
			want:    []string{"Hello Grace,", "Ada Lovelace", "accepted your invitation and joined", "Acme"},
			wantNot: []string{"http", "<no value>"},
		},
		{
			name:    "accepted without optional fields",
			letter:  bareLetter(invited.KindAccepted),
			subject: "Your invitee joined Acme",
			want:    []string{"Hello,", "accepted your invitation and joined", "Acme"},
			wantNot: []string{"<no value>"},
		},
	}
	tt := mustTemplates(t, "")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRender(t, tt, tc.letter)
			if r.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", r.Subject, tc.subject)
			}
			for _, body := range []struct{ name, s string }{{"text", r.Text}, {"html", r.HTML}} {
				for _, w := range tc.want {
					if !strings.Contains(body.s, w) {
						t.Errorf("%s body lacks %q:\n%s", body.name, w, body.s)
					}
				}
				for _, w := range tc.wantNot {
					if strings.Contains(body.s, w) {
						t.Errorf("%s body has %q:\n%s", body.name, w, body.s)
					}
				}
			}
		})
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	tests := []struct {
		name    string
		letter  func(*invited.Letter)
		want    []string // in the HTML
		wantNot []string
	}{
		{
			name:    "script in message",
			letter:  func(l *invited.Letter) { l.Message = "<script>alert(1)</script>" },
			want:    []string{"&lt;script&gt;alert(1)&lt;/script&gt;"},
			wantNot: []string{"<script>"},
		},
		{
			name: "markup in names",
			letter: func(l *invited.Letter) {
				l.ToName = `Bob "the <b>builder</b>"`
				l.Inviter = `<img src=x onerror=alert(1)>`
			},
			want:    []string{"Bob &#34;the &lt;b&gt;builder&lt;/b&gt;&#34;", "&lt;img src=x onerror=alert(1)&gt;"},
			wantNot: []string{"<b>builder", "<img"},
		},
		{
			name:    "quote in link",
			letter:  func(l *invited.Letter) { l.Link = `https://invited.test/i/x" onmouseover="alert(1)` },
			want:    []string{`href="https://invited.test/i/x%22%20onmouseover=%22alert%281%29"`},
			wantNot: []string{`" onmouseover="`},
		},
		{
			name:    "javascript link",
			letter:  func(l *invited.Letter) { l.Link = "javascript:alert(1)" },
			want:    []string{`href="#ZgotmplZ"`},
			wantNot: []string{`href="javascript:`},
		},
	}
	tt := mustTemplates(t, "")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := renderInvitation(t, tt, tc.letter)
			for _, w := range tc.want {
				if !strings.Contains(r.HTML, w) {
					t.Errorf("HTML lacks %q:\n%s", w, r.HTML)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(r.HTML, w) {
					t.Errorf("HTML has %q:\n%s", w, r.HTML)
				}
			}
		})
	}
}

func TestRenderSubjectIsOneLine(t *testing.T) {
	tests := []struct {
		name   string
		letter func(*invited.Letter)
		want   string
	}{
		{
			name:   "newlines in names",
			letter: func(l *invited.Letter) { l.Inviter = "Eve\r\nBcc: evil@x.test"; l.Organization = "Acme\n\n\tInc" },
			want:   "Eve Bcc: evil@x.test invited you to join Acme Inc",
		},
		{
			name:   "control characters",
			letter: func(l *invited.Letter) { l.Inviter = "Eve\x00\x1b[31m\u2028Red"; l.Organization = "Acme\x7f" },
			want:   "Eve [31m Red invited you to join Acme",
		},
	}
	tt := mustTemplates(t, "")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := renderInvitation(t, tt, tc.letter)
			if r.Subject != tc.want {
				t.Errorf("subject = %q, want %q", r.Subject, tc.want)
			}
		})
	}

	t.Run("long", func(t *testing.T) {
		r := renderInvitation(t, tt, func(l *invited.Letter) { l.Organization = strings.Repeat("é", 500) })
		if n := utf8.RuneCountInString(r.Subject); n != MaxSubject {
			t.Errorf("subject has %d runes, want %d", n, MaxSubject)
		}
	})
}

func TestOneLine(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"", 10, ""},
		{"  a  b  ", 10, "a b"},
		{"a\r\nb", 10, "a b"},
		{"\r\n\r\n", 10, ""},
		{"abcdef", 3, "abc"},
		{"ab cd", 3, "ab"}, // no trailing space
		{"ab cd", 4, "ab c"},
		{"a\xffb", 10, "a b"}, // invalid UTF-8
	}
	for _, tc := range tests {
		if got := oneLine(tc.in, tc.limit); got != tc.want {
			t.Errorf("oneLine(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

func TestRenderRejectsBadLetters(t *testing.T) {
	tests := []struct {
		name   string
		letter *invited.Letter
	}{
		{"nil", nil},
		{"unknown kind", &invited.Letter{Kind: "party", To: "a@b.test", Organization: "Acme"}},
		{"link kind without link", &invited.Letter{Kind: invited.KindResend, To: "a@b.test", Organization: "Acme"}},
	}
	tt := mustTemplates(t, "")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tt.Render(tc.letter)
			if !errors.Is(err, invited.ErrUndeliverable) {
				t.Fatalf("err = %v, want one wrapping ErrUndeliverable", err)
			}
		})
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadTemplatesOverride(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"invitation.subject.txt": "Join {{.Organization}}\nBcc: evil@x.test",
		"accepted.html":          `{{define "content"}}<p>{{.Acceptor}} is in</p>{{end}}`,
		// A kind may also replace, for itself only, a part the layout defines.
		"resend.html": `{{define "content"}}<p>New link</p>{{template "details" .}}{{end}}
{{define "details"}}<p><a href="{{.Link}}">Join {{.Organization}}</a></p>{{end}}`,
		".DS_Store": "junk",
	})
	tt := mustTemplates(t, dir)

	r := mustRender(t, tt, fullLetter(invited.KindInvitation))
	if want := "Join Acme Bcc: evil@x.test"; r.Subject != want {
		t.Errorf("overridden subject = %q, want %q", r.Subject, want)
	}
	if !strings.Contains(r.Text, "To accept, open this link") || !strings.Contains(r.HTML, "Accept the invitation") {
		t.Errorf("bodies not overridden should stay embedded:\n%s\n%s", r.Text, r.HTML)
	}

	r = mustRender(t, tt, fullLetter(invited.KindAccepted))
	if want := "Hello Ada Lovelace,</p>\n<p>Ada Lovelace is in</p>\n</div>"; !strings.Contains(r.HTML, want) ||
		!strings.HasPrefix(r.HTML, "<!DOCTYPE html>") || !strings.HasSuffix(r.HTML, "</html>\n") {
		t.Errorf("overridden content in the embedded layout: HTML = %q, want the layout around %q", r.HTML, want)
	}
	if strings.Contains(r.HTML, "accepted your invitation") {
		t.Errorf("HTML still has the embedded content:\n%s", r.HTML)
	}
	if want := "Ada Lovelace joined Acme"; r.Subject != want {
		t.Errorf("embedded subject = %q, want %q", r.Subject, want)
	}

	r = mustRender(t, tt, fullLetter(invited.KindResend))
	if want := `<p>New link</p><p><a href="https://invited.test/i/tok_secret123">Join Acme</a></p>`; !strings.Contains(r.HTML, want) ||
		strings.Contains(r.HTML, "Accept the invitation") {
		t.Errorf("resend HTML = %q, want its own details %q", r.HTML, want)
	}
}

func TestLoadTemplatesOverrideLayout(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"layout.html": `<main>{{template "content" .}}</main>
{{- define "details"}}<a href="{{.Link}}">Join</a>{{end}}
{{- define "expiry"}}{{end}}`,
	})
	tt := mustTemplates(t, dir)
	own := map[string]string{ // what each kind's embedded content says
		invited.KindInvitation: "invited you to join",
		invited.KindResend:     "The earlier link no longer works.",
		invited.KindReminder:   "the invitation expires on",
		invited.KindAccepted:   "accepted your invitation",
		// The confirmation's link is its own: "Confirm and join".
		invited.KindJoinConfirmation: "asked to join",
	}
	for _, kind := range invited.LetterKinds {
		r := mustRender(t, tt, fullLetter(kind))
		if !strings.HasPrefix(r.HTML, "<main><p") || !strings.HasSuffix(r.HTML, "</p></main>") ||
			strings.Contains(r.HTML, "<body") || strings.Contains(r.HTML, "Hello") {
			t.Errorf("%s HTML not in the overridden layout:\n%s", kind, r.HTML)
		}
		if !strings.Contains(r.HTML, own[kind]) {
			t.Errorf("%s HTML lacks its content %q:\n%s", kind, own[kind], r.HTML)
		}
		if link := needsLink(kind); strings.Contains(r.HTML, "Join</a>") != link || strings.Contains(r.HTML, "Accept the invitation") {
			t.Errorf("%s HTML should have the layout's details (%v):\n%s", kind, link, r.HTML)
		}
	}
}

func TestLoadTemplatesErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string // in the error
	}{
		{"syntax error", map[string]string{"reminder.txt": "{{.Organization"}, "reminder.txt"},
		{"html syntax error", map[string]string{"resend.html": "<a href=\"{{.Link}}\">{{if}}</a>"}, "resend.html"},
		{"layout syntax error", map[string]string{"layout.html": `{{template "content" .}`}, "layout.html"},
		{"text outside define", map[string]string{"accepted.html": "<p>{{.Acceptor}} is in</p>"}, "accepted.html: text outside {{define}}"},
		{"no content", map[string]string{"reminder.html": `{{define "contents"}}x{{end}}`}, `reminder letter in en: html/template:layout.html:24:11: no such template "content"`},
		{"layout without a part", map[string]string{"layout.html": `{{template "content" .}}{{define "details"}}{{end}}`}, `no such template "expiry"`},
		{"unknown field in layout", map[string]string{"layout.html": `{{.Nmae}}{{template "content" .}}{{define "details"}}{{end}}{{define "expiry"}}{{end}}`}, "Nmae"},
		{"unknown field", map[string]string{"invitation.txt": "{{.Organisation}}"}, "Organisation"},
		{"empty subject", map[string]string{"accepted.subject.txt": "{{if false}}x{{end}}"}, "empty subject"},
		{"unknown file", map[string]string{"invitaton.txt": "hello", "reminder.txt": "fine {{.Link}}"}, "invitaton.txt"},
		{"directory", map[string]string{}, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			if tc.name == "directory" {
				dir = filepath.Join(dir, "missing")
			}
			_, err := LoadTemplates(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestLoadTemplatesEmbeddedNames(t *testing.T) {
	// Every embedded file must be a template name, or an operator could
	// not override it.
	entries, err := embedded.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, n := range templateNames() {
		names[n] = true
	}
	for _, e := range entries {
		if !names[e.Name()] {
			t.Errorf("embedded file %s is not a template name", e.Name())
		}
		delete(names, e.Name())
	}
	for n := range names {
		t.Errorf("template %s is not embedded", n)
	}
}
