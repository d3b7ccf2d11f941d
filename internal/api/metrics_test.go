package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/jobs"
	"github.com/invitedhq/invited/internal/metrics"
	"github.com/invitedhq/invited/internal/openapi"
)

// newMetricsEnv is newEnv with metrics on their own registry.
func newMetricsEnv(t *testing.T) (*env, *metrics.Metrics) {
	m := metrics.New(prometheus.NewRegistry())
	return newEnv(t, func(d *Deps) {
		d.Metrics = m
		d.Invitations = metrics.CountInvitations(d.Invitations, m) // as cmd/invited wires it
	}), m
}

// scrape reads GET /metrics as a client would, and keeps the raw text.
func (e *env) scrape() (map[string]*dto.MetricFamily, string) {
	e.t.Helper()
	r := e.call(request{Method: "GET", Path: "/metrics"}, http.StatusOK, nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		e.t.Fatalf("Content-Type %q", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		e.t.Fatalf("parsing /metrics: %v\n%s", err, r.Body)
	}
	return fams, string(r.Body)
}

// sample is the value of the sample of family name with exactly labels
// (for a histogram, its count); -1 if there is none.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	fam := fams[name]
	if fam == nil {
		return -1
	}
next:
	for _, m := range fam.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func TestMetrics(t *testing.T) {
	e, m := newMetricsEnv(t)
	org := e.createOrg("Metrics")
	invite := func(email string, extra map[string]any) client.InvitationWithURL {
		body := map[string]any{"email": email, "roles": []string{"member"}}
		for k, v := range extra {
			body[k] = v
		}
		return e.invite(e.admin, org.ID, body)
	}

	// created 8, sent 7 (six at once, one draft sent), resent 1,
	// renewed 1, revoked 1, accepted 1, archived 1, declined 1.
	accepted := invite("a@example.com", nil)
	declined := invite("d@example.com", nil)
	renewed := invite("r@example.com", nil)
	draft := invite("s@example.com", map[string]any{"send": false})
	invite("x@example.com", map[string]any{"send": false})
	// A replayed Idempotency-Key answers without creating again.
	for range 2 {
		e.call(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/invitations", Cred: e.admin, Header: map[string]string{"Idempotency-Key": "k1"},
			Body: map[string]any{"email": "i@example.com", "roles": []string{"member"}}}, http.StatusCreated, nil)
	}
	// A batch counts the items it created, not the one it refused.
	e.call(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/invitations/batch", Cred: e.admin, Body: map[string]any{"invitations": []any{
		map[string]any{"email": "b1@example.com", "roles": []string{"member"}},
		map[string]any{"email": "b2@example.com", "roles": []string{"member"}},
		map[string]any{"email": "not an address", "roles": []string{"member"}},
	}}}, http.StatusOK, nil)
	e.call(request{Method: "POST", Path: "/v1/invitations/" + draft.ID + "/send", Cred: e.admin}, http.StatusOK, nil)
	e.clock.Advance(invited.ResendInterval + time.Second)
	e.call(request{Method: "POST", Path: "/v1/invitations/" + draft.ID + "/resend", Cred: e.admin}, http.StatusOK, nil)
	e.call(request{Method: "POST", Path: "/v1/invitations/" + renewed.ID + "/renew", Cred: e.admin}, http.StatusOK, nil)
	e.call(request{Method: "POST", Path: "/v1/invitations/" + renewed.ID + "/revoke", Cred: e.admin}, http.StatusOK, nil)
	acceptToken := tokenOf(t, accepted.URL)
	e.call(request{Method: "GET", Path: "/v1/invitation-tokens/" + acceptToken}, http.StatusOK, nil)
	e.call(request{Method: "POST", Path: "/v1/invitation-tokens/" + acceptToken + "/accept", Cred: e.admin,
		Body: map[string]any{"user": map[string]any{"external_id": "a-1", "email": "a@example.com"}}}, http.StatusOK, nil)
	e.call(request{Method: "POST", Path: "/v1/invitations/" + accepted.ID + "/archive", Cred: e.admin}, http.StatusOK, nil)
	e.call(request{Method: "POST", Path: "/v1/invitation-tokens/" + tokenOf(t, declined.URL) + "/decline"}, http.StatusOK, nil)
	// Failures count no transition.
	e.call(request{Method: "POST", Path: "/v1/invitations/" + renewed.ID + "/revoke", Cred: e.admin}, http.StatusConflict, nil)
	e.call(request{Method: "GET", Path: "/v1/invitation-tokens/" + acceptToken + "x"}, http.StatusNotFound, nil)
	// A path that matches no route, carrying a token, and a made-up method.
	e.call(request{Method: "GET", Path: "/nowhere/" + acceptToken}, http.StatusNotFound, nil)
	e.call(request{Method: "BREW", Path: "/v1/orgs"}, http.StatusMethodNotAllowed, nil)

	fams, text := e.scrape()
	for action, want := range map[string]float64{
		metrics.Created: 8, metrics.Sent: 7, metrics.Resent: 1, metrics.Renewed: 1, metrics.Revoked: 1,
		metrics.Accepted: 1, metrics.Archived: 1, metrics.Declined: 1, metrics.Expired: 0,
	} {
		if got := sample(fams, "invited_invitation_transitions_total", map[string]string{"action": action}); got != want {
			t.Errorf("transitions %s: %v, want %v", action, got, want)
		}
	}
	for _, c := range []struct {
		route, method, status string
		want                  float64
	}{
		{"POST /v1/orgs/{org}/invitations", "POST", "201", 7},
		{"GET /v1/invitation-tokens/{token}", "GET", "200", 1},
		{"GET /v1/invitation-tokens/{token}", "GET", "404", 1},
		{"POST /v1/invitations/{id}/revoke", "POST", "409", 1},
		{metrics.Unmatched, "GET", "404", 1},
		{metrics.Unmatched, "OTHER", "405", 1},
	} {
		labels := map[string]string{"route": c.route, "method": c.method, "status": c.status}
		if got := sample(fams, "invited_http_requests_total", labels); got != c.want {
			t.Errorf("requests %v: %v, want %v", labels, got, c.want)
		}
	}
	if got := sample(fams, "invited_http_request_duration_seconds", map[string]string{"route": "POST /v1/orgs/{org}/invitations", "method": "POST"}); got != 7 {
		t.Errorf("duration observations of create: %v, want 7", got)
	}
	// Runtime and process collectors share the registry.
	if fams["go_goroutines"] == nil {
		t.Error("no Go runtime metrics")
	}
	// No label holds a path: every route label is a pattern or unmatched.
	for _, fam := range fams {
		for _, mt := range fam.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "route" && l.GetValue() != metrics.Unmatched && !strings.Contains(l.GetValue(), " /") {
					t.Errorf("route label %q is not a pattern", l.GetValue())
				}
			}
		}
	}
	for _, secret := range []string{acceptToken, tokenOf(t, declined.URL), "/nowhere", "BREW"} {
		if strings.Contains(text, secret) {
			t.Errorf("/metrics holds %q", secret)
		}
	}

	t.Run("sweeper expirations", func(t *testing.T) {
		invite("late@example.com", map[string]any{"expires_in": "1h"})
		e.clock.Advance(2 * time.Hour)
		sw := &jobs.Sweeper{Expirer: e.db, Purger: e.db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Expired: func(n int) { m.Transition(metrics.Expired, n) }}
		sw.Sweep(context.Background())
		fams, _ := e.scrape()
		// Only this one is overdue; the others have the default lifetime.
		if got := sample(fams, "invited_invitation_transitions_total", map[string]string{"action": metrics.Expired}); got != 1 {
			t.Errorf("expired: %v, want 1", got)
		}
	})

	t.Run("in the spec", func(t *testing.T) {
		var doc openapi.Document
		e.call(request{Method: "GET", Path: "/openapi.json"}, http.StatusOK, &doc)
		op := doc.Paths["/metrics"]["get"]
		if op == nil || len(op.Security) != 0 || op.Responses["200"] == nil || op.Responses["200"].Content["text/plain"].Schema == nil {
			raw, _ := json.Marshal(op)
			t.Errorf("GET /metrics in the spec: %s", raw)
		}
	})
}

