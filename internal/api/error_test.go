package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// TestErrorAnswers checks the one mapping from error codes to answers.
func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		err    error
		status int
		header map[string]string
	}{
		{invited.Errorf(invited.EINVALID, "m"), 400, nil},
		{invited.Errorf(invited.EUNAUTHENTICATED, "m"), 401, map[string]string{"WWW-Authenticate": "Bearer"}},
		{invited.Errorf(invited.EFORBIDDEN, "m"), 403, nil},
		{invited.Errorf(invited.EEMAILMISMATCH, "m"), 403, nil},
		{invited.Errorf(invited.EDOMAINNOTALLOWED, "m"), 403, nil},
		{invited.Errorf(invited.ENOTFOUND, "m"), 404, nil},
		{invited.Errorf(invited.EINVITATIONEXISTS, "m"), 409, nil},
		{invited.Errorf(invited.EALREADYMEMBER, "m"), 409, nil},
		{invited.Errorf(invited.EALREADYACCEPTED, "m"), 409, nil},
		{invited.Errorf(invited.EINVALIDSTATE, "m"), 409, nil},
		{invited.Errorf(invited.ECONFLICT, "m"), 409, nil},
		{invited.Errorf(invited.EEXPIRED, "m"), 410, nil},
		{invited.Errorf(invited.EREVOKED, "m"), 410, nil},
		{invited.Errorf(invited.EDECLINED, "m"), 410, nil},
		{&invited.Error{Code: invited.ERATELIMITED, Message: "m", RetryAfterSeconds: 42}, 429, map[string]string{"Retry-After": "42"}},
		{invited.Errorf(invited.ERATELIMITED, "m"), 429, map[string]string{"Retry-After": "1"}},
		{invited.Errorf(invited.EUNAVAILABLE, "m"), 503, nil},
		{invited.Errorf(invited.EUPSTREAM, "m"), 502, nil},
		{fmt.Errorf("wrapped: %w", invited.Errorf(invited.ENOTFOUND, "m")), 404, nil},
	}
	s := newServer(Deps{})
	for _, tt := range tests {
		t.Run(invited.ErrorCode(tt.err), func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.writeError(rec, httptest.NewRequest("GET", "/", nil), tt.err)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			for k, v := range tt.header {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s %q, want %q", k, got, v)
				}
			}
			var b client.ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Error.Code != invited.ErrorCode(tt.err) || b.Error.Message != "m" {
				t.Errorf("body %s", rec.Body)
			}
		})
	}

	t.Run("details", func(t *testing.T) {
		rec := httptest.NewRecorder()
		s.writeError(rec, httptest.NewRequest("GET", "/", nil), &invited.Error{Code: invited.EINVITATIONEXISTS, Message: "m",
			ExistingID: "inv_1", Fields: map[string]string{"email": "taken"}})
		want := `{"error":{"code":"invitation_exists","message":"m","fields":{"email":"taken"},"existing_id":"inv_1"}}`
		if got := strings.TrimSpace(rec.Body.String()); got != want {
			t.Errorf("body %s, want %s", got, want)
		}
	})
}

// TestInternalErrors checks that internal errors and panics answer 500
// without detail, and are logged with the request id.
func TestInternalErrors(t *testing.T) {
	var log bytes.Buffer
	s := newServer(Deps{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	for name, h := range map[string]http.HandlerFunc{
		"error": func(w http.ResponseWriter, r *http.Request) {
			s.writeError(w, r, errors.New("database on fire at /var/db"))
		},
		"unknown code": func(w http.ResponseWriter, r *http.Request) {
			s.writeError(w, r, invited.Errorf("teapot", "database on fire at /var/db"))
		},
		"panic": func(w http.ResponseWriter, r *http.Request) { panic("database on fire at /var/db") },
	} {
		t.Run(name, func(t *testing.T) {
			log.Reset()
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("X-Request-Id", "req-"+strings.ReplaceAll(name, " ", "-"))
			s.observe(h).ServeHTTP(rec, req)
			if got := strings.TrimSpace(rec.Body.String()); rec.Code != 500 || got != `{"error":{"code":"internal","message":"internal error"}}` {
				t.Errorf("%d %s", rec.Code, got)
			}
			if !strings.Contains(log.String(), "database on fire") || !strings.Contains(log.String(), "request_id=req-") {
				t.Errorf("log:\n%s", log.String())
			}
		})
	}
}
