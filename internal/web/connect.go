package web

import (
	"cmp"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/connect"
)

// The partner's pages of an app invite (issue 6): the landing page of the
// link, the start of the authorization at the external platform, and the
// page the platform sends the browser back to.

// browserCookie keeps the browser's secret, to which each authorization
// started in that browser is bound: the platform's redirect back is
// finished only where the authorization began, so a stolen or forwarded
// callback URL is worth nothing.
const browserCookie = "invited_connect"

// browserSecretLength is the length of a browser secret: rand.Text's, 26
// base32 characters (130 bits).
const browserSecretLength = 26

// connectRoutes are the partner's pages. Like the invitee's, each spends
// the client address's allowance of public token requests: the callback
// too, since its state is a secret as well.
func (p *Pages) connectRoutes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /a/{code}":            p.link("code", p.showAppInvite),
		"POST /a/{code}/authorize": p.link("code", p.authorizeAppInvite),
		// A GET changes nothing (a mail scanner follows links): this one
		// only leads back to the landing page and its button.
		"GET /a/{code}/authorize": p.link("code", func(w http.ResponseWriter, r *http.Request, code string) {
			seeOther(w, "/a/"+code)
		}),
		// A bare /a/ or an unknown sub-path is a code that opens nothing.
		"/a/":                         p.link("code", func(w http.ResponseWriter, r *http.Request, _ string) { p.unknownLink(w, r) }),
		"GET " + connect.CallbackPath: p.public(http.HandlerFunc(p.connectCallback)),
	}
}

// appLanding is what the app invite's landing page shows: the public
// preview of the invite, with the scopes the platform will ask for. It is
// built field by field, never from the invite as a whole, so that no
// template can reach the partner's address or the inviter's note.
type appLanding struct {
	Code        string
	Org         string
	App         string
	Description string
	Inviter     string
	Scopes      []string
	ExpiresAt   time.Time
}

// connection is what the connected page shows.
type connection struct {
	Org       string
	App       string
	AccountID string // the account's id at the platform, when known
	Contact   string
	// Already is set when the link had been used before: this visit
	// connected nothing.
	Already bool
}

// connectFailure is what the page of an authorization that connected
// nothing shows.
type connectFailure struct {
	Reason    string // denied, platform or invalid
	Org       string
	App       string
	ExpiresAt time.Time
	// Code and Description are the platform's error, for Reason platform.
	Code        string
	Description string
}

// openAppInvite returns what code opens while its invite is pending. When
// the link is unknown or no longer pending it answers the page of that
// itself and returns ok false.
func (p *Pages) openAppInvite(w http.ResponseWriter, r *http.Request, code string) (*invited.Authorization, bool) {
	a, err := p.deps.Connections.OpenAppInviteLink(r.Context(), code)
	switch {
	case invited.ErrorCode(err) == invited.ENOTFOUND:
		// Exactly the invitee's unknown link: a guesser learns nothing
		// about which kind of link a path might have been.
		p.unknownLink(w, r)
		return nil, false
	case err != nil:
		p.fail(w, r, defaultBrand, err)
		return nil, false
	case a.Invite.Status != invited.AppInvitePending:
		// The store reports the status as of now: an overdue invite
		// reads as expired before the sweeper has written it down.
		p.closedAppInvite(w, r, a)
		return nil, false
	}
	return a, true
}

// showAppInvite answers GET /a/{code}.
func (p *Pages) showAppInvite(w http.ResponseWriter, r *http.Request, code string) {
	a, ok := p.openAppInvite(w, r, code)
	if !ok {
		return
	}
	// The button's answer redirects to the platform's authorization
	// endpoint, and the browser holds that redirect to this page's
	// form-action: the endpoint's origin, or, when the platform is
	// discovered, its discovery document's, where OpenID providers serve
	// their authorization endpoint (docs/app-invites.md).
	var formActions []string
	if origin := originOf(cmp.Or(a.App.OAuth.AuthorizationURL, a.App.OAuth.DiscoveryURL)); origin != "" {
		formActions = []string{origin}
	}
	loc := localeOf(r, a.Invite.Locale, a.Org)
	p.render(w, r, page{Template: "app_landing", Title: loc.T("app.page_title", "app", a.App.Name), Brand: brandOf(a.Org), FormActions: formActions, Locale: loc, Data: appLanding{
		Code:        code,
		Org:         a.Org.DisplayName(),
		App:         a.App.Name,
		Description: a.App.Description,
		Inviter:     a.Invite.Inviter.Name,
		Scopes:      a.App.OAuth.Scopes,
		ExpiresAt:   a.Invite.ExpiresAt,
	}})
}

