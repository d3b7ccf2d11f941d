package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/api"
	"github.com/invitedhq/invited/internal/metrics"
	"github.com/invitedhq/invited/internal/testutil"
	"github.com/invitedhq/invited/internal/testutil/specvalidate"
)

// instance is one `invited serve` started through serve().
type instance struct {
	URL            string // where it listens: its public URL too, unless the test set one
	Stdout, Stderr *testutil.SyncBuffer
}

// startServe runs `invited serve` with env on a loopback port of its own
// choosing (INVITED_ADDR=127.0.0.1:0 unless env sets it) until the test
// ends, and returns once it serves requests.
func startServe(t *testing.T, env map[string]string) *instance {
	t.Helper()
	inst := &instance{Stdout: &testutil.SyncBuffer{}, Stderr: &testutil.SyncBuffer{}}
	getenv := func(k string) string {
		if v, ok := env[k]; ok || k != "INVITED_ADDR" {
			return v
		}
		return "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	listening := make(chan net.Addr, 1)
	go func() {
		done <- serve(ctx, nil, getenv, inst.Stdout, inst.Stderr, func(addr net.Addr) { listening <- addr })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
	select {
	case addr := <-listening:
		inst.URL = "http://" + addr.String()
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("serve exited early: %v\nstderr:\n%s", err, inst.Stderr)
	}
	return inst
}

// newClient returns a client of the service at baseURL (an instance's or a
// process's URL): the one way this package's tests call the API. Every
// exchange is checked against the published contract, docs/openapi.json
// (which internal/api's TestSpecFile keeps equal to what the server
// serves), and every answer against the route table: a success must have
// the status its route declares.
func newClient(t testing.TB, baseURL string, opts ...client.Option) *client.Client {
	spec, err := publishedSpec()
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64 // some tests send a hundred requests at once
	t.Cleanup(tr.CloseIdleConnections)
	checked := &routeChecker{t: t, next: specvalidate.New(t, spec).Wrap(tr), mux: http.NewServeMux(), status: map[string]int{}}
	for _, rt := range api.Routes(api.Deps{Metrics: metrics.New(prometheus.NewRegistry())}) {
		checked.mux.Handle(rt.Pattern(), http.NotFoundHandler())
		checked.status[rt.Pattern()] = cmp.Or(rt.Status, http.StatusOK)
	}
	return client.New(baseURL, append([]client.Option{client.WithTransport(checked)}, opts...)...)
}

// publishedSpec reads docs/openapi.json once.
var publishedSpec = sync.OnceValues(func() ([]byte, error) {
	return os.ReadFile(filepath.Join("..", "..", "docs", "openapi.json"))
})

// routeChecker is the transport of newClient.
type routeChecker struct {
	t      testing.TB
	next   http.RoundTripper
	mux    *http.ServeMux // the route table's patterns, to find a request's route
	status map[string]int // success status by pattern
}

func (c *routeChecker) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err != nil || resp.StatusCode >= 300 {
		return resp, err
	}
	if _, pattern := c.mux.Handler(r); pattern == "" {
		c.t.Errorf("%s %s is not in the route table", r.Method, r.URL.Path)
	} else if want := c.status[pattern]; resp.StatusCode != want {
		c.t.Errorf("%s answered %d, want %d", pattern, resp.StatusCode, want)
	}
	return resp, nil
}

// is reports whether err is an error the API answered with status and
// code.
func is(err error, status int, code string) bool {
	e, ok := errors.AsType[*client.Error](err)
	return ok && e.StatusCode == status && e.Code == code
}

// eventually waits, for a generous while, until cond holds: for what the
// server does in the background, such as deliveries.
// A server given is shown in the failure: its log says what went wrong.
// linkIn returns the first invitation link under base in s, "" if none.
func linkIn(s, base string) string {
	return regexp.MustCompile(regexp.QuoteMeta(base+"/i/") + `[A-Za-z0-9_-]{43}`).FindString(s)
}

func eventually(t *testing.T, what string, cond func() bool, servers ...*instance) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			for _, s := range servers {
				t.Logf("server log:\n%s", s.Stderr)
			}
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tokenOf returns the token of an invitation link.
func tokenOf(link string) string { return link[strings.LastIndex(link, "/i/")+3:] }

func TestFirstStartPrintsAdminKeyOnce(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "invited.db")
	env := map[string]string{"INVITED_DATABASE_URL": dbURL}

	first := startServe(t, env)
	key := regexp.MustCompile(`ik_[A-Za-z0-9_-]{43}`).FindString(first.Stdout.String())
	if key == "" {
		t.Fatalf("no admin key printed on first start; stdout:\n%s", first.Stdout)
	}
	if strings.Contains(first.Stderr.String(), key) {
		t.Fatal("the admin key must not be logged")
	}
	if _, err := newClient(t, first.URL, client.WithAPIKey(key)).CreateOrganization(t.Context(), invited.OrganizationCreate{Name: "Acme"}); err != nil {
		t.Fatalf("create org with the printed key: %v", err)
	}

	// A second server on the same database prints nothing: keys exist.
	second := startServe(t, env)
	if strings.Contains(second.Stdout.String(), "ik_") {
		t.Fatalf("second start printed a key again:\n%s", second.Stdout)
	}
}

