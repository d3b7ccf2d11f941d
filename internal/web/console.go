package web

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/i18n"
)

// The admin console (issue 5) acts for the API key or user access token an
// admin signs in with: the console can do exactly what the API would let
// the same credential do. Authorization and tenant isolation stay with the
// services, as for the API.
//
// The cookie holds the secret of a console session (issue 13), never the
// API key or access token signed in with: the store keeps the session's
// hash with the key, or the token's user, ends it idle or at its absolute
// expiry (no later than the token's), at sign-out, from the sessions page,
// and when the key is revoked. A user's grants are read again on every
// request, as they would be for the token.

// The session cookie. SameSite=Strict keeps it off every request another
// site starts, and HttpOnly out of reach of scripts; it goes only to the
// console's own paths.
const (
	sessionCookie = "invited_session"
	sessionPath   = "/console"
)

// console serves the admin console's pages.
type console struct{ *Pages }

// consoleRoutes are the admin console's pages.
func (p *Pages) consoleRoutes() map[string]http.Handler {
	c := &console{p}
	routes := map[string]http.Handler{
		"POST /console/sign-in":  http.HandlerFunc(c.signIn),
		"POST /console/sign-out": http.HandlerFunc(c.signOut),
	}
	for pattern, h := range map[string]http.HandlerFunc{
		"GET /console":  c.home,
		"GET /console/": c.notFound,

		"GET /console/orgs/{org}/invitations":         c.inOrg(c.invitations),
		"GET /console/orgs/{org}/invitations/new":     c.inOrg(c.newInvitation),
		"POST /console/orgs/{org}/invitations":        c.inOrg(c.createInvitation),
		"GET /console/orgs/{org}/invitations/upload":  c.inOrg(c.uploadForm),
		"POST /console/orgs/{org}/invitations/upload": c.inOrg(c.upload),
		"GET /console/invitations/{id}/{action}":      c.onInvitation(c.confirm),
		"POST /console/invitations/{id}/{action}":     c.onInvitation(c.perform),

		"GET /console/orgs/{org}/members":         c.inOrg(c.members),
		"GET /console/orgs/{org}/members/{user}":  c.inOrg(c.member),
		"POST /console/orgs/{org}/members/{user}": c.inOrg(c.updateMember),

		"GET /console/orgs/{org}/join-requests":                  c.inOrg(c.joinRequests),
		"POST /console/orgs/{org}/join-requests/{id}/{decision}": c.inOrg(c.decideJoinRequest),

		"GET /console/sessions":           c.sessions,
		"POST /console/sessions/{id}/end": c.endSession,
	} {
		routes[pattern] = c.signedIn(h)
	}
	return routes
}

// frame is what every console page shows around its content: the
// navigation, for the organization the page is about.
type frame struct {
	SignedIn bool
	Org      *invited.Organization // nil on pages above any one organization
	Section  string                // "invitations", "members", "requests" or "sessions": marked current in the navigation
}

// signedIn serves h with the session's actor in the request's context,
// and its console session (currentSession).
func (c *console) signedIn(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cookie, err := r.Cookie(sessionCookie)
		if err != nil || cookie.Value == "" {
			c.signInPage(w, r, signedOutStatus(r), "", comeBack(r))
			return
		}
		actor, session, err := c.deps.Sessions.AuthenticateConsoleSession(r.Context(), cookie.Value)
		switch {
		case invited.ErrorCode(err) == invited.EUNAUTHENTICATED:
			c.setSession(w, "", -1)
			c.signInPage(w, r, signedOutStatus(r), readerLocale(r).T("console.sign_in.ended"), comeBack(r))
			return
		case err != nil:
			// Such as an identity provider that cannot be reached: not
			// the session's fault, so it is kept.
			c.fail(w, r, defaultBrand, err)
			return
		}
		actor.RemoteAddr = c.deps.Credentials.ClientAddr(r)
		ctx := invited.NewContextWithActor(r.Context(), actor)
		h(w, r.WithContext(context.WithValue(ctx, sessionContextKey{}, session)))
	})
}

type sessionContextKey struct{}

// currentSession is the console session of a request signedIn serves.
func currentSession(ctx context.Context) *invited.ConsoleSession {
	s, _ := ctx.Value(sessionContextKey{}).(*invited.ConsoleSession)
	return s
}

// signedOutStatus is the status of the sign-in page shown instead of r's
// answer: the console's front door is the sign-in page, anywhere else a
// missing session is 401.
func signedOutStatus(r *http.Request) int {
	if r.Pattern == "GET /console" {
		return http.StatusOK
	}
	return http.StatusUnauthorized
}

