package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited/internal/testutil"
)

// instance is one `invited serve` started through run().
type instance struct {
	URL            string
	Stdout, Stderr *testutil.SyncBuffer
}

// freeAddr returns a loopback address with a port free at the moment.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs `invited serve` with env on a free loopback port until the
// test ends, and waits for /livez: serve listens only once it is ready, and
// polling readiness would load the signing keys that some tests rotate first.
func startServe(t *testing.T, env map[string]string) *instance {
	t.Helper()
	addr := freeAddr(t)
	inst := &instance{URL: "http://" + addr, Stdout: &testutil.SyncBuffer{}, Stderr: &testutil.SyncBuffer{}}
	getenv := func(k string) string {
		switch k {
		case "INVITED_ADDR":
			return addr
		case "INVITED_PUBLIC_URL":
			return inst.URL
		}
		return env[k]
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, getenv, inst.Stdout, inst.Stderr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(inst.URL + "/livez")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return inst
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\nstderr:\n%s", err, inst.Stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not healthy in time\nstderr:\n%s", inst.Stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// call sends a JSON request, with headers given as name and value pairs,
// and decodes the JSON answer into a map.
func call(t *testing.T, method, url, key string, body any, headers ...string) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("%s %s: %d, body is not JSON: %v", method, url, resp.StatusCode, err)
		}
	}
	return resp.StatusCode, out
}

// eventually waits, for a generous while, until cond holds: for what the
// server does in the background, such as deliveries.
// A server given is shown in the failure: its log says what went wrong.
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

func errorCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

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
	if code, body := call(t, "POST", first.URL+"/v1/orgs", key, map[string]any{"name": "Acme"}); code != http.StatusCreated {
		t.Fatalf("create org with the printed key: %d %v", code, body)
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

	code, org := call(t, "POST", u+"/v1/orgs", admin, map[string]any{"name": "Acme"})
	if code != http.StatusCreated {
		t.Fatalf("create org: %d %v", code, org)
	}
	orgID := org["id"].(string)

	code, inv := call(t, "POST", u+"/v1/orgs/"+orgID+"/invitations", admin, map[string]any{
		"email": "ann@example.com", "roles": []string{"admin"}, "first_name": "Ann",
		"message": "Welcome!", "metadata": map[string]any{"secret": "metadata-secret-value"},
	})
	if code != http.StatusCreated || inv["status"] != "pending" {
		t.Fatalf("create invitation: %d %v", code, inv)
	}
	link, _ := inv["url"].(string)
	if !strings.HasPrefix(link, u+"/i/") {
		t.Fatalf("invitation url %q", link)
	}
	token := strings.TrimPrefix(link, u+"/i/")
	eventually(t, "the log transport to record the delivery", func() bool {
		return strings.Contains(srv.Stderr.String(), `"link":"`+link+`"`)
	})

	code, view := call(t, "GET", u+"/v1/invitation-tokens/"+token, "", nil)
	if code != http.StatusOK || view["status"] != "pending" {
		t.Fatalf("public lookup: %d %v", code, view)
	}
	raw, _ := json.Marshal(view)
	for _, leak := range []string{"ann@example.com", "metadata-secret-value", "metadata", inv["id"].(string)} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("public lookup leaks %q: %s", leak, raw)
		}
	}

	accept := map[string]any{"user": map[string]any{"external_id": "ext-ann", "email": "ann@example.com", "name": "Ann Example"}}
	code, acc := call(t, "POST", u+"/v1/invitation-tokens/"+token+"/accept", admin, accept)
	if code != http.StatusOK {
		t.Fatalf("accept: %d %v", code, acc)
	}
	roles := fmt.Sprint(acc["membership"].(map[string]any)["roles"])
	if !strings.Contains(roles, "admin") || !strings.Contains(roles, "owner") {
		t.Fatalf("first member's roles %s, want admin and owner", roles)
	}
	if code, again := call(t, "POST", u+"/v1/invitation-tokens/"+token+"/accept", admin, accept); code != http.StatusConflict || errorCode(again) != "invitation_already_accepted" {
		t.Fatalf("second accept: %d %v", code, again)
	}

	code, members := call(t, "GET", u+"/v1/orgs/"+orgID+"/members", admin, nil)
	if code != http.StatusOK || len(members["members"].([]any)) != 1 {
		t.Fatalf("members: %d %v", code, members)
	}

	// Listing pages through every invitation exactly once.
	for i := range 5 {
		if code, b := call(t, "POST", u+"/v1/orgs/"+orgID+"/invitations", admin, map[string]any{
			"email": fmt.Sprintf("p%d@example.com", i), "roles": []string{"member"},
		}); code != http.StatusCreated {
			t.Fatalf("create %d: %d %v", i, code, b)
		}
	}
	seen := map[string]bool{}
	next := ""
	for pages := 0; ; pages++ {
		code, page := call(t, "GET", u+"/v1/invitations?page_size=2&org_id="+orgID+"&page_token="+next, admin, nil)
		if code != http.StatusOK || pages > 10 {
			t.Fatalf("list: %d %v", code, page)
		}
		for _, it := range page["invitations"].([]any) {
			id := it.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("invitation %s listed twice", id)
			}
			seen[id] = true
		}
		if next = page["next_page_token"].(string); next == "" {
			break
		}
	}
	if len(seen) != 6 {
		t.Fatalf("listed %d invitations, want 6", len(seen))
	}

	// Another tenant's key sees none of it.
	code, other := call(t, "POST", u+"/v1/orgs", admin, map[string]any{"name": "Other"})
	if code != http.StatusCreated {
		t.Fatalf("create other org: %d %v", code, other)
	}
	code, k := call(t, "POST", u+"/v1/api-keys", admin, map[string]any{
		"name": "other", "org_id": other["id"], "permissions": []string{"invitations:read", "invitations:create"},
	})
	if code != http.StatusCreated {
		t.Fatalf("create org key: %d %v", code, k)
	}
	otherKey := k["secret"].(string)
	if code, b := call(t, "GET", u+"/v1/invitations/"+inv["id"].(string), otherKey, nil); code != http.StatusNotFound {
		t.Fatalf("other tenant reads invitation: %d %v", code, b)
	}
	if code, b := call(t, "GET", u+"/v1/orgs/"+orgID, otherKey, nil); code != http.StatusNotFound {
		t.Fatalf("other tenant reads org: %d %v", code, b)
	}

	// Bad input is refused with the field named.
	code, bad := call(t, "POST", u+"/v1/orgs/"+orgID+"/invitations", admin, map[string]any{"email": "nope", "roles": []string{}})
	if code != http.StatusBadRequest || errorCode(bad) != "invalid_request" {
		t.Fatalf("bad input: %d %v", code, bad)
	}

	if strings.Contains(srv.Stderr.String(), admin) {
		t.Fatal("the admin key appears in the log")
	}

	// serve wires metrics: transitions are counted, and no label holds a token.
	resp, err := http.Get(u + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	for _, want := range []string{
		`invited_invitation_transitions_total{action="accepted"} 1`,
		`invited_invitation_transitions_total{action="created"} 6`,
		`invited_http_requests_total{method="GET",route="GET /v1/invitation-tokens/{token}",status="200"} 1`,
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
