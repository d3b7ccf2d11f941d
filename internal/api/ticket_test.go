package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/openapi"
	"github.com/invitedhq/invited/internal/sqlstore"
	"github.com/invitedhq/invited/internal/ticket"
)

// ticketEnv is the API with acceptance tickets: the store issues them when
// someone accepts on the hosted page, and keys sign them.
type ticketEnv struct {
	*env
	keys *ticket.Keys
}

func newTicketEnv(t *testing.T) *ticketEnv {
	t.Helper()
	te := &ticketEnv{}
	te.env = newEnv(t, func(d *Deps) {
		db := d.Orgs.(*sqlstore.DB)
		// The keys read the env's clock, which exists only once newEnv
		// returns, before any request.
		te.keys = ticket.New(db, testBaseURL, func() time.Time { return te.clock.Now() })
		d.Tickets, d.TicketKeys = db, te.keys
	})
	if err := te.keys.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	return te
}

// accept has email accept a fresh invitation to org on the hosted page and
// returns the signed ticket the browser would carry back, and the ticket.
func (te *ticketEnv) accept(orgID, email string) (string, *invited.AcceptanceTicket) {
	te.t.Helper()
	inv := te.invite(te.admin, orgID, map[string]any{"email": email, "roles": []string{"member"}, "audience": "web"})
	acc, err := te.db.AcceptInvitationByLink(context.Background(), tokenOf(te.t, inv.URL), "Ada Lovelace")
	if err != nil {
		te.t.Fatal(err)
	}
	raw, err := te.keys.Sign(context.Background(), acc.Ticket)
	if err != nil {
		te.t.Fatal(err)
	}
	return raw, acc.Ticket
}

func (te *ticketEnv) redeem(cred, raw string) response {
	te.t.Helper()
	return te.do(request{Method: "POST", Path: "/v1/acceptance-tickets/redeem", Cred: cred, Body: map[string]string{"ticket": raw}})
}

func TestRedeemTicket(t *testing.T) {
	te := newTicketEnv(t)
	org := te.createOrg("Acme")
	other := te.createOrg("Other")
	orgKey := te.createKey(org.ID, invited.PermInvitationsRead)
	otherKey := te.createKey(other.ID, invited.PermInvitationsRead)

	forger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// forge signs tk's claims under the service's kid with another key.
	forge := func(raw string, tk *invited.AcceptanceTicket) string {
		tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			t.Fatal(err)
		}
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: forger, KeyID: tok.Headers[0].KeyID}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		forged, err := jwt.Signed(s).Claims(jwt.Claims{Issuer: testBaseURL, ID: tk.ID, Expiry: jwt.NewNumericDate(tk.ExpiresAt)}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return forged
	}

	tests := []struct {
		name string
		// prepare returns the ticket to send, given a fresh one.
		prepare    func(raw string, tk *invited.AcceptanceTicket) string
		cred       func() string
		wantStatus int
		wantCode   string
	}{
		{name: "admin key", wantStatus: http.StatusOK},
		{name: "the organization's key", cred: func() string { return orgKey }, wantStatus: http.StatusOK},
		{name: "twice", wantStatus: http.StatusConflict, wantCode: invited.ETICKETREDEEMED,
			prepare: func(raw string, _ *invited.AcceptanceTicket) string {
				te.call(request{Method: "POST", Path: "/v1/acceptance-tickets/redeem", Cred: te.admin, Body: map[string]string{"ticket": raw}}, http.StatusOK, nil)
				return raw
			}},
		{name: "expired in the store, within the JWT's leeway", wantStatus: http.StatusGone, wantCode: invited.ETICKETEXPIRED,
			prepare: func(raw string, _ *invited.AcceptanceTicket) string {
				te.clock.Advance(invited.TicketTTL + time.Second)
				return raw
			}},
		{name: "expired beyond the leeway", wantStatus: http.StatusGone, wantCode: invited.ETICKETEXPIRED,
			prepare: func(raw string, _ *invited.AcceptanceTicket) string {
				te.clock.Advance(invited.TicketTTL + ticket.Leeway + time.Second)
				return raw
			}},
		{name: "forged", prepare: forge, wantStatus: http.StatusBadRequest, wantCode: invited.EINVALID},
		{name: "not a JWT", prepare: func(string, *invited.AcceptanceTicket) string { return "tkt_not-a-jwt" },
			wantStatus: http.StatusBadRequest, wantCode: invited.EINVALID},
		{name: "missing", prepare: func(string, *invited.AcceptanceTicket) string { return "" },
			wantStatus: http.StatusBadRequest, wantCode: invited.EINVALID},
		{name: "another organization's key", cred: func() string { return otherKey }, wantStatus: http.StatusNotFound, wantCode: invited.ENOTFOUND},
		{name: "no credential", cred: func() string { return "" }, wantStatus: http.StatusUnauthorized, wantCode: invited.EUNAUTHENTICATED},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, tk := te.accept(org.ID, fmt.Sprintf("redeem%d@example.com", i))
			send := raw
			if tt.prepare != nil {
				send = tt.prepare(raw, tk)
			}
			cred := te.admin
			if tt.cred != nil {
				cred = tt.cred()
			}
			r := te.redeem(cred, send)
			if r.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.wantStatus, r.Body)
			}
			if tt.wantCode != "" {
				d := r.apiError(t)
				if d.Code != tt.wantCode {
					t.Errorf("code %q, want %q", d.Code, tt.wantCode)
				}
				if d.Code == invited.EINVALID && d.Fields["ticket"] == "" {
					t.Errorf("invalid_request does not name the field ticket: %s", r.Body)
				}
				return
			}
			var got invited.AcceptanceTicket
			if err := json.Unmarshal(r.Body, &got); err != nil {
				t.Fatal(err)
			}
			if got.ID != tk.ID || got.OrgID != org.ID || got.UserID == "" || got.UserID != tk.UserID ||
				got.Email != tk.Email || got.Audience != "web" || got.RedeemedAt == nil {
				t.Errorf("redeemed %s, issued %+v", r.Body, tk)
			}
		})
	}

	t.Run("another organization's key leaves the ticket to its owner", func(t *testing.T) {
		raw, _ := te.accept(org.ID, "left@example.com")
		if r := te.redeem(otherKey, raw); r.Status != http.StatusNotFound {
			t.Fatalf("other tenant: %d %s", r.Status, r.Body)
		}
		if r := te.redeem(orgKey, raw); r.Status != http.StatusOK {
			t.Errorf("then its own organization: %d %s", r.Status, r.Body)
		}
	})
}

