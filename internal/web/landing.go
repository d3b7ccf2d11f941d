package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/ratelimit"
)

// maxTokenLength bounds a path token, as the API does: real ones are far
// shorter, and anything longer is not worth hashing to find out.
const maxTokenLength = 256

// landingRoutes are the invitee's pages. Every one of them spends the
// client address's allowance of the API's public token requests, the
// catch-all too: guessing paths is guessing tokens.
func (p *Pages) landingRoutes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /i/{token}":          p.link("token", p.showLanding),
		"POST /i/{token}/accept":  p.link("token", p.acceptLanding),
		"POST /i/{token}/decline": p.link("token", p.declineLanding),
		// A bare /i/ or an unknown sub-path is a token that opens nothing.
		"/i/": p.link("token", func(w http.ResponseWriter, r *http.Request, _ string) { p.unknownLink(w, r) }),
	}
}

// public serves a page that anyone holding a link may open: it spends one
// request of the client address's allowance of the API's public token
// requests, and puts an anonymous actor with that address in the context
// (for the audit trail).
func (p *Pages) public(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := p.deps.Credentials.ClientAddr(r)
		if err := ratelimit.Take(r.Context(), p.deps.PublicLimit, addr, 1, httpkit.PublicLimitMessage); err != nil {
			p.failSaying(w, r, defaultBrand, err, "error.code.rate_limited")
			return
		}
		next.ServeHTTP(w, r.WithContext(invited.NewContextWithActor(r.Context(), &invited.Actor{RemoteAddr: addr})))
	})
}

// link serves a public page of a link's secret, the path value name (an
// invitation token, an app code): it hands over the secret, or answers the
// unknown-link page for a value that cannot be one.
func (p *Pages) link(name string, serve func(w http.ResponseWriter, r *http.Request, secret string)) http.Handler {
	return p.secretLink(name, p.unknownLink, serve)
}

// secretLink is link, answering a value that cannot be a secret with
// unknown.
func (p *Pages) secretLink(name string, unknown http.HandlerFunc, serve func(w http.ResponseWriter, r *http.Request, secret string)) http.Handler {
	return p.public(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := r.PathValue(name)
		if secret == "" || len(secret) > maxTokenLength {
			unknown(w, r)
			return
		}
		serve(w, r, secret)
	}))
}

// landing is what the landing page shows: the public preview of the
// invitation (DESIGN.md §4) and nothing else about the invitee but the
// name to prefill. It is built field by field, never from the invitation
// as a whole, so that no template can reach the email, phone or metadata.
type landing struct {
	Token     string
	Org       string
	Inviter   string
	FirstName string
	Roles     []string
	Message   string
	ExpiresAt time.Time
	// ByEmail invitations are accepted on the page; the others are handed
	// to the host app's SignInURL ("" when the organization has none).
	ByEmail   bool
	SignInURL string
	Name      string // the name field's value
	NameError string
}

// dead is what the dead-link page shows. Org is "" for an unknown token.
type dead struct {
	// Status is expired, revoked, accepted or declined, or ended for an
	// app invite whose connection was made and later ended.
	Status    string
	Org       string
	Inviter   string
	ExpiresAt time.Time
	Contact   string
	SignInURL string
	// JustDeclined is set on the answer to the invitee's own decline.
	JustDeclined bool
	// Locale is the link's own locale ("" when it has none).
	Locale string
}

// joined is what the accepted page shows.
type joined struct {
	Org       string
	SignInURL string
}

// deadByStatus is how a link to an invitation in s explains itself, or
// "" while it is live. An archived invitation was accepted first; a draft
// has no link, so a token that opens one is as good as withdrawn.
func deadByStatus(s invited.Status) string {
	switch s {
	case invited.StatusPending:
		return ""
	case invited.StatusAccepted, invited.StatusArchived:
		return "accepted"
	case invited.StatusExpired, invited.StatusDeclined:
		return string(s)
	}
	return "revoked"
}

// deadByError is how a link explains an accept or decline that found it
// dead in the meantime, or "" for any other error.
func deadByError(err error) string {
	switch invited.ErrorCode(err) {
	case invited.EEXPIRED:
		return "expired"
	case invited.EREVOKED:
		return "revoked"
	case invited.EDECLINED:
		return "declined"
	case invited.EALREADYACCEPTED:
		return "accepted"
	}
	return ""
}

