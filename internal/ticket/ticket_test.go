package ticket_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/sqlstore"
	"github.com/invitedhq/invited/internal/testutil"
	"github.com/invitedhq/invited/internal/ticket"
)

const issuer = "https://invited.test"

// world is a key store with its clock.
type world struct {
	t     *testing.T
	store invited.SigningKeyService
	clock *testutil.Clock
}

// newWorld opens the real store on a temporary SQLite file.
func newWorld(t *testing.T) *world {
	t.Helper()
	clk := testutil.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	db, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "invited.db"), sqlstore.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &world{t: t, store: db, clock: clk}
}

// keys returns an instance's view of the keys: several over one store
// behave like several servers sharing a database.
func (w *world) keys() *ticket.Keys {
	w.t.Helper()
	k := ticket.New(w.store, issuer+"/", w.clock.Now)
	if err := k.Ensure(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	return k
}

// ticket is a fresh acceptance ticket, as the store issues them.
func (w *world) ticket() *invited.AcceptanceTicket {
	now := w.clock.Now()
	return &invited.AcceptanceTicket{
		ID:           invited.NewID(invited.PrefixTicket, now),
		InvitationID: "inv_1",
		OrgID:        "org_1",
		UserID:       "usr_1",
		Email:        "ada@example.com",
		Name:         "Ada",
		Roles:        []string{"admin", "owner"},
		Audience:     "web",
		IssuedAt:     now,
		ExpiresAt:    now.Add(invited.TicketTTL),
	}
}

func sign(t *testing.T, k *ticket.Keys, tk *invited.AcceptanceTicket) string {
	t.Helper()
	raw, err := k.Sign(context.Background(), tk)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// hostVerify checks raw the way a host app does: against the JWKS
// document, with go-jose, at now. It returns the claims, or nil and the
// error.
func hostVerify(t *testing.T, k *ticket.Keys, raw string, now time.Time) (map[string]any, error) {
	t.Helper()
	set, err := k.JWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	var jwks jose.JSONWebKeySet
	if err := json.Unmarshal(doc, &jwks); err != nil {
		t.Fatalf("go-jose cannot read the JWKS %s: %v", doc, err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, err
	}
	found := jwks.Key(tok.Headers[0].KeyID)
	if len(found) != 1 {
		return nil, errors.New("no key with the ticket's kid")
	}
	var reg jwt.Claims
	claims := map[string]any{}
	if err := tok.Claims(found[0].Key, &reg, &claims); err != nil {
		return nil, err
	}
	if err := reg.Validate(jwt.Expected{Issuer: issuer, Time: now}); err != nil {
		return nil, err
	}
	return claims, nil
}

// kids are the key ids in the JWKS.
func kids(t *testing.T, k *ticket.Keys) []string {
	t.Helper()
	set, err := k.JWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, key := range set.Keys {
		out = append(out, key.Kid)
	}
	return out
}

func kidOf(t *testing.T, raw string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Headers[0].KeyID
}

func TestSignClaims(t *testing.T) {
	w := newWorld(t)
	k := w.keys()
	full := w.ticket()
	bare := w.ticket()
	bare.Name, bare.Audience = "", ""
	tests := []struct {
		name   string
		ticket *invited.AcceptanceTicket
		want   map[string]any
	}{
		{"with audience and name", full, map[string]any{
			"iss": issuer, "sub": "usr_1", "aud": "web", "jti": full.ID,
			"iat": float64(full.IssuedAt.Unix()), "nbf": float64(full.IssuedAt.Unix()), "exp": float64(full.ExpiresAt.Unix()),
			"email": "ada@example.com", "email_verified": true, "name": "Ada",
			"org_id": "org_1", "roles": []any{"admin", "owner"}, "invitation_id": "inv_1",
		}},
		{"without", bare, map[string]any{
			"iss": issuer, "sub": "usr_1", "jti": bare.ID,
			"iat": float64(bare.IssuedAt.Unix()), "nbf": float64(bare.IssuedAt.Unix()), "exp": float64(bare.ExpiresAt.Unix()),
			"email": "ada@example.com", "email_verified": true,
			"org_id": "org_1", "roles": []any{"admin", "owner"}, "invitation_id": "inv_1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := sign(t, k, tt.ticket)
			got, err := hostVerify(t, k, raw, w.clock.Now())
			if err != nil {
				t.Fatalf("a host app cannot verify the ticket: %v", err)
			}
			if !maps.EqualFunc(got, tt.want, func(a, b any) bool { return jsonEqual(t, a, b) }) {
				t.Errorf("claims\n got %v\nwant %v", got, tt.want)
			}
			tok, _ := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
			if h := tok.Headers[0]; h.Algorithm != "ES256" || h.ExtraHeaders["typ"] != "JWT" || !strings.HasPrefix(h.KeyID, invited.PrefixSigningKey) {
				t.Errorf("header alg %q typ %v kid %q", h.Algorithm, h.ExtraHeaders["typ"], h.KeyID)
			}
			id, err := k.Verify(context.Background(), raw)
			if err != nil || id != tt.ticket.ID {
				t.Errorf("Verify = %q, %v; want %q", id, err, tt.ticket.ID)
			}
		})
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestSignRefusesLongOrDeadTickets(t *testing.T) {
	w := newWorld(t)
	k := w.keys()
	long := w.ticket()
	long.ExpiresAt = long.IssuedAt.Add(invited.TicketTTL + time.Second)
	dead := w.ticket()
	dead.IssuedAt, dead.ExpiresAt = dead.IssuedAt.Add(-time.Hour), dead.IssuedAt.Add(-time.Hour+time.Minute)
	for name, tk := range map[string]*invited.AcceptanceTicket{"longer than TicketTTL": long, "expired": dead} {
		if _, err := k.Sign(context.Background(), tk); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
}

func TestJWKSShape(t *testing.T) {
	w := newWorld(t)
	set, err := w.keys().JWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(set)
	var raw struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil || len(raw.Keys) != 1 {
		t.Fatalf("%s: %v", doc, err)
	}
	key := raw.Keys[0]
	if got := slices.Sorted(maps.Keys(key)); !slices.Equal(got, []string{"alg", "crv", "kid", "kty", "use", "x", "y"}) {
		t.Errorf("members %v: a JWKS must carry the public key only", got)
	}
	if key["kty"] != "EC" || key["crv"] != "P-256" || key["use"] != "sig" || key["alg"] != "ES256" {
		t.Errorf("key %v", key)
	}
	for _, c := range []string{"x", "y"} {
		if b, err := base64.RawURLEncoding.DecodeString(key[c]); err != nil || len(b) != 32 {
			t.Errorf("%s = %q is not 32 bytes of base64url", c, key[c])
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	w := newWorld(t)
	k := w.keys()
	good := sign(t, k, w.ticket())
	kid := kidOf(t, good)
	parts := strings.Split(good, ".")

	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// forge signs claims as the service would, under its kid, with
	// another key and algorithm.
	forge := func(alg jose.SignatureAlgorithm, key any, edit func(map[string]any)) string {
		claims := map[string]any{"iss": issuer, "sub": "usr_1", "jti": "tkt_1",
			"exp": w.clock.Now().Add(time.Minute).Unix()}
		if edit != nil {
			edit(claims)
		}
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := jwt.Signed(s).Claims(claims).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	b64 := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	otherIssuer := sign(t, ticket.New(w.store, "https://elsewhere.test", w.clock.Now), w.ticket())

	tests := []struct {
		name, raw string
	}{
		{"garbage", "not a jwt"},
		{"empty", ""},
		{"tampered payload", parts[0] + "." + b64(map[string]any{"iss": issuer, "jti": "tkt_other", "exp": 4e9}) + "." + parts[2]},
		{"tampered signature", parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))},
		{"another key under our kid", forge(jose.ES256, other, nil)},
		{"HMAC with a guessable secret", forge(jose.HS256, []byte("0123456789abcdef0123456789abcdef"), nil)},
		{"alg none", b64(map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) + "." + parts[1] + "."},
		{"unknown kid", strings.Replace(good, parts[0], b64(map[string]any{"alg": "ES256", "typ": "JWT", "kid": "sig_unknown"}), 1)},
		{"another issuer", otherIssuer},
		{"too long", good + strings.Repeat("A", 16<<10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := k.Verify(context.Background(), tt.raw)
			e, ok := errors.AsType[*invited.Error](err)
			if !ok || e.Code != invited.EINVALID || e.Fields["ticket"] == "" {
				t.Errorf("Verify: %v, want invalid_request on ticket", err)
			}
		})
	}
}

func TestVerifyExpiry(t *testing.T) {
	tests := []struct {
		name    string
		advance time.Duration
		want    string // error code; "" for valid
	}{
		{"fresh", 0, ""},
		{"at exp, within leeway", invited.TicketTTL + ticket.Leeway - time.Second, ""},
		{"past exp and leeway", invited.TicketTTL + ticket.Leeway + time.Second, invited.ETICKETEXPIRED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			k := w.keys()
			tk := w.ticket()
			raw := sign(t, k, tk)
			w.clock.Advance(tt.advance)
			id, err := k.Verify(context.Background(), raw)
			if got := code(err); got != tt.want {
				t.Fatalf("Verify: %v, want code %q", err, tt.want)
			}
			if err == nil && id != tk.ID {
				t.Errorf("id %q, want %q", id, tk.ID)
			}
		})
	}
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return invited.ErrorCode(err)
}

// TestRotation follows one rotation on two instances over one store: the
// one that rotates (b) and one that learns of it from its next load (a).
func TestRotation(t *testing.T) {
	w := newWorld(t)
	a, b := w.keys(), w.keys()
	ctx := context.Background()
	w.clock.Advance(time.Hour) // the first key is long published
	old := kidOf(t, sign(t, a, w.ticket()))

	next, err := b.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rotatedAt := w.clock.Now()
	if next.ID == old || next.RetiredAt != nil {
		t.Fatalf("Rotate returned %+v", next)
	}
	if got := ticket.SignsFrom(next); !got.Equal(rotatedAt.Add(ticket.CacheAge)) {
		t.Errorf("SignsFrom = %v", got)
	}

	// b publishes the new key at once but signs with the old one until
	// every instance publishes the new one too.
	if got := kids(t, b); !slices.Equal(got, []string{next.ID, old}) {
		t.Errorf("b's JWKS right after rotating: %v", got)
	}
	if got := kidOf(t, sign(t, b, w.ticket())); got != old {
		t.Errorf("b signs with %s right after rotating, want the old key", got)
	}
	// a has not reloaded yet: it knows only the old key.
	w.clock.Advance(ticket.CacheAge - time.Second)
	if got := kids(t, a); !slices.Equal(got, []string{old}) {
		t.Errorf("a's JWKS before its reload: %v", got)
	}
	// The last ticket the old key can sign: a, just before its reload.
	last := w.ticket()
	lastRaw := sign(t, a, last)
	if kidOf(t, lastRaw) != old {
		t.Fatal("a signs with a key it does not know")
	}

	w.clock.Advance(time.Second) // the new key is CacheAge old: everyone reloaded
	for name, k := range map[string]*ticket.Keys{"a": a, "b": b} {
		if got := kids(t, k); !slices.Equal(got, []string{next.ID, old}) {
			t.Errorf("%s's JWKS after CacheAge: %v", name, got)
		}
		if got := kidOf(t, sign(t, k, w.ticket())); got != next.ID {
			t.Errorf("%s signs with %s after CacheAge, want the new key", name, got)
		}
	}

	// The last old-key ticket verifies, at a host app with go-jose's
	// default leeway, until the end of its life; the old key is still
	// published then.
	w.clock.Advance(invited.TicketTTL + ticket.Leeway - time.Second)
	if _, err := hostVerify(t, b, lastRaw, w.clock.Now()); err != nil {
		t.Errorf("the old key's last ticket at the end of its leeway: %v", err)
	}
	if _, err := b.Verify(ctx, lastRaw); err != nil {
		t.Errorf("Verify of the old key's last ticket: %v", err)
	}
	if until := w.clock.Now().Add(time.Second); !until.Equal(rotatedAt.Add(ticket.PublicationWindow)) {
		t.Fatalf("the window closes at %v, want %v", rotatedAt.Add(ticket.PublicationWindow), until)
	}

	// Then the old key leaves the JWKS everywhere.
	w.clock.Advance(time.Second)
	for name, k := range map[string]*ticket.Keys{"a": a, "b": b} {
		if got := kids(t, k); !slices.Equal(got, []string{next.ID}) {
			t.Errorf("%s's JWKS after the window: %v", name, got)
		}
	}
	if code(func() error { _, err := b.Verify(ctx, lastRaw); return err }()) != invited.EINVALID {
		t.Error("a ticket of a withdrawn key verifies")
	}
}

func TestPublishedUntil(t *testing.T) {
	retired := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		key  *invited.SigningKey
		want time.Time
	}{
		{"active", &invited.SigningKey{}, time.Time{}},
		{"retired", &invited.SigningKey{RetiredAt: &retired}, retired.Add(6*time.Minute + 30*time.Second)},
	}
	for _, tt := range tests {
		if got := ticket.PublishedUntil(tt.key); !got.Equal(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEnsure(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// Instances starting together agree on one key.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := ticket.New(w.store, issuer, w.clock.Now).Ensure(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	k := w.keys() // and once more, later
	stored, err := w.store.SigningKeys(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].RetiredAt != nil || stored[0].Algorithm != "ES256" {
		t.Fatalf("after Ensure ×5: %d keys, %+v", len(stored), stored)
	}
	if got := kids(t, k); !slices.Equal(got, []string{stored[0].ID}) {
		t.Errorf("JWKS %v, want %s", got, stored[0].ID)
	}

	// After a rotation there is an active key: Ensure keeps it.
	next, err := k.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.keys()
	if stored, _ := w.store.SigningKeys(ctx, time.Time{}); len(stored) != 2 || stored[0].ID != next.ID {
		t.Errorf("Ensure after a rotation: %+v", stored)
	}
}
