// Package api is the JSON API of invited (DESIGN.md §4). NewServer returns
// the whole API as one http.Handler; routes.go lists every endpoint in one
// table, which both registers the handlers and generates the OpenAPI
// document, so the two cannot drift apart. What it shares with the hosted
// pages (internal/web) lives in internal/httpkit.
package api

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/metrics"
	"github.com/invitedhq/invited/internal/openapi"
	"github.com/invitedhq/invited/internal/ratelimit"
	"github.com/invitedhq/invited/internal/tracing"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Deps is what the API needs. The services enforce authorization and tenant
// isolation themselves; this package authenticates, decodes, and encodes.
type Deps struct {
	Orgs        invited.OrganizationService
	Members     invited.MemberService
	Roles       invited.RoleService
	Invitations invited.InvitationService
	APIKeys     invited.APIKeyService
	Idempotency invited.IdempotencyService
	Audit       invited.AuditService
	Webhooks    invited.WebhookService
	Outbox      invited.OutboxService
	// Tickets redeems acceptance tickets; TicketKeys verifies them and
	// publishes the keys that sign them (internal/ticket).
	Tickets    invited.TicketService
	TicketKeys TicketKeys
	// JoinLinks manages join links and their uses; JoinRequests the
	// requests to join that admins decide.
	JoinLinks    invited.JoinLinkService
	JoinRequests invited.JoinRequestService
	// Domains manages verified domains and joining through them; DNS
	// looks up their challenge records (nil: verification by DNS answers
	// unavailable).
	Domains invited.DomainService
	DNS     DomainChecker
	// Erasure erases people's personal data.
	Erasure invited.EraseService
	// Apps registers apps and manages app invites.
	Apps invited.AppService
	// Profiles reads and archives connection profiles; ProfileTokens hands
	// out their access tokens (internal/connect).
	Profiles      invited.ProfileService
	ProfileTokens invited.ProfileTokenService

	// CreateLimit throttles the invitations and app invites created per
	// organization, and PublicLimit the public link requests (invitation
	// lookup, accept, decline; app-invite lookup) per client address; nil
	// limiters do not limit.
	CreateLimit ratelimit.Limiter
	PublicLimit ratelimit.Limiter
	// JoinLimit throttles the uses of each join link, by its token.
	JoinLimit ratelimit.Limiter

	// Credentials authenticate callers, which the routes that need
	// credentials require, and name their address; the hosted console
	// shares them.
	Credentials *httpkit.Credentials
	// PublicURL is the base of invitation links: {PublicURL}/i/{token}.
	PublicURL string
	// Logger receives one line per request and every internal error; nil
	// discards them.
	Logger *slog.Logger
	// Ready are the checks of GET /readyz (and /healthz), in order; none
	// means always ready.
	Ready []Check
	// Metrics, when set, counts requests and invitation transitions and
	// is served at GET /metrics; nil means no metrics and no such route.
	Metrics *metrics.Metrics
	// Tracer, when set, makes a server span of every request, named by
	// its route pattern, in the caller's trace when it sent a traceparent;
	// nil makes none (internal/tracing).
	Tracer trace.Tracer
	// Pages are the hosted pages by mux pattern (internal/web). They are
	// served beside the API, outside its route table and spec, and do
	// their own authentication.
	Pages map[string]http.Handler
}

type server struct {
	deps   Deps
	creds  *httpkit.Credentials
	logger *slog.Logger
	mux    *http.ServeMux
	// spec and docs are rendered once at start from the route table.
	spec []byte
	docs http.Handler
}

func newServer(deps Deps) *server {
	deps.PublicURL = strings.TrimRight(deps.PublicURL, "/")
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	creds := deps.Credentials
	if creds == nil {
		creds = &httpkit.Credentials{}
	}
	return &server{deps: deps, creds: creds, logger: logger, mux: http.NewServeMux()}
}

// NewServer returns the JSON API.
func NewServer(deps Deps) http.Handler { return newServer(deps).handler() }