// open returns the invitation token opens, with its organization. When
// the link is unknown or no longer live it answers the dead-link page
// itself and returns ok false.
func (p *Pages) open(w http.ResponseWriter, r *http.Request, token string) (inv *invited.Invitation, org *invited.Organization, ok bool) {
	inv, org, err := p.deps.Links.OpenInvitationLink(r.Context(), token)
	switch {
	case invited.ErrorCode(err) == invited.ENOTFOUND:
		p.unknownLink(w, r)
		return nil, nil, false
	case err != nil:
		p.fail(w, r, defaultBrand, err)
		return nil, nil, false
	}
	// The store reports the status as of now: an overdue invitation
	// reads as expired before the sweeper has written it down.
	if status := deadByStatus(inv.Status); status != "" {
		p.deadLink(w, r, status, inv, org)
		return nil, nil, false
	}
	return inv, org, true
}

// showLanding answers GET /i/{token}.
func (p *Pages) showLanding(w http.ResponseWriter, r *http.Request, token string) {
	inv, org, ok := p.open(w, r, token)
	if !ok {
		return
	}
	p.renderLanding(w, r, token, inv, org, strings.TrimSpace(inv.FirstName+" "+inv.LastName), "")
}

// renderLanding answers the landing page, with nameError next to the name
// field when it is not empty.
func (p *Pages) renderLanding(w http.ResponseWriter, r *http.Request, token string, inv *invited.Invitation, org *invited.Organization, name, nameError string) {
	l := landing{
		Token:     token,
		Org:       org.DisplayName(),
		Inviter:   inv.Inviter.Name,
		FirstName: inv.FirstName,
		Roles:     inv.Roles,
		Message:   inv.Message,
		ExpiresAt: inv.ExpiresAt,
		ByEmail:   inv.Email != "",
		Name:      name,
		NameError: nameError,
	}
	var formActions []string
	if l.ByEmail {
		formActions = handOffActions(org, inv.RedirectURL)
	} else if u := signInURL(org); u != "" {
		// RedirectAllowed parsed u, so adding to its query cannot fail.
		l.SignInURL, _ = withQuery(u, "invitation_token", token)
	}
	loc := localeOf(r, inv.Locale, org)
	pg := page{Template: "landing", Title: loc.T("landing.page_title"), Brand: brandOf(org), Data: l, FormActions: formActions, Locale: loc}
	if nameError != "" {
		pg.invalid()
	}
	p.render(w, r, pg)
}

// acceptLanding answers POST /i/{token}/accept: an email invitee accepts
// under the name they give, and goes on to the host app with a ticket.
func (p *Pages) acceptLanding(w http.ResponseWriter, r *http.Request, token string) {
	inv, org, ok := p.open(w, r, token)
	if !ok {
		return
	}
	name := r.PostFormValue("name")
	acc, err := p.deps.Links.AcceptInvitationByLink(r.Context(), token, name)
	switch e, _ := errors.AsType[*invited.Error](err); {
	case e != nil && e.Code == invited.EINVALID && e.Fields["name"] != "":
		// The service checks the name; the page shows why next to it.
		p.renderLanding(w, r, token, inv, org, name, fieldProblem(localeOf(r, inv.Locale, org), e, "name"))
		return
	case err != nil:
		p.linkError(w, r, err, inv, org)
		return
	}
	p.handOff(w, r, org, inv.Locale, acc.RedirectURL, acc.Ticket)
}

// handOffActions are the form-action origins of a page whose form ends in
// handOff to redirectURL (or the organization's default): the browser
// holds the redirect to the host app to the page's form-action.
func handOffActions(org *invited.Organization, redirectURL string) []string {
	if origin := originOf(org.Settings.LandingURL(redirectURL)); origin != "" {
		return []string{origin}
	}
	return nil
}

// handOff ends a join on the pages, by invitation or by join link: it
// sends the person to the host app at redirectURL with the ticket t, or
// answers the joined page, in the locale of the invitation or join link
// (locale), when there is nowhere to go.
func (p *Pages) handOff(w http.ResponseWriter, r *http.Request, org *invited.Organization, locale, redirectURL string, t *invited.AcceptanceTicket) {
	if redirectURL == "" || !org.Settings.RedirectAllowed(redirectURL) {
		// The service chose the redirect against the allowlist as it
		// stood then; the organization read before must agree as well.
		p.renderJoined(w, r, org, locale)
		return
	}
	if t == nil {
		p.internal(w, r, errors.New("joined on the page without a ticket"))
		return
	}
	ticket, err := p.deps.Tickets.Sign(r.Context(), t)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	target, err := withQuery(redirectURL, "ticket", ticket)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	seeOther(w, target)
}

