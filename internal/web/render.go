package web

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/i18n"
)

// page is one answer: a template and what it shows.
type page struct {
	Status   int    // default 200
	Template string // key of Pages.templates
	Title    string
	Brand    brand
	Data     any
	// FormActions are origins, beyond this service's, where a form of the
	// page may end up after a redirect: the browser applies the
	// Content-Security-Policy form-action to the redirect's target too.
	FormActions []string
	// Wide widens the main column, for pages of tables.
	Wide bool
	// Locale is the language of the page; nil is the reader's
	// (readerLocale).
	Locale *i18n.Locale
}

// invalid makes pg the answer to a form with errors: 400, with a title
// that says so first, as screen readers announce it.
func (pg *page) invalid() {
	pg.Status = http.StatusBadRequest
	pg.Title = cmp.Or(pg.Locale, i18n.English()).T("page.invalid", "title", pg.Title)
}

// view is what the layout gets: the page plus the request's values.
type view struct {
	page
	Nonce string // of the layout's one <style> element
	CSRF  string // the form token every form posts back as csrf_token
}

// brand is how an organization looks on the pages.
type brand struct {
	Name       string
	LogoURL    string
	Accent     string // #rrggbb, the background of buttons
	AccentText string // the text colour on Accent that contrasts most
}

var defaultBrand = brand{Name: "invited", Accent: "#1d4ed8", AccentText: "#ffffff"}

// brandOf returns org's brand; nil gives the service's own.
func brandOf(org *invited.Organization) brand {
	if org == nil {
		return defaultBrand
	}
	b := brand{Name: org.DisplayName(), LogoURL: org.Settings.LogoURL, Accent: org.Settings.AccentColor}
	if b.Accent == "" {
		b.Accent = defaultBrand.Accent
	}
	b.AccentText = textOn(b.Accent)
	return b
}

// textOn returns black or white, whichever contrasts more with the colour
// hex (#rrggbb), by the WCAG relative-luminance formula.
func textOn(hex string) string {
	lum := 0.0
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return "#ffffff"
		}
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		lum += weight * c
	}
	// Contrast with white is 1.05/(lum+0.05), with black (lum+0.05)/0.05.
	if 1.05/(lum+0.05) >= (lum+0.05)/0.05 {
		return "#ffffff"
	}
	return "#000000"
}

// render writes pg. The template runs into a buffer first, so that a
// failing template answers a clean error page instead of half a page.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, pg page) {
	t, v, err := p.newView(w, r, pg)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		p.internal(w, r, err)
		return
	}
	writeHeader(w, v)
	w.Write(buf.Bytes())
}

// stream writes pg as its template runs, for a page whose data produces
// its content while it is written (an upload's report flushes each step).
// Past the first byte there is no clean error page to give: a failing
// template is only logged.
func (p *Pages) stream(w http.ResponseWriter, r *http.Request, pg page) {
	t, v, err := p.newView(w, r, pg)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	writeHeader(w, v)
	if err := t.Execute(w, v); err != nil {
		p.logError(r, err)
	}
}

// newView returns pg's template and what its layout gets.
func (p *Pages) newView(w http.ResponseWriter, r *http.Request, pg page) (*template.Template, view, error) {
	if pg.Locale == nil {
		pg.Locale = readerLocale(r)
	}
	t, ok := p.templates[pg.Locale.Name()][pg.Template]
	if !ok {
		return nil, view{}, fmt.Errorf("no template %q", pg.Template)
	}
	if pg.Brand == (brand{}) {
		pg.Brand = defaultBrand
	}
	return t, view{page: pg, Nonce: newNonce(), CSRF: p.csrfToken(w, r)}, nil
}

// writeHeader sends the headers of the page v, whose nonce the
// Content-Security-Policy names, and its status.
func writeHeader(w http.ResponseWriter, v view) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", contentSecurityPolicy(v.Nonce, v.FormActions))
	w.WriteHeader(cmp.Or(v.Status, http.StatusOK))
}

// contentSecurityPolicy allows only this service's own scripts and styles
// (plus the layout's one <style> by its nonce), https images (logos), and
// no framing: no 'unsafe-inline' anywhere.
func contentSecurityPolicy(nonce string, formActions []string) string {
	return "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-" + nonce + "'; " +
		"img-src 'self' https:; form-action " + strings.Join(append([]string{"'self'"}, formActions...), " ") + "; " +
		"frame-ancestors 'none'; base-uri 'none'"
}

// seeOther redirects to target after a change, or to the only page worth
// showing. Unlike http.Redirect it never writes a body, which would be a
// page without the pages' headers.
func seeOther(w http.ResponseWriter, target string) {
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}

// fail answers err as an error page with the status the API would give
// it, in the reader's language (readerLocale). Internal errors are logged
// and shown without detail.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, b brand, err error) {
	p.failSaying(w, r, b, err, "")
}

