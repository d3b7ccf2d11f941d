package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestServiceRoleJWT checks the minted token with another implementation
// (go-jose) than the one that signs it.
func TestServiceRoleJWT(t *testing.T) {
	const secret = "super-secret-jwt-token-with-at-least-32-characters-long"
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name, verifyWith string
		wantOK           bool
	}{
		{"the signing secret", secret, true},
		{"another secret", strings.ToUpper(secret), false},
		{"a longer secret", secret + "x", false},
	} {
		tok, err := jwt.ParseSigned(serviceRoleJWT(secret, now), []jose.SignatureAlgorithm{jose.HS256})
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.name, err)
		}
		var claims struct {
			Role string `json:"role"`
			jwt.Claims
		}
		err = tok.Claims([]byte(tc.verifyWith), &claims)
		if !tc.wantOK {
			if err == nil {
				t.Errorf("%s: verified", tc.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: verify: %v", tc.name, err)
		}
		if claims.Role != "service_role" {
			t.Errorf("%s: role %q, want service_role", tc.name, claims.Role)
		}
		if err := claims.ValidateWithLeeway(jwt.Expected{Time: now.Add(gotrueTokenLife - time.Second)}, 0); err != nil {
			t.Errorf("%s: not valid just before it expires: %v", tc.name, err)
		}
		if err := claims.ValidateWithLeeway(jwt.Expected{Time: now.Add(gotrueTokenLife + time.Second)}, 0); err == nil {
			t.Errorf("%s: valid after %s", tc.name, gotrueTokenLife)
		}
	}
}

func TestGoTrueFlags(t *testing.T) {
	t.Setenv("GOTRUE_JWT_SECRET", "")
	for _, tc := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"-scenario", "gotrue-invite"}, "-gotrue-jwt-secret"},
		{[]string{"-scenario", "gotrue-verify", "-n", "10"}, "-gotrue-jwt-secret"},
		{[]string{"-scenario", "gotrue-invite", "-gotrue-jwt-secret", "s", "-url", "http://10.0.0.1:9999"}, "non-loopback"},
	} {
		err := run(context.Background(), tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run %q: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}

func TestGoTrueRequest(t *testing.T) {
	s := &state{run: "r1", tokens: []string{"hash0", "hash1"}}
	for _, tc := range []struct {
		scenario   string
		i          int
		wantTarget string
		wantBody   string // "" means no request: out of work
	}{
		{"gotrue-invite", 7, "/invite", `{"email":"load-r1-7@example.com"}`},
		{"gotrue-verify", 1, "/verify", `{"type":"invite","token_hash":"hash1"}`},
		{"gotrue-verify", 2, "", ""},
	} {
		req, ok := s.request(context.Background(), config{scenario: tc.scenario, key: "jwt"}, "http://127.0.0.1:9999", tc.i)
		if tc.wantBody == "" {
			if ok {
				t.Errorf("%s %d: a request, want none", tc.scenario, tc.i)
			}
			continue
		}
		if !ok {
			t.Fatalf("%s %d: no request", tc.scenario, tc.i)
		}
		body, _ := io.ReadAll(req.Body)
		if req.Method != "POST" || req.URL.Path != tc.wantTarget || string(body) != tc.wantBody {
			t.Errorf("%s %d: %s %s %s, want POST %s %s", tc.scenario, tc.i, req.Method, req.URL.Path, body, tc.wantTarget, tc.wantBody)
		}
		// The invitee verifies with the link alone; only the admin's invite
		// carries the service-role token.
		wantAuth := map[string]string{"gotrue-invite": "Bearer jwt", "gotrue-verify": ""}[tc.scenario]
		if got := req.Header.Get("Authorization"); got != wantAuth {
			t.Errorf("%s %d: Authorization %q, want %q", tc.scenario, tc.i, got, wantAuth)
		}
	}
}
