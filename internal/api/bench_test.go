package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/invitedhq/invited/internal/metrics"
)

// BenchmarkPublicLookup is the public token lookup through the whole
// handler stack (no network), on SQLite: the path issue 14 holds to half
// of a bare hello world. Its sub-benchmarks take the same in-process
// request through each layer in turn, as serve runs them (metrics on, the
// log at warn): a bare hello world; hello world inside observe (request
// id, status, metrics, the request's log line); the whole lookup.
func BenchmarkPublicLookup(b *testing.B) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m := metrics.New(prometheus.NewRegistry())
	e := newEnv(b, func(d *Deps) { d.PublicLimit, d.Logger, d.Metrics = nil, quiet, m })
	org := e.createOrg("Acme")
	token := tokenOf(b, e.invite(e.admin, org.ID, map[string]any{"email": "ada@example.com", "roles": []string{"member"}}).URL)
	hello := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "Hello, World!\n")
	})
	for _, bc := range []struct {
		name, path string
		h          http.Handler
	}{
		{"hello", "/", hello},
		{"observed", "/", newServer(Deps{Logger: quiet, Metrics: m}).observe(hello)},
		{"lookup", "/v1/invitation-tokens/" + token, e.h},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if rec := serveServed(bc.h, bc.path); rec.Code != http.StatusOK {
						b.Fatalf("%d %s", rec.Code, rec.Body)
					}
				}
			})
		})
	}
}

// serveServed runs GET path on h as net/http's server would: with a
// context that ends when the connection does, which the store's driver
// and database/sql watch while a statement runs.
func serveServed(h http.Handler, path string) *httptest.ResponseRecorder {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, "GET", path, nil))
	return rec
}

// BenchmarkAuthenticatedRead reads an organization with an API key
// through the whole handler stack, on SQLite: the clock stands still, so
// every lookup of the key but the first is a hit of the store's cache.
func BenchmarkAuthenticatedRead(b *testing.B) {
	e := newEnv(b)
	org := e.createOrg("Acme")
	header := map[string]string{"Authorization": "Bearer " + e.admin}
	path := "/v1/orgs/" + org.ID
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := httptestDo(e.h, "GET", path, header); rec.Code != http.StatusOK {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
}
