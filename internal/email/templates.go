package email

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"os"
	"path/filepath"
	"slices"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/i18n"
)

//go:embed templates/*.txt templates/*.html
var embedded embed.FS

// The files of one letter kind are named <kind> + these suffixes.
const (
	suffixSubject = ".subject.txt"
	suffixText    = ".txt"
	suffixHTML    = ".html"
)

// layoutName is the HTML page every kind's HTML is rendered in: it puts
// the template contentName, which each <kind>.html defines, in the page.
const (
	layoutName  = "layout.html"
	contentName = "content"
)

// MaxSubject is the most runes a rendered subject keeps.
const MaxSubject = 200

// Rendered is a letter written out as an email.
type Rendered struct {
	Subject string // one line, at most MaxSubject runes
	Text    string
	HTML    string
}

// Templates holds the parsed templates of every letter kind, in every
// locale: kinds[locale][kind].
type Templates struct {
	kinds map[string]map[string]*kindTemplates
}

type kindTemplates struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template // the layout, with the kind's file parsed in
}

// templateData is what the templates see: the letter and what is easier
// to prepare in Go than in a template, in the letter's language.
type templateData struct {
	*invited.Letter
	// Expires is ExpiresAt as pages write it (i18n Date), "" for none.
	Expires  string
	RoleList string
	// Action is what following the link does, for its button.
	Action string
	// Lang and Dir are the language's BCP 47 tag and direction (ltr,
	// rtl), for the <html> element; Start is the side lines start on
	// (left, right), for CSS, which email clients read without logical
	// properties.
	Lang, Dir, Start string
}

func newTemplateData(l *invited.Letter, loc *i18n.Locale) templateData {
	d := templateData{Letter: l, RoleList: loc.List(l.Roles), Action: loc.T("email.action.accept"),
		Lang: loc.Name(), Dir: loc.Dir(), Start: "left"}
	if l.Kind == invited.KindJoinConfirmation {
		d.Action = loc.T("email.action.confirm")
	}
	if d.Dir == "rtl" {
		d.Start = "right"
	}
	if !l.ExpiresAt.IsZero() {
		d.Expires = loc.Date(l.ExpiresAt)
	}
	return d
}

// LoadTemplates parses the embedded templates in every locale, each
// replaced by the file of the same name in dir when there is one: in a
// locale, the file with the locale's tag before the name's suffix
// (invitation.de.html, invitation.pt-BR.subject.txt, layout.ar.html) when
// there is one, else the file of the plain name. dir "" means the embedded
// ones only. A file in dir that is not a template name is an error, so that a
// misspelled override is not silently ignored; names starting with a dot
// are skipped (editor leftovers, and the ..data links of Kubernetes volume
// mounts). Every template is also executed once against sample letters, so
// that a reference to a field that does not exist fails here and not at
// send time.
//
// The HTML of a letter is layout.html, with the "content" that <kind>.html
// defines put in it; see parseHTML.
func LoadTemplates(dir string) (*Templates, error) {
	sources := map[string]string{}
	for _, name := range templateNames() {
		b, err := embedded.ReadFile("templates/" + name)
		if err != nil {
			return nil, fmt.Errorf("email: embedded template %s: %w", name, err)
		}
		sources[name] = string(b)
	}
	if dir != "" {
		if err := readOverrides(dir, sources); err != nil {
			return nil, err
		}
	}
	t := &Templates{kinds: map[string]map[string]*kindTemplates{}}
	for _, loc := range i18n.All() {
		kinds, err := parseLocale(loc, sources)
		if err != nil {
			return nil, err
		}
		t.kinds[loc.Name()] = kinds
		for _, kind := range invited.LetterKinds {
			for _, l := range sampleLetters(kind, loc.Name()) {
				if _, err := t.render(l); err != nil {
					return nil, fmt.Errorf("email: sample %s letter in %s: %w", kind, loc.Name(), err)
				}
			}
		}
	}
	return t, nil
}

// parseLocale parses every kind's templates in loc, with loc's template
// functions (i18n HTMLFuncs, TextFuncs), from sources: of each name, the
// locale's own file when there is one (localName).
func parseLocale(loc *i18n.Locale, sources map[string]string) (map[string]*kindTemplates, error) {
	source := func(name string) (string, string) {
		if local := localName(name, loc.Name()); sources[local] != "" {
			return local, sources[local]
		}
		return name, sources[name]
	}
	name, src := source(layoutName)
	layout, err := htmltemplate.New(name).Funcs(loc.HTMLFuncs()).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("email: template %w", err)
	}
	kinds := map[string]*kindTemplates{}
	for _, kind := range invited.LetterKinds {
		k := &kindTemplates{}
		var err error
		name, src := source(kind + suffixSubject)
		if k.subject, err = texttemplate.New(name).Funcs(loc.TextFuncs()).Parse(src); err != nil {
			return nil, fmt.Errorf("email: template %w", err)
		}
		name, src = source(kind + suffixText)
		if k.text, err = texttemplate.New(name).Funcs(loc.TextFuncs()).Parse(src); err != nil {
			return nil, fmt.Errorf("email: template %w", err)
		}
		name, src = source(kind + suffixHTML)
		if k.html, err = parseHTML(layout, name, src); err != nil {
			return nil, err
		}
		kinds[kind] = k
	}
	return kinds, nil
}

// localName is the name of the file that replaces the template name in
// locale: the locale's tag before the suffix, invitation.de.html,
// invitation.de.subject.txt.
func localName(name, locale string) string {
	for _, suffix := range []string{suffixSubject, suffixText, suffixHTML} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			return base + "." + locale + suffix
		}
	}
	return name
}

