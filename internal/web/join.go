package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/ratelimit"
)

// The join link pages (issue 15). A join link is shared, so following it
// proves nothing about who you are: the page asks for an address and a
// name, the service writes to the address, and the letter's confirmation
// link, followed and confirmed, makes the person a member and hands them
// to the host app as the invitation landing page does.

// Joiner is what the join link pages call (internal/sqlstore).
type Joiner interface {
	OpenJoinLink(ctx context.Context, token string) (*invited.JoinLink, *invited.Organization, error)
	RequestJoinConfirmation(ctx context.Context, token, email, name string) (*invited.JoinConfirmation, error)
	OpenJoinConfirmation(ctx context.Context, secret string) (*invited.JoinConfirmation, *invited.JoinLink, *invited.Organization, error)
	ConfirmJoin(ctx context.Context, secret string) (*invited.JoinConfirmed, error)
}

// joinRoutes are the join link's pages. Like the invitee's, each spends
// the client address's allowance of public token requests, the catch-all
// too. The confirmation link names no join link token (the service keeps
// none), so it lives beside the links: /j/confirm/{secret}.
func (p *Pages) joinRoutes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /j/{token}":           p.joinLink("token", p.showJoin),
		"POST /j/{token}":          p.joinLink("token", p.requestJoin),
		"GET /j/confirm/{secret}":  p.joinLink("secret", p.showConfirmation),
		"POST /j/confirm/{secret}": p.joinLink("secret", p.confirmJoin),
		"/j/":                      p.joinLink("token", func(w http.ResponseWriter, r *http.Request, _ string) { p.unknownJoinLink(w, r) }),
	}
}

// joinLink is link for the join pages, whose unknown link explains itself
// as such.
func (p *Pages) joinLink(name string, serve func(w http.ResponseWriter, r *http.Request, secret string)) http.Handler {
	return p.secretLink(name, p.unknownJoinLink, serve)
}

// joinForm is the join page: what the link's Preview shows, the email
// domains it admits, and the form.
type joinForm struct {
	Token     string
	Org       string
	Inviter   string
	Roles     []string
	ExpiresAt time.Time
	// Restricted is set when only addresses at Domains may join; Domains
	// is empty then when the link's and the organization's have none in
	// common.
	Restricted bool
	Domains    []string
	// Approval is set when an admin decides on each person.
	Approval   bool
	Email      string
	EmailError string
	Name       string
	NameError  string
}

// joinSent is the answer to the form: the letter is on its way.
type joinSent struct {
	Org       string
	Email     string
	ExpiresAt time.Time
}

// joinConfirm is the page of a confirmation link, which asks to confirm:
// a link scanner that opens it changes nothing.
type joinConfirm struct {
	Secret string
	Org    string
	Email  string
	Name   string
	Roles  []string
}

// joinDead is what a join page that cannot go on shows. Org is empty for a
// link or confirmation that opens nothing.
type joinDead struct {
	Status    string
	Org       string
	Inviter   string
	ExpiresAt time.Time
	Domains   []string
	Contact   string
	SignInURL string
	// Locale is the link's own locale ("" when it has none).
	Locale string
}

// joinDeadByCode is the page of an error that stops a join, by code.
var joinDeadByCode = map[string]string{
	invited.EJOINLINKEXHAUSTED:       "exhausted",
	invited.EEXPIRED:                 "expired",
	invited.EREVOKED:                 "revoked",
	invited.EDOMAINNOTALLOWED:        "domain",
	invited.EJOINCONFIRMED:           "confirmed",
	invited.EJOINCONFIRMATIONEXPIRED: "confirmation-expired",
}

// openJoin returns the link token opens, with its organization, while a
// use could succeed. Else it answers the page that explains why not and
// returns ok false.
func (p *Pages) openJoin(w http.ResponseWriter, r *http.Request, token string) (*invited.JoinLink, *invited.Organization, bool) {
	l, org, err := p.deps.Joins.OpenJoinLink(r.Context(), token)
	if err == nil {
		err = l.Usable(p.deps.Now())
	}
	if err != nil {
		p.joinError(w, r, err, l, org, "unknown")
		return nil, nil, false
	}
	return l, org, true
}

// showJoin answers GET /j/{token}.
func (p *Pages) showJoin(w http.ResponseWriter, r *http.Request, token string) {
	l, org, ok := p.openJoin(w, r, token)
	if !ok {
		return
	}
	p.renderJoin(w, r, joinForm{Token: token}, l, org)
}

// renderJoin answers the join page with the form f, filled in with what l
// into org shows; 400 when f has an error.
func (p *Pages) renderJoin(w http.ResponseWriter, r *http.Request, f joinForm, l *invited.JoinLink, org *invited.Organization) {
	f.Org, f.Inviter, f.Roles, f.ExpiresAt = org.DisplayName(), l.Inviter.Name, l.Roles, l.ExpiresAt
	f.Domains = l.AdmittedDomains(org.Settings)
	f.Restricted, f.Approval = f.Domains != nil, l.RequireApproval
	loc := localeOf(r, l.Locale, org)
	pg := page{Template: "join", Title: loc.T("join.page_title", "org", f.Org), Brand: brandOf(org), Data: f, Locale: loc}
	if f.EmailError != "" || f.NameError != "" {
		pg.invalid()
	}
	p.render(w, r, pg)
}

