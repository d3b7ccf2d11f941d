package main

// The gotrue-* scenarios measure Supabase Auth (GoTrue) beside invited's
// create and accept, on the same machine and PostgreSQL cluster:
// gotrue-invite is its POST /invite, gotrue-verify its POST /verify of an
// invitation. scripts/gotrue.sh builds and starts the server they expect.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// gotrueTokenLife is how long the minted service-role token is valid: past
// the longest -d plus the setup of a large -n.
const gotrueTokenLife = 24 * time.Hour

// serviceRoleJWT mints what GoTrue's admin endpoints take as a bearer: an
// HS256 token signed with its GOTRUE_JWT_SECRET whose role claim is one of
// its admin roles. GoTrue ignores the aud of admin tokens and needs no sub
// for them, so role, iat and exp are all there is.
func serviceRoleJWT(secret string, now time.Time) string {
	enc := base64.RawURLEncoding
	claims := fmt.Appendf(nil, `{"role":"service_role","iat":%d,"exp":%d}`, now.Unix(), now.Add(gotrueTokenLife).Unix())
	signed := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signed))
	return signed + "." + enc.EncodeToString(mac.Sum(nil))
}

// setupGoTrue prepares gotrue-verify's invitations, one per request
// (cfg.max), and keeps their token hashes. It makes them with
// POST /admin/generate_link type invite, which writes what POST /invite
// writes (the user, its identity, the audit entry, the one-time token) but
// also answers the token hash, which /invite only mails. The calls go
// through timeCalls's workers; their timing is discarded.
func (s *state) setupGoTrue(ctx context.Context, c *http.Client, cfg config) error {
	if cfg.scenario == "gotrue-invite" {
		return nil
	}
	api := &apiClient{c: c, base: cfg.urls[0], key: cfg.key}
	s.tokens = make([]string, cfg.max)
	pool := cfg
	pool.duration = time.Hour // the setup ends when -n links are made, not at -d
	res := timeCalls(ctx, pool, func(ctx context.Context, _, i int) (int, error) {
		var link struct {
			HashedToken string `json:"hashed_token"`
		}
		if err := api.do(ctx, "POST", "/admin/generate_link", map[string]string{"type": "invite", "email": s.email(i)}, &link); err != nil {
			return 0, err
		}
		if link.HashedToken == "" {
			return 0, errors.New("POST /admin/generate_link: no hashed_token in the answer")
		}
		s.tokens[i] = link.HashedToken // each i has one worker: no lock
		return http.StatusOK, nil
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	if res.netErrs > 0 {
		return fmt.Errorf("create invitations: %d of %d failed, the first: %s", res.netErrs, cfg.max, res.firstErr)
	}
	return nil
}

// gotrueRequest is the i-th timed request of a gotrue-* scenario: invite
// s.email(i), or verify invitation i as its invitee's browser would (no
// credentials, the token hash of the mailed link).
func (s *state) gotrueRequest(cfg config, base string, i int) (method, target string, body []byte, ok bool) {
	if cfg.scenario == "gotrue-invite" {
		return "POST", base + "/invite", fmt.Appendf(nil, `{"email":%q}`, s.email(i)), true
	}
	if i >= len(s.tokens) {
		return "", "", nil, false
	}
	return "POST", base + "/verify", fmt.Appendf(nil, `{"type":"invite","token_hash":%q}`, s.tokens[i]), true
}
