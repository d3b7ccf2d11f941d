// Package web serves the hosted pages (DESIGN.md §5): the invitee's
// landing page at /i/{token}, the join link pages at /j/{token}, the
// partner's app invite pages at /a/{code} and /oauth/callback, and the
// admin console at /console. Pages are rendered on the server with html/template from embedded files and work
// without JavaScript; nothing is loaded from another site.
//
// The pages call the same services as the JSON API, with the same actors:
// the landing page acts for the holder of the link (an actor with no
// rights), the console for the API key of its console session or the user
// access token its session cookie keeps, resolved by the API's Credentials.
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/i18n"
	"github.com/invitedhq/invited/internal/ratelimit"
)

//go:embed templates assets
var files embed.FS

// TicketSigner signs acceptance tickets (internal/ticket).
type TicketSigner interface {
	Sign(ctx context.Context, t *invited.AcceptanceTicket) (string, error)
}

// Connector drives the partner's authorization at an external platform
// (internal/connect).
type Connector interface {
	Authorize(ctx context.Context, code, browser string) (string, error)
	Callback(ctx context.Context, query url.Values, browser string) (*invited.Authorization, *invited.Profile, error)
}

// InvitationLinks is what the invitee's landing page calls: a link
// opened, accepted or declined by its holder.
type InvitationLinks interface {
	OpenInvitationLink(ctx context.Context, token string) (*invited.Invitation, *invited.Organization, error)
	AcceptInvitationByLink(ctx context.Context, token, name string) (*invited.Acceptance, error)
	DeclineInvitation(ctx context.Context, token string) (*invited.Invitation, error)
}

// Invitations is what the console calls of the invitations it lists,
// creates, uploads and changes.
type Invitations interface {
	FindInvitations(ctx context.Context, f invited.InvitationFilter) ([]*invited.Invitation, string, error)
	FindInvitationByID(ctx context.Context, id string) (*invited.Invitation, error)
	CreateInvitation(ctx context.Context, orgID string, c invited.InvitationCreate) (*invited.Invitation, string, error)
	CreateInvitations(ctx context.Context, orgID string, cs []invited.InvitationCreate) ([]invited.BatchResult, error)
	ResendInvitation(ctx context.Context, id string) (*invited.Invitation, string, error)
	RenewInvitation(ctx context.Context, id string, r invited.Renewal) (*invited.Invitation, error)
	RevokeInvitation(ctx context.Context, id string) (*invited.Invitation, error)
}

// Deps is what the pages need. Each page depends on what it calls (the
// interfaces above, Joiner, JoinRequests), not on the services whole.
type Deps struct {
	Orgs    invited.OrganizationService
	Members invited.MemberService
	Roles   invited.RoleService
	// Links serves the landing page, Invitations the console's pages.
	Links       InvitationLinks
	Invitations Invitations
	// Joins serves the join link pages.
	Joins       Joiner
	Credentials *httpkit.Credentials
	// Sessions keeps the console's sessions of API keys.
	Sessions invited.ConsoleSessionService
	// JoinRequests are decided in the console.
	JoinRequests JoinRequests
	Tickets      TicketSigner
	// Connections opens app invite links; Connect runs the authorization
	// they start.
	Connections invited.ConnectionStore
	Connect     Connector
	// CreateLimit, PublicLimit and JoinLimit are the API's limiters: a
	// page spends the same allowance as the API call it stands for.
	CreateLimit ratelimit.Limiter
	PublicLimit ratelimit.Limiter
	JoinLimit   ratelimit.Limiter
	// PublicURL is the service's base URL; cookies are Secure when it is
	// https.
	PublicURL string
	Logger    *slog.Logger
	// Now is the time the pages judge expiries by; default time.Now.
	Now func() time.Time
}

// Pages serves the hosted pages.
type Pages struct {
	deps      Deps
	logger    *slog.Logger
	templates map[string]map[string]*template.Template // by locale, then name
	secure    bool                                     // cookies are Secure
}

// New parses the templates and returns the pages.
func New(deps Deps) (*Pages, error) {
	p := &Pages{
		deps:   deps,
		logger: deps.Logger,
		secure: strings.HasPrefix(deps.PublicURL, "https://"),
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	if p.deps.Now == nil {
		p.deps.Now = time.Now
	}
	var err error
	if p.templates, err = parseTemplates(); err != nil {
		return nil, err
	}
	return p, nil
}

// Routes returns every page by its http.ServeMux pattern. The API server
// registers them on its own mux (internal/api Deps.Pages), so that pages
// share its request ids, logs and metrics, which name the pattern and never
// the path: paths carry invitation tokens.
func (p *Pages) Routes() map[string]http.Handler {
	routes := map[string]http.Handler{
		"GET /assets/": http.StripPrefix("/assets/", assets()),
		// Browsers ask for it whatever a page links; it is in assets too.
		"GET /favicon.ico": assets(),
	}
	for _, group := range []map[string]http.Handler{p.landingRoutes(), p.joinRoutes(), p.connectRoutes(), p.consoleRoutes()} {
		maps.Copy(routes, group)
	}
	for pattern, h := range routes {
		routes[pattern] = p.protect(h)
	}
	return routes
}

// assets serves the embedded stylesheet, icons and scripts. They change only with
// a release, so browsers may keep them for a day.
func assets() http.Handler {
	sub, _ := fs.Sub(files, "assets")
	fileServer := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fileServer.ServeHTTP(w, r)
	})
}

// parseTemplates parses the pages once in each locale, its functions
// (funcs) bound to that locale's catalog: templates[locale][name].
func parseTemplates() (map[string]map[string]*template.Template, error) {
	out := map[string]map[string]*template.Template{}
	for _, loc := range i18n.All() {
		ts, err := parseLocale(loc)
		if err != nil {
			return nil, err
		}
		out[loc.Name()] = ts
	}
	return out, nil
}

// parseLocale parses each page in loc with the layout and with the partials
// (*.tmpl) of its own directory, which pages there share: templates/NAME.html
// becomes templates["NAME"], and templates/console/NAME.html
// templates["console/NAME"].
func parseLocale(loc *i18n.Locale) (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	err := fs.WalkDir(files, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == "templates/layout.html" || !strings.HasSuffix(path, ".html") {
			return err
		}
		partials, err := fs.Glob(files, strings.TrimSuffix(path, d.Name())+"*.tmpl")
		if err != nil {
			return err
		}
		t, err := template.New("layout.html").Funcs(funcs(loc)).ParseFS(files, append([]string{"templates/layout.html", path}, partials...)...)
		if err != nil {
			return err
		}
		out[strings.TrimSuffix(strings.TrimPrefix(path, "templates/"), ".html")] = t
		return nil
	})
	return out, err
}

// newNonce returns a fresh value for the Content-Security-Policy nonce.
func newNonce() string { return rand.Text() }
