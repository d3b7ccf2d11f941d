package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited/internal/egress"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/testutil"
	"github.com/invitedhq/invited/internal/testutil/idp"
	"github.com/invitedhq/invited/internal/testutil/specvalidate"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/connect"
	"github.com/invitedhq/invited/internal/jwtauth"
	"github.com/invitedhq/invited/internal/pgtest"
	"github.com/invitedhq/invited/internal/secretbox"
	"github.com/invitedhq/invited/internal/sqlstore"
)

// TestMain stops the shared PostgreSQL cluster once the tests are done.
func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

const testBaseURL = "https://invited.test"

// env is a running API on a fresh SQLite database, with an admin key and an
// identity provider that signs user access tokens.
type env struct {
	t     testing.TB
	db    *sqlstore.DB
	srv   *httptest.Server
	h     http.Handler // what srv serves, for in-process requests
	idp   *idp.Provider
	admin string // the admin key's secret
	log   *testutil.SyncBuffer
	clock *testutil.Clock
	// connect is the partner's flow and the token renewal, on the API's
	// store and clock.
	connect *connect.Service
}

// newEnv starts the API; opts may change its Deps before it starts.
func newEnv(t testing.TB, opts ...func(*Deps)) *env {
	t.Helper()
	return newEnvOn(t, sqliteURL(t), opts...)
}

// sqliteURL names a fresh SQLite database file for one test.
func sqliteURL(tb testing.TB) string { return "sqlite:" + filepath.Join(tb.TempDir(), "invited.db") }

// newEnvOn starts the API on the database dbURL names (sqlite: or
// postgres:), with the default outbound policy: the service's own network
// refused.
func newEnvOn(t testing.TB, dbURL string, opts ...func(*Deps)) *env {
	t.Helper()
	return newEnvWith(t, dbURL, invited.OutboundPolicy{}, opts...)
}

// newEnvWith is newEnvOn with the outbound policy of registration and of
// the calls to OAuth platforms.
func newEnvWith(t testing.TB, dbURL string, outbound invited.OutboundPolicy, opts ...func(*Deps)) *env {
	t.Helper()
	ctx := context.Background()
	clk := testutil.NewClock(time.Now().UTC())
	// A keyring, so that apps may be registered with client secrets.
	keys, err := secretbox.Parse(secretbox.NewKey("test"))
	if err != nil {
		t.Fatal(err)
	}
	// API keys are cached as serve caches them by default.
	db, err := sqlstore.Open(ctx, dbURL, sqlstore.Options{Now: clk.Now, Secrets: keys, Outbound: outbound, APIKeyCache: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	admin := invited.NewSecret(invited.SecretPrefixAPIKey)
	if _, err := db.EnsureAdminAPIKey(ctx, admin, "test admin"); err != nil {
		t.Fatal(err)
	}
	provider := idp.Start(t)
	verifier, err := jwtauth.NewVerifier(jwtauth.Config{Issuer: idp.Issuer, JWKSURL: provider.URL})
	if err != nil {
		t.Fatal(err)
	}
	log := &testutil.SyncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", log)
		}
	})
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	conn := connect.New(connect.Config{Store: db, PublicURL: testBaseURL, Now: clk.Now, Logger: logger,
		HTTPClient: egress.Client(outbound, 5*time.Second)})
	deps := Deps{
		Orgs: db, Members: db, Roles: db, Invitations: db, APIKeys: db, Idempotency: db, Audit: db, Apps: db, JoinLinks: db, JoinRequests: db, Domains: db, Erasure: db,
		Profiles: db, ProfileTokens: conn, Webhooks: db,
		Credentials: &httpkit.Credentials{Auth: db, Verifier: verifier},
		PublicURL:   testBaseURL,
		Logger:      logger,
		Ready:       []Check{{Name: "database", Check: db.Ready}},
	}
	for _, opt := range opts {
		opt(&deps)
	}
	h := NewServer(deps)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	// Every exchange of the test is checked against the spec the server
	// serves: the spec must say what the service does.
	spec := httptestDo(h, "GET", "/openapi.json", nil).Body.Bytes()
	srv.Client().Transport = specvalidate.New(t, spec).Wrap(srv.Client().Transport)
	return &env{t: t, db: db, srv: srv, h: h, idp: provider, admin: admin, log: log, clock: clk, connect: conn}
}

// response is an answer, read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// request is what do sends. Body is sent as is when it is a string or
// []byte and as JSON otherwise; Header adds or overrides headers. Invalid
// says the request breaks the spec on purpose and the server accepts it
// anyway (specvalidate.ExpectInvalid).
type request struct {
	Method, Path, Cred string
	Body               any
	Header             map[string]string
	Invalid            bool
}

func (e *env) do(rq request) response {
	e.t.Helper()
	var body io.Reader
	switch b := rq.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	ctx := context.Background()
	if rq.Invalid {
		ctx = specvalidate.ExpectInvalid(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, rq.Method, e.srv.URL+rq.Path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if rq.Cred != "" {
		req.Header.Set("Authorization", "Bearer "+rq.Cred)
	}
	for k, v := range rq.Header {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// call sends rq, requires status, and decodes the answer into out (if not nil).
func (e *env) call(rq request, status int, out any) response {
	e.t.Helper()
	r := e.do(rq)
	if r.Status != status {
		e.t.Fatalf("%s %s: status %d, want %d: %s", rq.Method, rq.Path, r.Status, status, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			e.t.Fatalf("%s %s: decoding %s: %v", rq.Method, rq.Path, r.Body, err)
		}
	}
	return r
}

// apiError decodes an error answer.
func (r response) apiError(t testing.TB) client.ErrorDetail {
	t.Helper()
	var b client.ErrorResponse
	if err := json.Unmarshal(r.Body, &b); err != nil || b.Error.Code == "" {
		t.Fatalf("not an error answer (%v): %s", err, r.Body)
	}
	return b.Error
}

// createOrg creates an organization with the admin key.
func (e *env) createOrg(name string) *invited.Organization {
	e.t.Helper()
	var org invited.Organization
	e.call(request{Method: "POST", Path: "/v1/orgs", Cred: e.admin, Body: map[string]any{"name": name}}, http.StatusCreated, &org)
	return &org
}

// invite creates an invitation in org with cred.
func (e *env) invite(cred, orgID string, body map[string]any) client.InvitationWithURL {
	e.t.Helper()
	var inv client.InvitationWithURL
	e.call(request{Method: "POST", Path: "/v1/orgs/" + orgID + "/invitations", Cred: cred, Body: body}, http.StatusCreated, &inv)
	return inv
}

// createKey creates an organization key with the admin key.
func (e *env) createKey(orgID string, perms ...invited.Permission) string {
	e.t.Helper()
	var k client.APIKeyWithSecret
	e.call(request{Method: "POST", Path: "/v1/api-keys", Cred: e.admin, Body: invited.APIKeyCreate{Name: "test", OrgID: orgID, Permissions: perms}},
		http.StatusCreated, &k)
	return k.Secret
}

// tokenOf is the token at the end of an invitation link.
func tokenOf(t testing.TB, link string) string {
	t.Helper()
	token, ok := strings.CutPrefix(link, testBaseURL+"/i/")
	if !ok || token == "" {
		t.Fatalf("link %q is not %s/i/{token}", link, testBaseURL)
	}
	return token
}