// authorizeAppInvite answers POST /a/{code}/authorize, the landing page's
// button: it starts an authorization bound to this browser and sends the
// browser to the platform. A POST, because it stores the authorization
// (its state and PKCE verifier): nothing a link scanner's GET may do.
func (p *Pages) authorizeAppInvite(w http.ResponseWriter, r *http.Request, code string) {
	a, ok := p.openAppInvite(w, r, code)
	if !ok {
		return
	}
	target, err := p.deps.Connect.Authorize(r.Context(), code, p.browserSecret(w, r))
	switch errCode := invited.ErrorCode(err); {
	case err == nil:
		seeOther(w, target)
	case errCode == invited.ENOTFOUND:
		p.unknownLink(w, r)
	case errCode == invited.EINVALIDSTATE:
		// The invite left pending since it was opened above: its page
		// now says why.
		p.showAppInvite(w, r, code)
	case errCode == invited.EUNAVAILABLE:
		// The service cannot keep the connection (no encryption key
		// configured, say): the operator's business, which the log
		// tells them; the partner learns only that it is not them.
		p.logError(r, err)
		p.failSaying(w, inLocaleOf(r, a.Invite.Locale, a.Org), brandOf(a.Org), err,
			"error.app_unavailable", "app", a.App.Name, "org", a.Org.DisplayName())
	default:
		p.fail(w, inLocaleOf(r, a.Invite.Locale, a.Org), brandOf(a.Org), err)
	}
}

// browserSecret returns this browser's secret, setting the cookie when it
// has none yet. An existing secret is kept, so that two tabs that started
// an authorization each may finish both, but its cookie is set again: it
// must outlive the authorization about to start.
func (p *Pages) browserSecret(w http.ResponseWriter, r *http.Request) string {
	secret, ok := browserSecretOf(r)
	if !ok {
		secret = rand.Text()
	}
	// SameSite Lax, not Strict: the platform's redirect back is a
	// top-level GET from another site, which Strict would send without
	// the cookie.
	http.SetCookie(w, &http.Cookie{
		Name: browserCookie, Value: secret, Path: "/", MaxAge: int(invited.AuthorizationTTL / time.Second),
		HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode,
	})
	return secret
}

// browserSecretOf returns the browser's secret from its cookie, and
// whether there is one this service could have set.
func browserSecretOf(r *http.Request) (string, bool) {
	c, err := r.Cookie(browserCookie)
	if err != nil || len(c.Value) != browserSecretLength || strings.ContainsFunc(c.Value, notBase32) {
		return "", false
	}
	return c.Value, true
}

// notBase32 reports whether c is outside rand.Text's alphabet.
func notBase32(c rune) bool { return (c < 'A' || c > 'Z') && (c < '2' || c > '7') }