// signInData is the sign-in page's.
type signInData struct {
	frame
	Error string
	// Next is the console page to go on to once signed in.
	Next string
}

// signInPage answers the sign-in form, which goes on to next once signed
// in.
func (c *console) signInPage(w http.ResponseWriter, r *http.Request, status int, problem, next string) {
	c.render(w, r, page{Status: status, Template: "console/sign-in", Title: readerLocale(r).T("action.sign_in"),
		Data: signInData{Error: problem, Next: returnPath(next)}})
}

// comeBack is where to go once signed in from r, which found no session:
// back to its page (a form posted without a session comes back to its
// form, unsent).
func comeBack(r *http.Request) string {
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		return r.URL.Path + "?" + r.URL.RawQuery
	}
	return r.URL.Path
}

// signIn checks the credential exactly as the API would, and starts a
// console session, whose secret the cookie keeps.
func (c *console) signIn(w http.ResponseWriter, r *http.Request) {
	credential := strings.TrimSpace(r.PostFormValue("credential"))
	next := returnPath(r.PostFormValue("next"))
	session, secret, err := c.startSession(r.Context(), credential)
	switch {
	case invited.ErrorCode(err) == invited.EUNAUTHENTICATED:
		c.signInPage(w, r, http.StatusUnauthorized, readerLocale(r).T("console.sign_in.rejected"), next)
		return
	case err != nil:
		c.fail(w, r, defaultBrand, err)
		return
	}
	c.setSession(w, secret, int(session.ExpiresAt.Sub(session.CreatedAt)/time.Second))
	if next == "" {
		next = sessionPath
	}
	seeOther(w, next)
}

// startSession resolves credential as the API would and starts a console
// session for it, ending no later than the credential does.
func (c *console) startSession(ctx context.Context, credential string) (*invited.ConsoleSession, string, error) {
	actor, notAfter, err := c.deps.Credentials.SignIn(ctx, credential)
	if err != nil {
		return nil, "", err
	}
	return c.deps.Sessions.CreateConsoleSession(invited.NewContextWithActor(ctx, actor), notAfter)
}

// signOut ends the console session on the server and deletes the cookie.
// The API key itself stays valid: it is the API's, to be revoked there.
func (c *console) signOut(w http.ResponseWriter, r *http.Request) {
	if cookie, err := r.Cookie(sessionCookie); err == nil && cookie.Value != "" {
		actor, session, err := c.deps.Sessions.AuthenticateConsoleSession(r.Context(), cookie.Value)
		if err == nil {
			err = c.deps.Sessions.EndConsoleSession(invited.NewContextWithActor(r.Context(), actor), session.ID)
		}
		if err != nil && invited.ErrorCode(err) != invited.EUNAUTHENTICATED && invited.ErrorCode(err) != invited.ENOTFOUND {
			c.fail(w, r, defaultBrand, err)
			return
		}
	}
	c.setSession(w, "", -1)
	seeOther(w, sessionPath)
}

// setSession sets the session cookie to value for maxAge seconds; a
// negative maxAge deletes it.
func (c *console) setSession(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: value, Path: sessionPath, MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode,
	})
}