// failSaying is fail with the catalog's message key (and its arguments)
// as what the page says. With key "", an English page says err's own
// message and fields, the API's words; a page in another language says
// the catalog's message for err's code (error.code.<code>), as the
// service's messages are English.
func (p *Pages) failSaying(w http.ResponseWriter, r *http.Request, b brand, err error, key string, args ...any) {
	status, ok := httpkit.ErrorStatus(err)
	if !ok {
		p.internal(w, r, err)
		return
	}
	e := err.(*invited.Error)
	if e.RetryAfterSeconds > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfterSeconds))
	}
	loc := readerLocale(r)
	d := errorData{Message: e.Message, Fields: e.Fields}
	switch {
	case key != "":
		d = errorData{Message: loc.T(key, args...)}
	case loc != i18n.English():
		d = errorData{Message: loc.T(cmp.Or(codeKey(e.Code), "error.code.other"))}
	}
	p.render(w, r, page{Status: status, Template: "error", Title: loc.T("error.title"), Brand: b, Data: d, Locale: loc})
}

// fieldProblem is how a form of the pages or the console says, in loc,
// what the service found wrong with its field name: the catalog's
// field.<code> of the field's invited.Problem with its arguments, in the
// plural form of its count "n" if it has one; "" when e names no problem
// with the field. A field without a Problem, which only the API layer
// makes (the shape of its JSON), reads as the service's English.
func fieldProblem(loc *i18n.Locale, e *invited.Error, name string) string {
	p, ok := e.Problems[name]
	if !ok {
		return e.Fields[name]
	}
	if n, ok := p.Arg("n"); ok {
		if n, ok := n.(int); ok {
			return loc.N("field."+p.Code, n, p.Args...)
		}
	}
	return loc.T("field."+p.Code, p.Args...)
}

// fieldProblems are the problems of every field e names, as fieldProblem
// writes them.
func fieldProblems(loc *i18n.Locale, e *invited.Error) map[string]string {
	out := make(map[string]string, len(e.Fields))
	for name := range e.Fields {
		out[name] = fieldProblem(loc, e, name)
	}
	return out
}

// errorData is what an error page says.
type errorData struct {
	Message string
	Fields  map[string]string
}

// codeKey is the catalog's key of the message for an error code that can
// reach a page, or "".
func codeKey(code string) string {
	switch code {
	case invited.EINVALID, invited.EFORBIDDEN, invited.ENOTFOUND, invited.EALREADYMEMBER, invited.EINVALIDSTATE,
		invited.EEMAILMISMATCH, invited.EDOMAINNOTALLOWED, invited.ECONFLICT, invited.ERATELIMITED,
		invited.EUNAVAILABLE, invited.EUPSTREAM:
		return "error.code." + code
	}
	return ""
}

// internal logs err with the request's id and answers a page that names
// nothing but that id.
func (p *Pages) internal(w http.ResponseWriter, r *http.Request, err error) {
	if httpkit.Abandoned(r, err) {
		// Nobody reads this answer; it is recorded, not logged as ours.
		w.WriteHeader(httpkit.StatusClientClosedRequest)
		return
	}
	id := p.logError(r, err)
	loc := readerLocale(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	internalPage.Execute(w, struct{ Lang, Dir, Title, Message string }{
		loc.Name(), loc.Dir(), loc.T("error.title"), loc.T("error.internal", "id", id)})
}

// logError logs an internal error with the request's id and returns the
// id, the one thing about it that may be shown.
func (p *Pages) logError(r *http.Request, err error) string {
	id := httpkit.RequestID(r.Context())
	p.logger.LogAttrs(r.Context(), slog.LevelError, "page error",
		slog.String("request_id", id), slog.String("route", r.Pattern), slog.String("error", err.Error()))
	return id
}

// internalPage stands alone: it must render when the others cannot.
var internalPage = template.Must(template.New("").Parse(
	`<!DOCTYPE html><html lang="{{.Lang}}" dir="{{.Dir}}"><title>{{.Title}}</title><p>{{.Message}}</p></html>`))

// funcs are the templates' helpers in loc: i18n's (t, tn, date, list,
// strong), shortDate, and code and link, markup for arguments of t.
func funcs(loc *i18n.Locale) template.FuncMap {
	f := template.FuncMap(loc.HTMLFuncs())
	f["shortDate"] = loc.ShortDate
	f["code"] = func(s string) template.HTML {
		return template.HTML("<code>" + template.HTMLEscapeString(s) + "</code>")
	}
	f["link"] = func(href string, text template.HTML) template.HTML {
		return template.HTML(`<a href="` + template.HTMLEscapeString(href) + `">` + string(text) + "</a>")
	}
	return f
}

type localeContextKey struct{}

// readerLocale is the language of a page that no invitation or link
// chooses: the one inLocaleOf set on r, else the browser's
// (Accept-Language), else English.
func readerLocale(r *http.Request) *i18n.Locale {
	if loc, ok := r.Context().Value(localeContextKey{}).(*i18n.Locale); ok {
		return loc
	}
	return i18n.Choose(r.Header.Get("Accept-Language"))
}

// localeOf is the language of a page about something of org's whose own
// locale is own ("" when it has none): the first shipped of own and the
// organization's default_locale (Organization.Locales, the list its
// letters carry too), else the browser's, else English.
func localeOf(r *http.Request, own string, org *invited.Organization) *i18n.Locale {
	return i18n.Choose(org.Locales(own), r.Header.Get("Accept-Language"))
}

// inLocaleOf returns r with localeOf(r, own, org) the language of its
// pages, error pages included: those of the console about org, and those
// that go wrong about an invitation, link or invite of org's.
func inLocaleOf(r *http.Request, own string, org *invited.Organization) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), localeContextKey{}, localeOf(r, own, org)))
}
