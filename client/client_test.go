package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/api"
	"github.com/invitedhq/invited/internal/dnsverify"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/metrics"
	"github.com/invitedhq/invited/internal/ratelimit"
	"github.com/invitedhq/invited/internal/secretbox"
	"github.com/invitedhq/invited/internal/sqlstore"
	"github.com/invitedhq/invited/internal/testutil/dnstest"
	"github.com/invitedhq/invited/internal/testutil/specvalidate"
	"github.com/invitedhq/invited/internal/ticket"
)

// service is the real API on a fresh SQLite database, served over HTTP.
type service struct {
	url   string
	admin string // the admin key's secret
	// spec checks every exchange of client() against the served document.
	spec *specvalidate.Validator
	// requests counts the requests the clients of client() sent.
	requests atomic.Int64
	// mu guards headers, the headers of the last request.
	mu      sync.Mutex
	headers http.Header
}

// newService starts the API; opts may change its Deps before it starts.
func newService(t *testing.T, opts ...func(*api.Deps)) *service {
	t.Helper()
	ctx := context.Background()
	keys, err := secretbox.Parse(secretbox.NewKey("test"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "invited.db"), sqlstore.Options{Secrets: keys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	admin := invited.NewSecret(invited.SecretPrefixAPIKey)
	if _, err := db.EnsureAdminAPIKey(ctx, admin, "test admin"); err != nil {
		t.Fatal(err)
	}
	ticketKeys := ticket.New(db, "https://invited.test", nil)
	if err := ticketKeys.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	deps := api.Deps{
		Orgs: db, Members: db, Roles: db, Invitations: db, APIKeys: db, Idempotency: db, Audit: db,
		Webhooks: db, Outbox: db, Apps: db, JoinLinks: db, JoinRequests: db, Domains: db, Erasure: db, Profiles: db, Tickets: db, TicketKeys: ticketKeys,
		Credentials: &httpkit.Credentials{Auth: db},
		Ready:       []api.Check{{Name: "database", Check: db.Ready}},
	}
	for _, opt := range opts {
		opt(&deps)
	}
	srv := httptest.NewUnstartedServer(nil)
	deps.PublicURL = "http://" + srv.Listener.Addr().String()
	srv.Config.Handler = api.NewServer(deps)
	srv.Start()
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	spec, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &service{url: srv.URL, admin: admin, spec: specvalidate.New(t, spec)}
}

// client returns a client of the service that counts its requests and
// records their headers.
func (s *service) client(opts ...client.Option) *client.Client {
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		s.requests.Add(1)
		s.mu.Lock()
		s.headers = r.Header.Clone()
		s.mu.Unlock()
		return s.spec.Wrap(http.DefaultTransport).RoundTrip(r)
	})
	return client.New(s.url, append([]client.Option{client.WithTransport(rt)}, opts...)...)
}

// adminClient is client with the admin key.
func (s *service) adminClient(opts ...client.Option) *client.Client {
	return s.client(append([]client.Option{client.WithAPIKey(s.admin)}, opts...)...)
}

