package http

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Health is the answer of GET /healthz.
type Health struct {
	Status string `json:"status" enum:"ok,unavailable"`
}

// pingTimeout keeps a hung database from hanging health checks, which
// orchestrators run often and with short timeouts of their own.
const pingTimeout = 2 * time.Second

// healthz answers 200 {"status":"ok"}, or 503 {"status":"unavailable"}
// when the database does not answer.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.deps.Ping != nil {
		ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
		defer cancel()
		if err := s.deps.Ping(ctx); err != nil {
			s.logger.LogAttrs(r.Context(), slog.LevelWarn, "health check failed",
				slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
			writeJSON(w, http.StatusServiceUnavailable, Health{Status: "unavailable"})
			return
		}
	}
	writeJSON(w, http.StatusOK, Health{Status: "ok"})
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