// renderJoined answers an accept that has nowhere to send the invitee:
// they joined, and sign in to the host app themselves. (A member who
// accepts again joins too: the service merges the roles.)
func (p *Pages) renderJoined(w http.ResponseWriter, r *http.Request, org *invited.Organization, locale string) {
	loc := localeOf(r, locale, org)
	p.render(w, r, page{Template: "accepted", Title: loc.T("joined.title", "org", org.DisplayName()), Brand: brandOf(org),
		Data: joined{Org: org.DisplayName(), SignInURL: signInURL(org)}, Locale: loc})
}

// declineLanding answers POST /i/{token}/decline.
func (p *Pages) declineLanding(w http.ResponseWriter, r *http.Request, token string) {
	inv, org, ok := p.open(w, r, token)
	if !ok {
		return
	}
	if _, err := p.deps.Links.DeclineInvitation(r.Context(), token); err != nil {
		p.linkError(w, r, err, inv, org)
		return
	}
	d := deadData("declined", inv, org)
	d.JustDeclined = true
	p.renderDead(w, r, d, org)
}

// linkError answers an accept or decline that failed: a link that died
// in the meantime (or was never there) explains itself, anything else is
// an error page.
func (p *Pages) linkError(w http.ResponseWriter, r *http.Request, err error, inv *invited.Invitation, org *invited.Organization) {
	if invited.ErrorCode(err) == invited.ENOTFOUND {
		p.unknownLink(w, r)
		return
	}
	if status := deadByError(err); status != "" {
		p.deadLink(w, r, status, inv, org)
		return
	}
	p.fail(w, inLocaleOf(r, inv.Locale, org), brandOf(org), err)
}

// unknownLink answers a token that opens nothing exactly as a revoked
// one, minus what only an organization could add: the page must not tell
// a guesser whether a token ever existed.
func (p *Pages) unknownLink(w http.ResponseWriter, r *http.Request) {
	p.renderDead(w, r, deadData("revoked", nil, nil), nil)
}

// deadLink answers the page of a link that can no longer be accepted.
func (p *Pages) deadLink(w http.ResponseWriter, r *http.Request, status string, inv *invited.Invitation, org *invited.Organization) {
	p.renderDead(w, r, deadData(status, inv, org), org)
}

// renderDead answers d in org's brand: 409 for an invitation accepted
// already and 410 for the other dead links, as the API answers an accept,
// but 200 for the invitee's own decline, which did what they asked.
func (p *Pages) renderDead(w http.ResponseWriter, r *http.Request, d dead, org *invited.Organization) {
	status := http.StatusGone
	switch {
	case d.JustDeclined:
		status = http.StatusOK
	case d.Status == "accepted":
		status = http.StatusConflict
	}
	loc := localeOf(r, d.Locale, org)
	p.render(w, r, page{Status: status, Template: "dead", Title: loc.T("dead.title."+d.Status, "org", d.Org), Brand: brandOf(org),
		Data: d, Locale: loc})
}

// deadData is what the dead-link page shows of inv and org (both nil for
// an unknown token).
func deadData(status string, inv *invited.Invitation, org *invited.Organization) dead {
	d := dead{Status: status}
	if org != nil {
		d.Org, d.Inviter, d.ExpiresAt = org.DisplayName(), inv.Inviter.Name, inv.ExpiresAt
		d.Contact, d.SignInURL, d.Locale = org.Settings.Contact, signInURL(org), inv.Locale
	}
	return d
}

// signInURL is the organization's sign-in page, or "" when it has none or
// its allowlist no longer admits it.
func signInURL(org *invited.Organization) string {
	if u := org.Settings.SignInURL; u != "" && org.Settings.RedirectAllowed(u) {
		return u
	}
	return ""
}

// withQuery returns rawURL with key=value set in its query, keeping the
// parameters it already has.
func withQuery(rawURL, key, value string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// originOf returns the scheme://host of rawURL, or "" for a URL that is
// not absolute.
func originOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