// handler registers the routes and returns the whole API.
func (s *server) handler() http.Handler {
	routes := s.routes()
	// The server is "/", the one that serves the document, whatever name it
	// is reached by: a self-hosted service has no one host to name, and so
	// every deployment serves the same document as docs/openapi.json.
	doc := openapi.Spec(openapi.Info{
		Title:       "invited",
		Version:     invited.Version,
		Description: "Invitations and memberships for multi-tenant applications.",
	}, []string{"/"}, routes)
	doc.Info.License = license
	doc.Tags = tags
	amendOperations(doc, routes)
	constrain(doc)
	exemplifyErrors(doc)
	s.spec = doc.JSON()
	s.docs = openapi.DocsHandler(doc)

	for _, rt := range routes {
		h := rt.Handler
		if rt.Auth == authPublic {
			h = s.anonymous(h)
		} else {
			h = s.authenticate(h)
		}
		s.mux.Handle(rt.Pattern(), h)
	}
	// The docs page's scripts and styles, like the pages, are files
	// rather than API operations: they stay out of the spec.
	s.mux.Handle(openapi.DocsAssetsPattern, openapi.DocsAssets())
	for pattern, h := range s.deps.Pages {
		s.mux.Handle(pattern, h)
	}
	return s.observe(http.HandlerFunc(s.route))
}

// Routes returns the route table of a server with deps: what NewServer
// registers and describes in /openapi.json.
func Routes(deps Deps) []openapi.Route { return newServer(deps).routes() }

// route dispatches to the mux, except that the mux's own 404 and 405
// answers (plain text) are made JSON errors like every other answer.
func (s *server) route(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// Run the mux's handler only to learn its status and Allow header.
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.status != http.StatusMethodNotAllowed {
		s.writeError(w, r, errNotFound)
		return
	}
	allow := rec.header.Get("Allow")
	w.Header().Set("Allow", allow)
	s.writeError(w, r, invited.Errorf(httpkit.CodeMethodNotAllowed, "method %s is not allowed here; allowed: %s", r.Method, allow))
}

// headerRecorder is a ResponseWriter that keeps the status and headers and
// drops the body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(status int)      { h.status = status }

// observe gives every request an id, recovers from panics, and logs,
// counts (Deps.Metrics) and traces (Deps.Tracer) each request. The log
// line, the metric labels and the span name the route pattern, not the
// path: paths carry invitation tokens.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(openapi.RequestIDHeader)
		if !saneRequestID(id) {
			id = rand.Text()
		}
		w.Header().Set(openapi.RequestIDHeader, id)
		ctx := r.Context()
		var span trace.Span
		if s.deps.Tracer != nil {
			ctx, span = tracing.StartRequest(s.deps.Tracer, r)
			span.SetAttributes(attribute.String("invited.request_id", id))
		}
		r = r.WithContext(httpkit.WithRequestID(ctx, id))
		sw := &statusWriter{ResponseWriter: w}

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logger.LogAttrs(r.Context(), slog.LevelError, "panic",
					slog.String("request_id", id), slog.String("route", r.Pattern),
					slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
				if sw.status == 0 {
					writeJSON(sw, http.StatusInternalServerError, client.ErrorResponse{Error: client.ErrorDetail{Code: invited.EINTERNAL, Message: "internal error"}})
				}
			}
			// ServeMux records the matched pattern on the request it was
			// given, which is r.
			route := r.Pattern
			if route == "" {
				route = metrics.Unmatched
			}
			elapsed := time.Since(start)
			// A handler that wrote nothing answered 200.
			status := cmp.Or(sw.status, http.StatusOK)
			if s.deps.Metrics != nil {
				s.deps.Metrics.ObserveRequest(route, r.Method, status, elapsed)
			}
			if span != nil {
				// After the log line, whose context holds the span.
				defer tracing.EndRequest(span, r.Method, r.Pattern, status)
			}
			s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("route", route),
				slog.Int("status", status), slog.Duration("duration", elapsed),
				slog.String("request_id", id))
		}()
		next.ServeHTTP(sw, r)
	})
}

// saneRequestID accepts a caller's request id only if it is short and
// plain, because it is echoed in a header and written to logs.
func saneRequestID(id string) bool {
	if id == "" || len(id) > openapi.MaxRequestID {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