// returnPath returns next if it is a console page to go back to, else "":
// it comes from a form, and must never send anyone to another site.
func returnPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || !strings.HasPrefix(next, sessionPath+"/") || strings.Contains(next, `\`) || u.Host != "" {
		return ""
	}
	return next
}

// orgList is the page of organizations.
type orgList struct {
	frame
	Orgs     []*invited.Organization
	NextPage string
}

// home lists the organizations the actor can see, or goes straight to the
// only one.
func (c *console) home(w http.ResponseWriter, r *http.Request) {
	r = c.keyOrgLocale(r)
	token := r.URL.Query().Get("page_token")
	orgs, next, err := c.deps.Orgs.FindOrganizations(r.Context(), invited.OrganizationFilter{Page: invited.Page{PageToken: token}})
	if err != nil {
		c.fail(w, r, defaultBrand, err)
		return
	}
	if len(orgs) == 1 && token == "" && next == "" {
		seeOther(w, orgPath(orgs[0].ID, "/invitations"))
		return
	}
	data := orgList{frame: frame{SignedIn: true}, Orgs: orgs}
	if next != "" {
		data.NextPage = pageURL(sessionPath, url.Values{"page_token": {next}})
	}
	c.render(w, r, page{Template: "console/orgs", Title: readerLocale(r).T("console.nav.orgs"), Data: data})
}

// notFound answers a console path that names no page.
func (c *console) notFound(w http.ResponseWriter, r *http.Request) {
	c.failSaying(w, r, defaultBrand, invited.Errorf(invited.ENOTFOUND, "There is no such page in the console."), "console.not_found")
}

// keyOrgLocale is inLocaleOf for a console page about no organization:
// that of the organization an organization-bound key signed in to, if
// any.
func (c *console) keyOrgLocale(r *http.Request) *http.Request {
	if id := invited.ActorFromContext(r.Context()).KeyOrgID; id != "" {
		if org, err := c.deps.Orgs.FindOrganizationByID(r.Context(), id); err == nil {
			return inLocaleOf(r, "", org)
		}
	}
	return r
}

// orgHandler serves a page about one organization.
type orgHandler func(w http.ResponseWriter, r *http.Request, org *invited.Organization)

// inOrg serves h with the organization of the path's {org}, in its
// language (inLocaleOf: its default_locale, else the browser's); one the
// actor cannot see is not_found, as in the API.
func (c *console) inOrg(h orgHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		org, err := c.deps.Orgs.FindOrganizationByID(r.Context(), r.PathValue("org"))
		if err != nil {
			c.fail(w, r, defaultBrand, err)
			return
		}
		h(w, inLocaleOf(r, "", org), org)
	}
}

// orgPage is a page about org in section of the navigation.
func orgPage(org *invited.Organization, section string) frame {
	return frame{SignedIn: true, Org: org, Section: section}
}

// orgPath is the path of an organization's console page: rest is what
// follows /console/orgs/{org}.
func orgPath(orgID, rest string) string {
	return "/console/orgs/" + url.PathEscape(orgID) + rest
}

// pageURL is path with the non-empty values of q as its query.
func pageURL(path string, q url.Values) string {
	for k, v := range q {
		if len(v) == 0 || v[0] == "" {
			delete(q, k)
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// notices are what a page says after a change redirected to it, by the
// done= value of the redirect: the catalog's console.notice.<done>, fixed
// texts, so that a link cannot make the console say anything else.
var notices = []string{"revoked", "resent", "renewed", "roles", "ended", "approved", "denied"}

// notice is the notice of r's done= value, or "".
func notice(r *http.Request) string {
	done := r.URL.Query().Get("done")
	if !slices.Contains(notices, done) {
		return ""
	}
	return readerLocale(r).T("console.notice." + done)
}

// problem is how err reads beside a form or in a table cell: its message,
// or the problems of the fields it names. An internal error is logged and
// named by the request's id alone.
func (c *console) problem(r *http.Request, err error) string {
	if _, ok := httpkit.ErrorStatus(err); !ok {
		return readerLocale(r).T("console.problem.internal", "id", c.logError(r, err))
	}
	e, _ := errors.AsType[*invited.Error](err)
	loc := readerLocale(r)
	if len(e.Fields) == 0 {
		return consoleMessage(loc, e)
	}
	parts := make([]string, 0, len(e.Fields))
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		parts = append(parts, f+": "+fieldProblem(loc, e, f))
	}
	return strings.Join(parts, "; ")
}

// consoleMessage is what the console says, in loc, of e, which names no
// field: its own words for the refusals of the service an admin meets
// when inviting (the invitee is invited or a member already), else e's
// message, which the console's own refusals (an upload's CSV) write in
// the reader's language.
func consoleMessage(loc *i18n.Locale, e *invited.Error) string {
	switch e.Code {
	case invited.EINVITATIONEXISTS, invited.EALREADYMEMBER:
		return loc.T("console.problem." + e.Code)
	}
	return e.Message
}

// spendCreate spends one of the organization's allowance of created
// invitations, the same allowance the API spends (httpkit.SpendCreates).
func (c *console) spendCreate(r *http.Request, orgID string) error {
	err := httpkit.SpendCreates(r.Context(), c.deps.CreateLimit, orgID, invited.PermInvitationsCreate, 1)
	if e, ok := errors.AsType[*invited.Error](err); ok {
		// A row of the upload report has no Retry-After header of its
		// own: the wait goes into the message.
		e.Message = readerLocale(r).N("console.problem.rate_limited", e.RetryAfterSeconds)
	}
	return err
}

// lifetime writes d as the forms take it back: whole days as "7d", else
// as Go writes durations ("36h0m0s").
func lifetime(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.Itoa(int(d/day)) + "d"
	}
	return d.String()
}

// parseLifetime reads a form's expires_in: nil when empty (the
// organization's default), else a duration, or a problem added to f.
func parseLifetime(r *http.Request, f invited.FieldErrors) *invited.Duration {
	s := strings.TrimSpace(r.PostFormValue("expires_in"))
	if s == "" {
		return nil
	}
	d, err := invited.ParseDuration(s)
	if err != nil {
		f.Add("expires_in", invited.Problemf("duration_format"))
		return nil
	}
	return &d
}