// TestJWKS reads the key set as a host app does and verifies a ticket
// with it.
func TestJWKS(t *testing.T) {
	te := newTicketEnv(t)
	org := te.createOrg("Acme")
	raw, tk := te.accept(org.ID, "ada@example.com")

	r := te.call(request{Method: "GET", Path: "/.well-known/jwks.json"}, http.StatusOK, nil)
	if got := r.Header.Get("Cache-Control"); got != "public, max-age=60" {
		t.Errorf("Cache-Control %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.Body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS %s: %v", r.Body, err)
	}
	if k := set.Keys[0]; !k.IsPublic() || k.Algorithm != "ES256" || k.Use != "sig" {
		t.Errorf("key %+v", k)
	}

	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("the JWKS lacks the ticket's kid %q", tok.Headers[0].KeyID)
	}
	var claims ticket.Claims
	if err := tok.Claims(keys[0].Key, &claims); err != nil {
		t.Fatal(err)
	}
	if err := claims.Validate(jwt.Expected{Issuer: testBaseURL, AnyAudience: jwt.Audience{"web"}, Time: te.clock.Now()}); err != nil {
		t.Error(err)
	}
	if claims.ID != tk.ID || claims.Subject != tk.UserID || claims.OrgID != org.ID || claims.Email != "ada@example.com" || !claims.EmailVerified {
		t.Errorf("claims %+v", claims)
	}

	t.Run("in the spec", func(t *testing.T) {
		var doc openapi.Document
		te.call(request{Method: "GET", Path: "/openapi.json"}, http.StatusOK, &doc)
		op := doc.Paths["/.well-known/jwks.json"]["get"]
		if op == nil || len(op.Security) != 0 || op.Responses["200"] == nil {
			t.Fatalf("GET /.well-known/jwks.json in the spec: %+v", op)
		}
		if ref := op.Responses["200"].Content["application/json"].Schema.Ref; ref != "#/components/schemas/JWKSet" {
			t.Errorf("answers %q", ref)
		}
		redeem := doc.Paths["/v1/acceptance-tickets/redeem"]["post"]
		if redeem == nil || redeem.RequestBody == nil || len(redeem.Security) == 0 {
			t.Errorf("POST /v1/acceptance-tickets/redeem in the spec: %+v", redeem)
		}
	})
}
