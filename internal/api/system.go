package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/httpkit"
)

// Check is one thing readiness depends on: Check answers nil when Name is
// ready.
type Check struct {
	Name  string
	Check func(context.Context) error
}

// checkTimeout keeps a hung database from hanging health checks, which
// orchestrators run often and with short timeouts of their own.
const checkTimeout = 2 * time.Second

// livez answers 200 while the process serves requests; it checks nothing
// else, so that an orchestrator restarts the process only when restarting
// can help.
func (s *server) livez(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, client.Health{Status: "ok"})
}

// readyz answers 200 {"status":"ok"} when every readiness check passes,
// or 503 {"status":"unavailable","reason":name} naming the first that
// failed, whose error is logged rather than shown.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
	defer cancel()
	for _, c := range s.deps.Ready {
		if err := c.Check(ctx); err != nil {
			s.logger.LogAttrs(r.Context(), slog.LevelWarn, "readiness check failed",
				slog.String("request_id", httpkit.RequestID(r.Context())),
				slog.String("check", c.Name), slog.String("error", err.Error()))
			w.Header().Set("Retry-After", "5")
			writeJSON(w, http.StatusServiceUnavailable, client.Health{Status: "unavailable", Reason: c.Name})
			return
		}
	}
	writeJSON(w, http.StatusOK, client.Health{Status: "ok"})
}

// serveSpec answers the OpenAPI document. Unlike the API's answers it may
// be cached: it holds nothing per caller and changes only with a release.
func (s *server) serveSpec(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.spec)
}

// serveDocs answers the reference page. It is looked up per request because
// it is rendered from the very table that registers this handler.
func (s *server) serveDocs(w http.ResponseWriter, r *http.Request) { s.docs.ServeHTTP(w, r) }