// parseHTML returns a copy of layout with the kind's file, called name,
// parsed into it, so that executing it renders the layout around the
// kind's "content". The kind's file is parsed after the layout: a
// template it defines replaces the layout's of the same name, for this
// kind only. Text outside its definitions is an error rather than
// silently left out of the page.
func parseHTML(layout *htmltemplate.Template, name, src string) (*htmltemplate.Template, error) {
	page, err := layout.Clone()
	if err != nil {
		return nil, fmt.Errorf("email: template %s: %w", name, err)
	}
	kind, err := page.New(name).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("email: template %w", err)
	}
	if kind.Tree != nil && !parse.IsEmptyTree(kind.Tree.Root) {
		return nil, fmt.Errorf("email: template %s: text outside {{define}}; the file defines %q, which %s puts in the page",
			name, contentName, layoutName)
	}
	return page, nil
}

// templateNames lists every embedded template file name.
func templateNames() []string {
	names := []string{layoutName}
	for _, kind := range invited.LetterKinds {
		names = append(names, kind+suffixSubject, kind+suffixText, kind+suffixHTML)
	}
	return names
}

// readOverrides replaces sources with the files of the same name in dir,
// and adds the files of a template's name in a locale (localName).
func readOverrides(dir string, sources map[string]string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("email: templates directory: %w", err)
	}
	for _, name := range templateNames() {
		for _, loc := range i18n.All() {
			sources[localName(name, loc.Name())] = ""
		}
	}
	var unknown []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if _, ok := sources[name]; !ok {
			unknown = append(unknown, name)
			continue
		}
		// ReadFile follows symbolic links, which is how mounted
		// configuration often arrives.
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("email: template %s: %w", name, err)
		}
		sources[name] = string(b)
	}
	if len(unknown) > 0 {
		locales := make([]string, 0, len(i18n.All()))
		for _, loc := range i18n.All() {
			locales = append(locales, loc.Name())
		}
		return fmt.Errorf("email: templates directory %s: unknown file(s) %s; the names are %s, and <kind>.subject.txt, <kind>.txt and <kind>.html for the kinds %s, each also with a locale before its suffix (<kind>.de.html) for the locales %s",
			dir, strings.Join(unknown, ", "), layoutName, strings.Join(invited.LetterKinds, ", "), strings.Join(locales, ", "))
	}
	return nil
}

// sampleLetters returns a letter of the kind in locale with every field
// set and one with only the required ones.
func sampleLetters(kind, locale string) []*invited.Letter {
	full := &invited.Letter{
		Kind:         kind,
		To:           "ada@example.com",
		ToName:       "Ada",
		Organization: "Example",
		Inviter:      "Grace",
		Roles:        []string{"admin", "member"},
		Message:      "Welcome aboard.",
		ExpiresAt:    time.Date(2026, 11, 30, 15, 4, 0, 0, time.UTC),
		Acceptor:     "Ada",
		Note:         "See you on Monday.",
		Locale:       locale,
	}
	bare := &invited.Letter{Kind: kind, To: "ada@example.com", Organization: "Example", Locale: locale}
	if needsLink(kind) {
		full.Link = "https://invited.example/i/sample"
		bare.Link = full.Link
	}
	return []*invited.Letter{full, bare}
}

// needsLink reports whether a letter of the kind carries the invitation link.
func needsLink(kind string) bool {
	return invited.KindHasLink(kind)
}

// checkLetter rejects a letter that no template can render. Retrying
// cannot fix it, so the error says undeliverable.
func checkLetter(l *invited.Letter) error {
	switch {
	case l == nil:
		return fmt.Errorf("email: no letter: %w", invited.ErrUndeliverable)
	case !slices.Contains(invited.LetterKinds, l.Kind):
		return fmt.Errorf("email: unknown letter kind %q: %w", l.Kind, invited.ErrUndeliverable)
	case needsLink(l.Kind) && l.Link == "":
		return fmt.Errorf("email: %s letter without a link: %w", l.Kind, invited.ErrUndeliverable)
	}
	return nil
}

// Render writes the letter out. A letter of an unknown kind, or of a kind
// that carries a link but without one, is an error wrapping
// invited.ErrUndeliverable.
func (t *Templates) Render(l *invited.Letter) (*Rendered, error) {
	if err := checkLetter(l); err != nil {
		return nil, err
	}
	r, err := t.render(l)
	if err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	return r, nil
}

// render writes out a letter that checkLetter accepts.
func (t *Templates) render(l *invited.Letter) (*Rendered, error) {
	loc := i18n.Choose(l.Locale)
	k := t.kinds[loc.Name()][l.Kind]
	d := newTemplateData(l, loc)
	var subject, text, html strings.Builder
	if err := k.subject.Execute(&subject, d); err != nil {
		return nil, err
	}
	if err := k.text.Execute(&text, d); err != nil {
		return nil, err
	}
	if err := k.html.Execute(&html, d); err != nil {
		return nil, err
	}
	r := &Rendered{Subject: oneLine(subject.String(), MaxSubject), Text: text.String(), HTML: html.String()}
	if r.Subject == "" {
		// A blank subject is most likely an operator's template gone wrong;
		// better to find out now than to send mail that looks like spam.
		return nil, errors.New("template " + l.Kind + suffixSubject + " rendered an empty subject")
	}
	return r, nil
}

// oneLine makes s safe for a header: every run of white space and control
// characters (CR and LF above all, which would start a new header) becomes
// one space, and the result is trimmed to at most limit runes.
func oneLine(s string, limit int) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			space = b.Len() > 0
			continue
		}
		if n >= limit {
			break
		}
		if space {
			if n+1 >= limit {
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