// TestNoMetrics: without Deps.Metrics there is no /metrics route.
func TestNoMetrics(t *testing.T) {
	for _, rt := range Routes(Deps{}) {
		if rt.Path == "/metrics" {
			t.Fatal("GET /metrics without metrics")
		}
	}
	if rec := httptestDo(NewServer(Deps{}), "GET", "/metrics", nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET /metrics: %d", rec.Code)
	}
}

// TestAbandonedRequest: a request whose caller went away before the answer
// is recorded as 499, in the metrics and the log, and not as an internal
// error of ours, whatever stage it was cancelled at; and it wrote nothing.
func TestAbandonedRequest(t *testing.T) {
	e, _ := newMetricsEnv(t)
	org := e.createOrg("Abandoned")
	token := tokenOf(t, e.invite(e.admin, org.ID, map[string]any{"email": "ada@example.com", "roles": []string{"member"}}).URL)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/v1/orgs/" + org.ID + "/invitations", `{"email":"bob@example.com","roles":["member"]}`},
		{"GET", "/v1/invitation-tokens/" + token, ""},
		{"POST", "/v1/invitation-tokens/" + token + "/accept", `{"user":{"external_id":"ada","email":"ada@example.com"}}`},
	} {
		req := httptest.NewRequestWithContext(gone, tc.method, tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+e.admin)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if rec.Code != httpkit.StatusClientClosedRequest {
			t.Errorf("%s %s, abandoned: %d %s, want 499", tc.method, tc.path, rec.Code, rec.Body)
		}
	}
	if log := e.log.String(); strings.Contains(log, "level=ERROR") {
		t.Errorf("an abandoned request was logged as an error:\n%s", log)
	}
	_, text := e.scrape()
	if strings.Contains(text, `status="500"`) || !strings.Contains(text, `status="499"`) {
		t.Errorf("the metrics do not count the abandoned requests as 499:\n%s", text)
	}
	var list client.InvitationList
	e.call(request{Method: "GET", Path: "/v1/invitations?org_id=" + org.ID, Cred: e.admin}, http.StatusOK, &list)
	if len(list.Invitations) != 1 || list.Invitations[0].Status != invited.StatusPending {
		t.Errorf("after the abandoned requests: %+v, want ada's invitation alone, pending", list.Invitations)
	}
}