func (s *service) lastHeaders() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headers
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func mustOrg(t *testing.T, c *client.Client, name string) *invited.Organization {
	t.Helper()
	org, err := c.CreateOrganization(t.Context(), invited.OrganizationCreate{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return org
}

func mustInvite(t *testing.T, c *client.Client, orgID, email string) *client.InvitationWithURL {
	t.Helper()
	inv, err := c.CreateInvitation(t.Context(), orgID, invited.InvitationCreate{Email: email, Roles: []string{"member"}})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// tokenOf returns the token of an invitation link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.Path, "/i/") {
		t.Fatalf("invitation link %q", link)
	}
	return strings.TrimPrefix(u.Path, "/i/")
}

// joinTokenOf returns the token of a join link.
func joinTokenOf(t *testing.T, l *client.JoinLinkWithURL) string {
	t.Helper()
	u, err := url.Parse(l.URL)
	if err != nil || l.Token == "" || u.Path != "/j/"+l.Token {
		t.Fatalf("join link %q with token %q", l.URL, l.Token)
	}
	return l.Token
}

// methodName is the Client method of an operationId.
func methodName(operationID string) string {
	if operationID == "openapi" {
		return "OpenAPI"
	}
	return strings.ToUpper(operationID[:1]) + operationID[1:]
}

// TestEveryOperationHasAMethod keeps the client abreast of the route
// table: each operation needs a method of its name taking a context first.
func TestEveryOperationHasAMethod(t *testing.T) {
	routes := api.Routes(api.Deps{Metrics: metrics.New(prometheus.NewRegistry())})
	typ := reflect.TypeFor[*client.Client]()
	ctxType := reflect.TypeFor[context.Context]()
	for _, rt := range routes {
		name := methodName(rt.OperationID)
		m, ok := typ.MethodByName(name)
		if !ok {
			t.Errorf("%s %s (%s) has no method Client.%s", rt.Method, rt.Path, rt.OperationID, name)
			continue
		}
		if m.Type.NumIn() < 2 || m.Type.In(1) != ctxType {
			t.Errorf("Client.%s does not take a context first", name)
		}
		if m.Type.NumOut() == 0 || m.Type.Out(m.Type.NumOut()-1) != reflect.TypeFor[error]() {
			t.Errorf("Client.%s does not return an error last", name)
		}
	}
	if len(routes) < 50 {
		t.Fatalf("only %d routes: is the table complete?", len(routes))
	}
}

// TestMethodsCallTheirOperation calls every method that takes a context
// first, with placeholder arguments, and checks that its request is the
// route of its operation and that its error names that operation.
// PreviewAppInvite shares getAppInvite with GetAppInvite.
func TestMethodsCallTheirOperation(t *testing.T) {
	mux := http.NewServeMux()
	ops := map[string]string{} // operationId by pattern
	for _, rt := range api.Routes(api.Deps{Metrics: metrics.New(prometheus.NewRegistry())}) {
		mux.Handle(rt.Pattern(), http.NotFoundHandler())
		ops[rt.Pattern()] = rt.OperationID
	}
	var got string // the operationId of the last request
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		_, pattern := mux.Handler(r)
		got = ops[pattern]
		return &http.Response{StatusCode: http.StatusNotFound, Request: r, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"error":{"code":"not_found","message":"not found"}}`))}, nil
	})
	c := reflect.ValueOf(client.New("http://invited.test", client.WithTransport(rt), client.WithRetry(client.RetryPolicy{})))
	ctxType := reflect.TypeFor[context.Context]()
	seq := reflect.TypeFor[iter.Seq2[*invited.Invitation, error]]().Kind()
	for i := range c.NumMethod() {
		m := c.Type().Method(i)
		if m.Type.NumIn() < 2 || m.Type.In(1) != ctxType || m.Type.Out(0).Kind() == seq {
			continue // not an operation, or an iterator over one
		}
		want := m.Name
		if want == "PreviewAppInvite" {
			want = "GetAppInvite"
		}
		args := []reflect.Value{reflect.ValueOf(t.Context())}
		for j := 2; j < m.Type.NumIn(); j++ {
			args = append(args, placeholder(m.Type.In(j)))
		}
		got = ""
		out := c.Method(i).Call(args)
		err, _ := out[len(out)-1].Interface().(error)
		e, ok := errors.AsType[*client.Error](err)
		if got == "" || methodName(got) != want || !ok || e.Op != got {
			t.Errorf("Client.%s called %q and answered %v, want %s", m.Name, got, err, want)
		}
	}
}

// placeholder is a value of type t whose strings, its fields' too, are
// "x": ids that fill a path.
func placeholder(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Struct:
		for i := range t.NumField() {
			if f := v.Field(i); f.CanSet() && f.Kind() == reflect.String {
				f.SetString("x")
			}
		}
	}
	return v
}

func TestErrors(t *testing.T) {
	s := newService(t)
	c := s.adminClient()
	ctx := t.Context()
	org := mustOrg(t, c, "Acme")
	first := mustInvite(t, c, org.ID, "ada@example.com")

	tests := []struct {
		name       string
		call       func() error
		status     int
		code       string
		field      string
		existingID string
	}{
		{"unknown id", func() error {
			_, err := c.GetInvitation(ctx, invited.NewID(invited.PrefixInvitation, time.Now()))
			return err
		}, 404, invited.ENOTFOUND, "", ""},
		{"invalid field", func() error {
			_, err := c.CreateOrganization(ctx, invited.OrganizationCreate{})
			return err
		}, 400, invited.EINVALID, "name", ""},
		{"open invitation", func() error {
			_, err := c.CreateInvitation(ctx, org.ID, invited.InvitationCreate{Email: "ada@example.com", Roles: []string{"member"}})
			return err
		}, 409, invited.EINVITATIONEXISTS, "", first.ID},
		{"no credentials", func() error {
			_, err := s.client().ListOrganizations(ctx, invited.OrganizationFilter{})
			return err
		}, 401, invited.EUNAUTHENTICATED, "", ""},
		{"unknown acting user", func() error {
			_, err := c.With(client.WithActingUser("nobody")).ListOrganizations(ctx, invited.OrganizationFilter{})
			return err
		}, 401, invited.EUNAUTHENTICATED, "", ""},
		{"revoked link", func() error {
			if _, err := c.RevokeInvitation(ctx, first.ID); err != nil {
				t.Fatal(err)
			}
			_, err := c.AcceptInvitation(ctx, tokenOf(t, first.URL), &invited.Acceptor{Email: "ada@example.com"})
			return err
		}, 410, invited.EREVOKED, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			e, ok := errors.AsType[*client.Error](err)
			if !ok {
				t.Fatalf("error %v (%T), want a *client.Error", err, err)
			}
			if e.StatusCode != tt.status || e.Code != tt.code || e.ExistingID != tt.existingID {
				t.Errorf("error %d %s existing %q, want %d %s existing %q", e.StatusCode, e.Code, e.ExistingID, tt.status, tt.code, tt.existingID)
			}
			if _, ok := e.Fields[tt.field]; tt.field != "" && !ok {
				t.Errorf("fields %v, want %s", e.Fields, tt.field)
			}
			if e.Message == "" || e.RequestID == "" {
				t.Errorf("message %q, request id %q", e.Message, e.RequestID)
			}
			if got := invited.ErrorCode(err); got != tt.code {
				t.Errorf("invited.ErrorCode = %s, want %s", got, tt.code)
			}
		})
	}
}

// TestUnexpectedAnswers: what is not the API's answer is not a
// *client.Error.
func TestUnexpectedAnswers(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html><body>Bad gateway</body></html>")
	}))
	defer proxy.Close()
	_, err := client.New(proxy.URL).GetOrganization(t.Context(), "org_x")
	e, ok := errors.AsType[*client.UnexpectedResponseError](err)
	if !ok || e.StatusCode != http.StatusBadGateway || !strings.Contains(string(e.Body), "Bad gateway") {
		t.Errorf("through a failing proxy: %v (%T)", err, err)
	}
	if _, ok := errors.AsType[*client.Error](err); ok {
		t.Errorf("a proxy's page is a *client.Error: %v", err)
	}

	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	const token = "secret-token"
	_, err = client.New(gone.URL).PreviewInvitation(t.Context(), token)
	if _, ok := errors.AsType[*url.Error](err); !ok {
		t.Errorf("unreachable server: %v (%T), want a *url.Error", err, err)
	}
	if _, ok := errors.AsType[*client.Error](err); ok {
		t.Errorf("unreachable server: a *client.Error: %v", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("the error shows the token: %v", err)
	}
}

func TestHeaders(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	c := s.adminClient(client.WithUserAgent("cli/1.0"))
	org := mustOrg(t, c, "Acme")
	if got, want := s.lastHeaders().Get("User-Agent"), "invited-go/"+invited.Version+" cli/1.0"; got != want {
		t.Errorf("User-Agent %q, want %q", got, want)
	}
	inv := mustInvite(t, c, org.ID, "ada@example.com")
	acc, err := c.AcceptInvitation(ctx, tokenOf(t, inv.URL), &invited.Acceptor{Email: "ada@example.com", Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	// Ada, the organization's first member and so its owner, invites Bob
	// through the admin key acting for her: the invitation names her.
	ada := c.With(client.WithActingUser(acc.User.ID))
	bob, err := ada.CreateInvitation(ctx, org.ID, invited.InvitationCreate{Email: "bob@example.com", Roles: []string{"member"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.lastHeaders().Get("Invited-Acting-User"); got != acc.User.ID {
		t.Errorf("Invited-Acting-User %q", got)
	}
	if bob.Inviter.UserID != acc.User.ID {
		t.Errorf("inviter %+v, want %s", bob.Inviter, acc.User.ID)
	}
}

// TestPublicOperations need no credentials.
func TestPublicOperations(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	admin := s.adminClient()
	org := mustOrg(t, admin, "Acme")
	app, err := admin.CreateApp(ctx, invited.AppCreate{Name: "Platform", OAuth: invited.OAuthConfig{
		AuthorizationURL: "https://platform.test/authorize", TokenURL: "https://platform.test/token", ClientID: "invited"}})
	if err != nil {
		t.Fatal(err)
	}
	ai, err := admin.CreateAppInvite(ctx, app.ID, invited.AppInviteCreate{OrgID: org.ID})
	if err != nil {
		t.Fatal(err)
	}
	decline := mustInvite(t, admin, org.ID, "bob@example.com")
	preview := mustInvite(t, admin, org.ID, "ada@example.com")

	anon := s.client()
	tests := []struct {
		name string
		call func() (any, error)
		ok   func(any) bool
	}{
		{"preview", func() (any, error) { return anon.PreviewInvitation(ctx, tokenOf(t, preview.URL)) },
			func(v any) bool { return v.(*invited.InvitationPreview).Organization.ID == org.ID }},
		{"decline", func() (any, error) { return anon.DeclineInvitation(ctx, tokenOf(t, decline.URL)) },
			func(v any) bool { return v.(*invited.InvitationPreview).Status == invited.StatusDeclined }},
		{"app invite preview", func() (any, error) { return anon.PreviewAppInvite(ctx, ai.Code) },
			func(v any) bool { return v.(*invited.AppInvitePreview).App.Name == "Platform" }},
		{"jwks", func() (any, error) { return anon.GetJWKS(ctx) },
			func(v any) bool { return len(v.(*client.JWKSet).Keys) == 1 }},
		{"live", func() (any, error) { return anon.Live(ctx) }, func(v any) bool { return v.(*client.Health).Status == "ok" }},
		{"ready", func() (any, error) { return anon.Ready(ctx) }, func(v any) bool { return v.(*client.Health).Status == "ok" }},
		{"health", func() (any, error) { return anon.Health(ctx) }, func(v any) bool { return v.(*client.Health).Status == "ok" }},
		{"openapi", func() (any, error) { return anon.OpenAPI(ctx) },
			func(v any) bool { return strings.Contains(string(v.([]byte)), `"createInvitation"`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.call()
			if err != nil {
				t.Fatal(err)
			}
			if !tt.ok(v) {
				t.Errorf("answer %+v", v)
			}
		})
	}
}

func TestIterators(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	c := s.adminClient()
	org := mustOrg(t, c, "Acme")
	want := map[string]bool{}
	for i := range 5 {
		want[mustInvite(t, c, org.ID, fmt.Sprintf("p%d@example.com", i)).ID] = true
	}

	before := s.requests.Load()
	seen := map[string]bool{}
	for inv, err := range c.Invitations(ctx, invited.InvitationFilter{OrgID: org.ID, Page: invited.Page{PageSize: 2}}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[inv.ID] {
			t.Errorf("%s twice", inv.ID)
		}
		seen[inv.ID] = true
	}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("iterated over %v, want %v", seen, want)
	}
	if n := s.requests.Load() - before; n != 3 {
		t.Errorf("%d requests for 5 invitations by pages of 2, want 3", n)
	}

	// Breaking off stops asking for pages.
	before = s.requests.Load()
	for range c.Invitations(ctx, invited.InvitationFilter{OrgID: org.ID, Page: invited.Page{PageSize: 2}}) {
		break
	}
	if n := s.requests.Load() - before; n != 1 {
		t.Errorf("%d requests to break off after the first, want 1", n)
	}

	// An error is yielded, and ends the iteration.
	var errs []error
	for _, err := range c.Invitations(ctx, invited.InvitationFilter{Page: invited.Page{PageToken: "bogus"}}) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || invited.ErrorCode(errs[0]) != invited.EINVALID {
		t.Errorf("a bad page token yields %v", errs)
	}
}

func TestIdempotencyKey(t *testing.T) {
	s := newService(t)
	c := s.adminClient()
	org := mustOrg(t, c, "Acme")
	ctx := client.WithIdempotencyKey(t.Context(), "invite-ada")
	ada := invited.InvitationCreate{Email: "ada@example.com", Roles: []string{"member"}}

	first, err := c.CreateInvitation(ctx, org.ID, ada)
	if err != nil {
		t.Fatal(err)
	}
	if s.lastHeaders().Get("Idempotency-Key") != "invite-ada" {
		t.Errorf("headers %v", s.lastHeaders())
	}
	replay, err := c.CreateInvitation(ctx, org.ID, ada)
	if err != nil {
		t.Fatal(err)
	}
	if replay.ID != first.ID || first.URL == "" || replay.URL != "" {
		t.Errorf("replay %s url %q of %s url %q: want the same invitation without its link", replay.ID, replay.URL, first.ID, first.URL)
	}
	ada.FirstName = "Ada"
	if _, err := c.CreateInvitation(ctx, org.ID, ada); invited.ErrorCode(err) != invited.ECONFLICT {
		t.Errorf("the key with another body: %v, want conflict", err)
	}
}

// TestRetry runs into the real rate limits, each case on a service of its
// own: one public link request a second, one create a second per
// organization.
func TestRetry(t *testing.T) {
	never := client.WithRetry(client.RetryPolicy{})
	type fixture struct {
		s     *service
		org   string
		token string
	}
	tests := []struct {
		name     string
		call     func(ctx context.Context, f fixture) error
		code     string // "" for success
		requests int64
	}{
		{"GET retried after Retry-After", func(ctx context.Context, f fixture) error {
			_, err := f.s.client().PreviewInvitation(ctx, f.token)
			return err
		}, "", 2},
		{"no retry policy", func(ctx context.Context, f fixture) error {
			_, err := f.s.client(never).PreviewInvitation(ctx, f.token)
			if e, ok := errors.AsType[*client.Error](err); !ok || e.RetryAfter != time.Second {
				t.Errorf("error %v, want one with Retry-After 1s", err)
			}
			return err
		}, invited.ERATELIMITED, 1},
		{"Retry-After beyond MaxWait", func(ctx context.Context, f fixture) error {
			_, err := f.s.client(client.WithRetry(client.RetryPolicy{MaxAttempts: 3, MaxWait: time.Millisecond})).PreviewInvitation(ctx, f.token)
			return err
		}, invited.ERATELIMITED, 1},
		{"cancelled while waiting to retry", func(ctx context.Context, f fixture) error {
			// Retry-After is a second; the caller gives up long before.
			ctx, cancel := context.WithCancel(ctx)
			defer time.AfterFunc(100*time.Millisecond, cancel).Stop()
			_, err := f.s.client().PreviewInvitation(ctx, f.token)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want one that is context.Canceled", err)
			}
			return err
		}, invited.ERATELIMITED, 1},
		{"POST without an idempotency key not retried", func(ctx context.Context, f fixture) error {
			_, err := f.s.client().DeclineInvitation(ctx, f.token)
			return err
		}, invited.ERATELIMITED, 1},
		{"POST with an idempotency key retried", func(ctx context.Context, f fixture) error {
			_, err := f.s.adminClient().CreateInvitation(client.WithIdempotencyKey(ctx, "carol"), f.org,
				invited.InvitationCreate{Email: "carol@example.com", Roles: []string{"member"}})
			return err
		}, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t, func(d *api.Deps) {
				d.PublicLimit = ratelimit.NewMemory(ratelimit.Rate{N: 1, Per: time.Second})
				d.CreateLimit = ratelimit.NewMemory(ratelimit.Rate{N: 1, Per: time.Second})
			})
			ctx := t.Context()
			admin := s.adminClient(never)
			org := mustOrg(t, admin, "Acme")
			// The invitation spends the organization's allowance of
			// creates, its preview the client address's of link requests.
			token := tokenOf(t, mustInvite(t, admin, org.ID, "ada@example.com").URL)
			if _, err := admin.PreviewInvitation(ctx, token); err != nil {
				t.Fatal(err)
			}
			before := s.requests.Load()
			err := tt.call(ctx, fixture{s: s, org: org.ID, token: token})
			if tt.code == "" && err != nil || tt.code != "" && invited.ErrorCode(err) != tt.code {
				t.Errorf("error %v, want %q", err, tt.code)
			}
			if n := s.requests.Load() - before; n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
		})
	}
}

// TestJoinLinks follows join links through their lives with every join
// link method: a link of two uses is previewed without credentials and
// used up, one use a second time changing nothing; another is used by a
// user for themselves, rotated and revoked.
func TestJoinLinks(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	c := s.adminClient()
	anon := s.client()
	org := mustOrg(t, c, "Acme")

	pair, err := c.CreateJoinLink(ctx, org.ID, invited.JoinLinkCreate{Roles: []string{"member"}, MaxUses: new(2), Note: "offsite"})
	if err != nil {
		t.Fatal(err)
	}
	token := joinTokenOf(t, pair)
	if got, err := c.GetJoinLink(ctx, pair.ID); err != nil || got.Note != "offsite" || got.Status != invited.JoinLinkActive {
		t.Fatalf("GetJoinLink = %+v, %v", got, err)
	}
	p, err := anon.PreviewJoinLink(ctx, token)
	if err != nil || !p.Usable || p.Organization.ID != org.ID || !reflect.DeepEqual(p.Roles, []string{"member"}) {
		t.Fatalf("PreviewJoinLink = %+v, %v", p, err)
	}

	ann := &invited.Acceptor{ExternalID: "ann", Email: "ann@example.com"}
	uses := []struct {
		name   string
		c      *client.Client
		user   *invited.Acceptor
		code   string // "" for success
		joined bool
	}{
		{"ann joins", c, ann, "", true},
		{"ann again changes nothing", c, ann, "", false},
		{"nobody without credentials", anon, nil, invited.EUNAUTHENTICATED, false},
		{"bob takes the last use", c, &invited.Acceptor{ExternalID: "bob", Email: "bob@example.com"}, "", true},
		{"cy comes too late", c, &invited.Acceptor{ExternalID: "cy", Email: "cy@example.com"}, invited.EJOINLINKEXHAUSTED, false},
	}
	var annID string
	for _, u := range uses {
		acc, err := u.c.AcceptJoinLink(ctx, token, u.user)
		if u.code != "" {
			if invited.ErrorCode(err) != u.code {
				t.Errorf("%s: %v, want %s", u.name, err, u.code)
			}
			continue
		}
		if err != nil || acc.Joined != u.joined || acc.Membership.OrgID != org.ID {
			t.Fatalf("%s: AcceptJoinLink = %+v, %v; want joined %v", u.name, acc, err, u.joined)
		}
		if u.user == ann {
			annID = acc.User.ID
		}
	}
	if got, err := c.GetJoinLink(ctx, pair.ID); err != nil || got.Uses != 2 || got.Status != invited.JoinLinkExhausted {
		t.Errorf("after its two uses: %+v, %v", got, err)
	}

	// Ann, already a user, joins another organization through a link for
	// herself: no body, as with a user access token.
	globex := mustOrg(t, c, "Globex")
	open, err := c.CreateJoinLink(ctx, globex.ID, invited.JoinLinkCreate{})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := c.With(client.WithActingUser(annID)).AcceptJoinLink(ctx, joinTokenOf(t, open), nil)
	if err != nil || !acc.Joined || acc.User.ID != annID || acc.Membership.OrgID != globex.ID {
		t.Fatalf("Ann joining Globex for herself: %+v, %v", acc, err)
	}

	rotated, err := c.RotateJoinLink(ctx, open.ID)
	if err != nil {
		t.Fatal(err)
	}
	if joinTokenOf(t, rotated) == open.Token || rotated.ID != open.ID || rotated.Uses != 1 {
		t.Errorf("rotated %+v of %+v: want the same link, with its use, and a new token", rotated, open)
	}
	if _, err := anon.PreviewJoinLink(ctx, open.Token); invited.ErrorCode(err) != invited.ENOTFOUND {
		t.Errorf("the token before the rotation: %v, want not_found", err)
	}
	if revoked, err := c.RevokeJoinLink(ctx, open.ID); err != nil || revoked.Status != invited.JoinLinkRevoked {
		t.Fatalf("RevokeJoinLink = %+v, %v", revoked, err)
	}
	if p, err := anon.PreviewJoinLink(ctx, rotated.Token); err != nil || p.Usable || p.Status != invited.JoinLinkRevoked {
		t.Errorf("a revoked link's preview: %+v, %v", p, err)
	}
	if _, err := c.AcceptJoinLink(ctx, rotated.Token, &invited.Acceptor{ExternalID: "cy"}); invited.ErrorCode(err) != invited.EREVOKED {
		t.Errorf("using a revoked link: %v, want %s", err, invited.EREVOKED)
	}
}

// TestJoinLinkLists: the list filters by status, and the iterator follows
// the pages of one organization's links.
func TestJoinLinkLists(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	c := s.adminClient()
	org := mustOrg(t, c, "Acme")
	var all []string
	for range 3 {
		l, err := c.CreateJoinLink(ctx, org.ID, invited.JoinLinkCreate{})
		if err != nil {
			t.Fatal(err)
		}
		all = append([]string{l.ID}, all...) // newest first
	}
	if _, err := c.RevokeJoinLink(ctx, all[1]); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		filter   invited.JoinLinkFilter
		want     []string
		requests int64
	}{
		{"every page", invited.JoinLinkFilter{OrgID: org.ID, Page: invited.Page{PageSize: 2}}, all, 2},
		{"active", invited.JoinLinkFilter{OrgID: org.ID, Status: invited.JoinLinkActive}, []string{all[0], all[2]}, 1},
		{"revoked", invited.JoinLinkFilter{OrgID: org.ID, Status: invited.JoinLinkRevoked}, all[1:2], 1},
		{"none expired", invited.JoinLinkFilter{OrgID: org.ID, Status: invited.JoinLinkExpired}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.requests.Load()
			var got []string
			for l, err := range c.JoinLinks(ctx, tt.filter) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, l.ID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("links %v, want %v", got, tt.want)
			}
			if n := s.requests.Load() - before; n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
		})
	}
	if _, err := c.ListJoinLinks(ctx, invited.JoinLinkFilter{OrgID: org.ID, Status: "lost"}); invited.ErrorCode(err) != invited.EINVALID {
		t.Errorf("an unknown status: %v, want invalid_request", err)
	}
}

// TestJoinRequests asks to join as a person the admin key acts for, and
// approves and denies through the client.
func TestJoinRequests(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	c := s.adminClient()
	home, acme := mustOrg(t, c, "Home"), mustOrg(t, c, "Acme")
	// Ann and Bob exist once they joined somewhere.
	link, err := c.CreateJoinLink(ctx, home.ID, invited.JoinLinkCreate{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"ann", "bob"} {
		if _, err := c.AcceptJoinLink(ctx, joinTokenOf(t, link), &invited.Acceptor{ExternalID: p, Email: p + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	ask := func(who string) *invited.JoinRequest {
		t.Helper()
		r, err := s.adminClient(client.WithActingUser(who)).CreateJoinRequest(ctx, acme.ID, invited.JoinRequestCreate{Message: "hello"})
		if err != nil || r.Status != invited.JoinRequestPending || r.Message != "hello" {
			t.Fatalf("CreateJoinRequest as %s = %+v, %v", who, r, err)
		}
		return r
	}
	ann, bob := ask("ann"), ask("bob")
	if _, err := c.CreateJoinRequest(ctx, acme.ID, invited.JoinRequestCreate{}); err == nil {
		t.Fatal("a key that is no person asked to join")
	} else if e, ok := errors.AsType[*client.Error](err); !ok || e.Code != invited.EFORBIDDEN {
		t.Fatalf("a key that is no person asks: %v", err)
	}
	var pending []string
	for r, err := range c.JoinRequests(ctx, invited.JoinRequestFilter{OrgID: acme.ID, Status: invited.JoinRequestPending, Page: invited.Page{PageSize: 1}}) {
		if err != nil {
			t.Fatal(err)
		}
		pending = append(pending, r.ID)
	}
	if !reflect.DeepEqual(pending, []string{bob.ID, ann.ID}) {
		t.Fatalf("pending %v, want bob's then ann's", pending)
	}
	approved, err := c.ApproveJoinRequest(ctx, ann.ID, invited.JoinDecision{Roles: []string{"guest"}, Note: "welcome"})
	if err != nil || approved.Membership == nil || !reflect.DeepEqual(approved.Membership.Roles, []string{"guest", "owner"}) {
		t.Fatalf("ApproveJoinRequest = %+v, %v", approved, err)
	}
	denied, err := c.DenyJoinRequest(ctx, bob.ID, invited.JoinDecision{Note: "no"})
	if err != nil || denied.Membership != nil || denied.Request.Status != invited.JoinRequestDenied {
		t.Fatalf("DenyJoinRequest = %+v, %v", denied, err)
	}
	if got, err := c.GetJoinRequest(ctx, bob.ID); err != nil || got.DecisionNote != "no" {
		t.Fatalf("GetJoinRequest = %+v, %v", got, err)
	}
}

// TestDomains claims domains through the client against a real DNS
// server: one is verified by its TXT record once published, another by
// the admin key; people with addresses at them see and join them by
// their policies, through the admin key acting for them.
func TestDomains(t *testing.T) {
	dns := dnstest.Start(t, nil)
	s := newService(t, func(d *api.Deps) { d.DNS = dnsverify.NewResolver(dns.Addr) })
	ctx := t.Context()
	c := s.adminClient()
	home, acme, beta := mustOrg(t, c, "Home"), mustOrg(t, c, "Acme"), mustOrg(t, c, "Beta")

	d, err := c.CreateDomain(ctx, acme.ID, invited.DomainCreate{Domain: "Acme.Test", Policy: invited.DomainAuto})
	if err != nil || d.Name != "acme.test" || d.Status != invited.DomainPending || d.Challenge.Type != "TXT" ||
		d.Challenge.Name != "_invited-challenge.acme.test" || d.Challenge.Value == "" {
		t.Fatalf("CreateDomain = %+v, %v", d, err)
	}
	if _, err := c.VerifyDomain(ctx, d.ID, invited.DomainVerify{}); invited.ErrorCode(err) != invited.EDOMAINNOTVERIFIED ||
		!strings.Contains(err.Error(), d.Challenge.Value) {
		t.Fatalf("verifying before the record is published: %v, want %s naming the value", err, invited.EDOMAINNOTVERIFIED)
	}
	dns.SetTXT(map[string][]string{d.Challenge.Name: {d.Challenge.Value}})
	if got, err := c.VerifyDomain(ctx, d.ID, invited.DomainVerify{}); err != nil || got.Status != invited.DomainVerified ||
		got.VerificationMethod != invited.VerifyDNS || got.VerifiedAt == nil {
		t.Fatalf("VerifyDomain by DNS = %+v, %v", got, err)
	}

	b, err := c.CreateDomain(ctx, beta.ID, invited.DomainCreate{Domain: "beta.test"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.VerifyDomain(ctx, b.ID, invited.DomainVerify{Method: invited.VerifyAdmin}); err != nil ||
		got.Status != invited.DomainVerified || got.VerificationMethod != invited.VerifyAdmin {
		t.Fatalf("VerifyDomain by the admin = %+v, %v", got, err)
	}
	request := invited.DomainRequest
	if got, err := c.UpdateDomain(ctx, b.ID, invited.DomainUpdate{Policy: &request}); err != nil || got.Policy != request ||
		!reflect.DeepEqual(got.Roles, []string{"member"}) {
		t.Fatalf("UpdateDomain = %+v, %v", got, err)
	}
	if got, err := c.GetDomain(ctx, b.ID); err != nil || got.Policy != request || got.Challenge.Name != "_invited-challenge.beta.test" {
		t.Fatalf("GetDomain = %+v, %v", got, err)
	}

	// Ann and Cy exist once they joined Home; the admin key vouched for
	// their addresses.
	link, err := c.CreateJoinLink(ctx, home.ID, invited.JoinLinkCreate{})
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]string{} // user id by address
	for _, email := range []string{"ann@acme.test", "cy@beta.test"} {
		acc, err := c.AcceptJoinLink(ctx, joinTokenOf(t, link), &invited.Acceptor{ExternalID: email, Email: email})
		if err != nil {
			t.Fatal(err)
		}
		users[email] = acc.User.ID
	}
	joins := []struct {
		email, org string
		policy     invited.DomainPolicy
		joined     bool
	}{
		{"ann@acme.test", acme.ID, invited.DomainAuto, true},
		{"cy@beta.test", beta.ID, invited.DomainRequest, false},
	}
	for _, tt := range joins {
		t.Run(tt.email, func(t *testing.T) {
			as := c.With(client.WithActingUser(users[tt.email]))
			list, err := as.ListJoinableOrgs(ctx)
			if err != nil || len(list.JoinableOrgs) != 1 || list.JoinableOrgs[0].Organization.ID != tt.org || list.JoinableOrgs[0].Policy != tt.policy {
				t.Fatalf("ListJoinableOrgs = %+v, %v", list, err)
			}
			j, err := as.JoinOrganization(ctx, tt.org, invited.JoinRequestCreate{Message: "hello"})
			if err != nil || j.Joined != tt.joined || (j.Membership != nil) != tt.joined || (j.Request != nil) == tt.joined {
				t.Fatalf("JoinOrganization = %+v, %v", j, err)
			}
		})
	}

	var got []string
	for d, err := range c.Domains(ctx, invited.DomainFilter{OrgID: beta.ID, Status: invited.DomainVerified, Page: invited.Page{PageSize: 1}}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d.Name)
	}
	if !reflect.DeepEqual(got, []string{"beta.test"}) {
		t.Errorf("Beta's verified domains %v", got)
	}
	if l, err := c.ListDomains(ctx, invited.DomainFilter{OrgID: beta.ID, Status: invited.DomainPending}); err != nil || len(l.Domains) != 0 {
		t.Errorf("Beta's pending domains %+v, %v", l, err)
	}
	if err := c.DeleteDomain(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetDomain(ctx, b.ID); invited.ErrorCode(err) != invited.ENOTFOUND {
		t.Errorf("a deleted domain: %v, want not_found", err)
	}
}