// TestServeEndToEnd drives the running program the way an integrator
// would: organization, invitation, public lookup, accept, membership,
// reuse of the link, listing, and another tenant's view.
func TestServeEndToEnd(t *testing.T) {
	const admin = "test-admin-key-0123456789"
	srv := startServe(t, map[string]string{
		"INVITED_DATABASE_URL":  "sqlite:" + filepath.Join(t.TempDir(), "invited.db"),
		"INVITED_ADMIN_API_KEY": admin,
	})
	u := srv.URL
	ctx := t.Context()
	c := newClient(t, u, client.WithAPIKey(admin))

	org, err := c.CreateOrganization(ctx, invited.OrganizationCreate{Name: "Acme"})
	if err != nil {
		t.Fatalf("create org: %v", err)
	}

	inv, err := c.CreateInvitation(ctx, org.ID, invited.InvitationCreate{
		Email: "ann@example.com", Roles: []string{"admin"}, FirstName: "Ann",
		Message: "Welcome!", Metadata: json.RawMessage(`{"secret":"metadata-secret-value"}`),
	})
	if err != nil || inv.Status != invited.StatusPending {
		t.Fatalf("create invitation: %v %+v", err, inv)
	}
	// The public URL defaults to the address serve bound.
	link := inv.URL
	if !strings.HasPrefix(link, u+"/i/") {
		t.Fatalf("invitation url %q", link)
	}
	token := strings.TrimPrefix(link, u+"/i/")
	// The letter carries a link of its own, minted when it was sent (no
	// link is stored), which opens the same invitation.
	eventually(t, "the log transport to record the delivery", func() bool {
		return strings.Contains(srv.Stderr.String(), `"link":"`+u+"/i/")
	})
	if sent := linkIn(srv.Stderr.String(), u); sent == "" || sent == link {
		t.Fatalf("the letter's link %q, the answer's %q", sent, link)
	} else if view, err := newClient(t, u).PreviewInvitation(ctx, tokenOf(sent)); err != nil || view.Organization.ID != org.ID {
		t.Fatalf("the letter's link opens %+v, %v", view, err)
	}

	view, err := newClient(t, u).PreviewInvitation(ctx, token)
	if err != nil || view.Status != invited.StatusPending {
		t.Fatalf("public lookup: %v %+v", err, view)
	}
	// What the wire carries, not what the client decodes: a field the
	// client does not know would leak as well.
	resp, err := http.Get(u + "/v1/invitation-tokens/" + token)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"ann@example.com", "metadata-secret-value", "metadata", inv.ID} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("public lookup leaks %q: %s", leak, raw)
		}
	}

	ann := &invited.Acceptor{ExternalID: "ext-ann", Email: "ann@example.com", Name: "Ann Example"}
	acc, err := c.AcceptInvitation(ctx, token, ann)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	if roles := acc.Membership.Roles; !slices.Contains(roles, "admin") || !slices.Contains(roles, "owner") {
		t.Fatalf("first member's roles %v, want admin and owner", roles)
	}
	if _, err := c.AcceptInvitation(ctx, token, ann); !is(err, http.StatusConflict, invited.EALREADYACCEPTED) {
		t.Fatalf("second accept: %v", err)
	}

	members, err := c.ListMembers(ctx, invited.MemberFilter{OrgID: org.ID})
	if err != nil || len(members.Members) != 1 {
		t.Fatalf("members: %v %+v", err, members)
	}

	// Listing pages through every invitation exactly once.
	for i := range 5 {
		if _, err := c.CreateInvitation(ctx, org.ID, invited.InvitationCreate{
			Email: fmt.Sprintf("p%d@example.com", i), Roles: []string{"member"},
		}); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	seen := map[string]bool{}
	for it, err := range c.Invitations(ctx, invited.InvitationFilter{OrgID: org.ID, Page: invited.Page{PageSize: 2}}) {
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if seen[it.ID] {
			t.Fatalf("invitation %s listed twice", it.ID)
		}
		seen[it.ID] = true
	}
	if len(seen) != 6 {
		t.Fatalf("listed %d invitations, want 6", len(seen))
	}

	// Another tenant's key sees none of it.
	other, err := c.CreateOrganization(ctx, invited.OrganizationCreate{Name: "Other"})
	if err != nil {
		t.Fatalf("create other org: %v", err)
	}
	k, err := c.CreateAPIKey(ctx, invited.APIKeyCreate{
		Name: "other", OrgID: other.ID, Permissions: []invited.Permission{invited.PermInvitationsRead, invited.PermInvitationsCreate},
	})
	if err != nil {
		t.Fatalf("create org key: %v", err)
	}
	otherKey := c.With(client.WithAPIKey(k.Secret))
	if got, err := otherKey.GetInvitation(ctx, inv.ID); !is(err, http.StatusNotFound, invited.ENOTFOUND) {
		t.Fatalf("other tenant reads invitation: %+v %v", got, err)
	}
	if got, err := otherKey.GetOrganization(ctx, org.ID); !is(err, http.StatusNotFound, invited.ENOTFOUND) {
		t.Fatalf("other tenant reads org: %+v %v", got, err)
	}

	// Bad input is refused with the field named.
	_, err = c.CreateInvitation(ctx, org.ID, invited.InvitationCreate{Email: "nope", Roles: []string{}})
	if !is(err, http.StatusBadRequest, invited.EINVALID) {
		t.Fatalf("bad input: %v", err)
	}

	if strings.Contains(srv.Stderr.String(), admin) {
		t.Fatal("the admin key appears in the log")
	}

	// serve wires metrics: transitions are counted, and no label holds a token.
	metrics, err := c.Metrics(ctx)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	for _, want := range []string{
		`invited_invitation_transitions_total{action="accepted"} 1`,
		`invited_invitation_transitions_total{action="created"} 6`,
		`invited_http_requests_total{method="GET",route="GET /v1/invitation-tokens/{token}",status="200"} 3`, // the letter's link, the answer's, on the wire
		"go_goroutines",
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(string(metrics), token) {
		t.Error("/metrics holds an invitation token")
	}
}

func TestCommands(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "invited.db")
	getenv := func(k string) string {
		if k == "INVITED_DATABASE_URL" {
			return dbURL
		}
		return ""
	}
	tests := []struct {
		args    []string
		wantErr bool
		wantOut string
	}{
		{args: []string{"version"}, wantOut: "invited "},
		{args: []string{"migrate"}, wantOut: "up to date"},
		{args: []string{"migrate"}, wantOut: "up to date"}, // idempotent
		{args: nil, wantErr: true},
		{args: []string{"bogus"}, wantErr: true},
		{args: []string{"serve", "--public-url", "not a url"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, getenv, &out, &errOut)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Fatalf("stdout %q does not contain %q", out.String(), tt.wantOut)
			}
		})
	}
}