// connectCallback answers GET /oauth/callback, where the platform sends
// the browser back with the authorization's outcome. Its URL carries the
// code and the state: the pages' Referrer-Policy keeps them from the next
// site, and none of these pages links anywhere else.
func (p *Pages) connectCallback(w http.ResponseWriter, r *http.Request) {
	browser, ok := browserSecretOf(r)
	if !ok {
		// Started in another browser, or so long ago that the cookie
		// is gone: either way not this browser's to finish.
		p.connectFailed(w, r, nil, nil)
		return
	}
	a, prof, err := p.deps.Connect.Callback(r.Context(), r.URL.Query(), browser)
	pe, _ := errors.AsType[*connect.PlatformError](err)
	switch errCode := invited.ErrorCode(err); {
	case err == nil:
		loc := localeOf(r, a.Invite.Locale, a.Org)
		p.render(w, r, page{Template: "connected", Title: loc.T("connected.title"), Brand: brandOf(a.Org), Locale: loc, Data: connection{
			Org: a.Org.DisplayName(), App: a.App.Name, AccountID: prof.ExternalAccountID, Contact: a.Org.Settings.Contact,
		}})
	case pe != nil:
		p.connectFailed(w, r, a, pe)
	case errCode == invited.ENOTFOUND, errCode == invited.EINVALID:
		// An unknown, used or expired state, one of another browser, or
		// no state at all.
		p.connectFailed(w, r, a, nil)
	case errCode == invited.EINVALIDSTATE && a != nil && a.Invite.Status != invited.AppInvitePending:
		// The invite left pending while the partner was at the
		// platform: connected meanwhile in another tab, revoked, or
		// expired.
		p.closedAppInvite(w, r, a)
	case a != nil:
		p.fail(w, inLocaleOf(r, a.Invite.Locale, a.Org), brandOf(a.Org), err)
	default:
		p.fail(w, r, defaultBrand, err)
	}
}

// connectFailed answers the page of an authorization that connected
// nothing: refused or failed at the platform (pe), or, with pe nil, not
// valid here. a is the authorization, nil when it is not known; the page
// is in its organization's brand when it is.
func (p *Pages) connectFailed(w http.ResponseWriter, r *http.Request, a *invited.Authorization, pe *connect.PlatformError) {
	f := connectFailure{Reason: "invalid"}
	locale := ""
	if a != nil {
		f.Org, f.App, f.ExpiresAt = a.Org.DisplayName(), a.App.Name, a.Invite.ExpiresAt
		locale = a.Invite.Locale
	}
	status := http.StatusBadRequest
	switch {
	case pe == nil:
	case pe.Denied():
		// The partner's own choice: the page did what they asked.
		f.Reason, status = "denied", http.StatusOK
	default:
		f.Reason, f.Code, f.Description = "platform", pe.Code, pe.Description
		status = http.StatusBadGateway
	}
	loc := localeOf(r, locale, orgOf(a))
	p.render(w, r, page{Status: status, Template: "connect_failed", Title: loc.T("connect_failed.title."+f.Reason, "app", f.App),
		Brand: brandOf(orgOf(a)), Data: f, Locale: loc})
}

// closedAppInvite answers the page of a link whose invite is no longer
// pending. An expired or withdrawn link explains itself as an invitation
// does; one used already says there is nothing left to do.
func (p *Pages) closedAppInvite(w http.ResponseWriter, r *http.Request, a *invited.Authorization) {
	org := a.Org
	if a.Invite.Status == invited.AppInviteActive {
		loc := localeOf(r, a.Invite.Locale, org)
		p.render(w, r, page{Status: http.StatusConflict, Template: "connected", Title: loc.T("connected.already_title"), Brand: brandOf(org),
			Locale: loc, Data: connection{Org: org.DisplayName(), App: a.App.Name, Contact: org.Settings.Contact, Already: true}})
		return
	}
	// Revoked, or archived: over either way. An archived invite that
	// connected was ended by the organization, which the page says.
	d := dead{Status: "revoked", Org: org.DisplayName(), Contact: org.Settings.Contact, Locale: a.Invite.Locale}
	switch {
	case a.Invite.Status == invited.AppInviteExpired:
		d.Status, d.Inviter, d.ExpiresAt = "expired", a.Invite.Inviter.Name, a.Invite.ExpiresAt
	case a.Invite.Status == invited.AppInviteArchived && a.Invite.ActivatedAt != nil:
		d.Status = "ended"
	}
	p.renderDead(w, r, d, org)
}

// orgOf returns a's organization, or nil when the authorization is not
// known.
func orgOf(a *invited.Authorization) *invited.Organization {
	if a == nil {
		return nil
	}
	return a.Org
}