// requestJoin answers POST /j/{token}: it spends the link's allowance of
// uses, as the API's accept does, and sends the confirmation letter. The
// service limits the letters per address.
func (p *Pages) requestJoin(w http.ResponseWriter, r *http.Request, token string) {
	l, org, ok := p.openJoin(w, r, token)
	if !ok {
		return
	}
	if err := ratelimit.Take(r.Context(), p.deps.JoinLimit, string(invited.HashSecret(token)), 1, "This join link is being used too often; try again shortly."); err != nil {
		p.failSaying(w, inLocaleOf(r, l.Locale, org), brandOf(org), err, "error.join_busy")
		return
	}
	f := joinForm{Token: token, Email: r.PostFormValue("email"), Name: r.PostFormValue("name")}
	c, err := p.deps.Joins.RequestJoinConfirmation(r.Context(), token, f.Email, f.Name)
	if e, _ := errors.AsType[*invited.Error](err); e != nil && e.Code == invited.EINVALID && len(e.Fields) > 0 {
		// The service checks the fields; the page shows why next to them.
		loc := localeOf(r, l.Locale, org)
		f.EmailError, f.NameError = fieldProblem(loc, e, "email"), fieldProblem(loc, e, "name")
		p.renderJoin(w, r, f, l, org)
		return
	}
	if err != nil {
		p.joinError(w, r, err, l, org, "unknown")
		return
	}
	loc := localeOf(r, l.Locale, org)
	p.render(w, r, page{Template: "join_sent", Title: loc.T("join_sent.title"), Brand: brandOf(org), Locale: loc,
		Data: joinSent{Org: org.DisplayName(), Email: c.Email, ExpiresAt: c.ExpiresAt}})
}

// openConfirmation returns the confirmation secret opens, with its link
// and organization, while it can be confirmed. Else it answers the page
// that explains why not and returns ok false.
func (p *Pages) openConfirmation(w http.ResponseWriter, r *http.Request, secret string) (*invited.JoinConfirmation, *invited.JoinLink, *invited.Organization, bool) {
	c, l, org, err := p.deps.Joins.OpenJoinConfirmation(r.Context(), secret)
	if err == nil {
		err = c.Check(p.deps.Now())
	}
	if err == nil {
		err = l.Usable(p.deps.Now())
	}
	if err != nil {
		p.joinError(w, r, err, l, org, "confirmation-unknown")
		return nil, nil, nil, false
	}
	return c, l, org, true
}

// showConfirmation answers GET /j/confirm/{secret}: a page that asks to
// confirm, since opening a link must change nothing.
func (p *Pages) showConfirmation(w http.ResponseWriter, r *http.Request, secret string) {
	c, l, org, ok := p.openConfirmation(w, r, secret)
	if !ok {
		return
	}
	loc := localeOf(r, l.Locale, org)
	p.render(w, r, page{Template: "join_confirm", Title: loc.T("join.page_title", "org", org.DisplayName()), Brand: brandOf(org),
		FormActions: handOffActions(org, l.RedirectURL), Locale: loc,
		Data: joinConfirm{Secret: secret, Org: org.DisplayName(), Email: c.Email, Name: c.Name, Roles: l.Roles}})
}

// confirmJoin answers POST /j/confirm/{secret}: the person joins, and goes
// on to the host app with a ticket; through a link that requires approval,
// their join request is filed, and the page says so.
func (p *Pages) confirmJoin(w http.ResponseWriter, r *http.Request, secret string) {
	_, l, org, ok := p.openConfirmation(w, r, secret)
	if !ok {
		return
	}
	done, err := p.deps.Joins.ConfirmJoin(r.Context(), secret)
	if err != nil {
		p.joinError(w, r, err, l, org, "confirmation-unknown")
		return
	}
	if done.Request != nil {
		loc := localeOf(r, l.Locale, org)
		p.render(w, r, page{Template: "join_requested", Title: loc.T("join_requested.title"), Brand: brandOf(org), Locale: loc,
			Data: joinSent{Org: org.DisplayName(), Email: done.User.Email, ExpiresAt: done.Request.ExpiresAt}})
		return
	}
	p.handOff(w, r, done.Organization, l.Locale, done.RedirectURL, done.Ticket)
}

// joinError answers an error that stops a join through l into org (nil
// when it opened nothing): a link or confirmation that opens nothing is
// the page unknown, one that can no longer be used explains why, anything
// else is an error page.
func (p *Pages) joinError(w http.ResponseWriter, r *http.Request, err error, l *invited.JoinLink, org *invited.Organization, unknown string) {
	code := invited.ErrorCode(err)
	status, dead := joinDeadByCode[code]
	switch {
	case code == invited.ENOTFOUND:
		p.renderJoinDead(w, r, http.StatusNotFound, joinDead{Status: unknown}, nil)
	case dead && org != nil:
		httpStatus, _ := httpkit.ErrorStatus(err)
		d := joinDead{Status: status, Org: org.DisplayName(), Inviter: l.Inviter.Name, ExpiresAt: l.ExpiresAt,
			Domains: l.AdmittedDomains(org.Settings), Contact: org.Settings.Contact, SignInURL: signInURL(org), Locale: l.Locale}
		p.renderJoinDead(w, r, httpStatus, d, org)
	case l != nil:
		p.fail(w, inLocaleOf(r, l.Locale, org), brandOf(org), err)
	default:
		p.fail(w, r, brandOf(org), err)
	}
}

// renderJoinDead answers d in org's brand with status.
func (p *Pages) renderJoinDead(w http.ResponseWriter, r *http.Request, status int, d joinDead, org *invited.Organization) {
	loc := localeOf(r, d.Locale, org)
	p.render(w, r, page{Status: status, Template: "join_dead", Title: loc.T("join_dead.title." + d.Status), Brand: brandOf(org), Data: d, Locale: loc})
}

// unknownJoinLink answers a join link token that opens nothing.
func (p *Pages) unknownJoinLink(w http.ResponseWriter, r *http.Request) {
	p.renderJoinDead(w, r, http.StatusNotFound, joinDead{Status: "unknown"}, nil)
}
