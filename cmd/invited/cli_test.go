package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/testutil/dnstest"
)

const cliAdminKey = "cli-test-admin-key-0123456789"

// cliResult is what one run of the program did.
type cliResult struct {
	stdout, stderr string
	err            error
}

func (r cliResult) code() int { return exitCode(r.err) }

// invitedCLI runs the program with args and the environment env, as a
// shell would, and says on standard error what main would.
func invitedCLI(env map[string]string, args ...string) cliResult {
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	if line := errorLine(err); line != "" {
		errOut.WriteString("invited: " + line + "\n")
	}
	return cliResult{stdout: out.String(), stderr: errOut.String(), err: err}
}

// startCLIServer starts a server with the admin key cliAdminKey and the
// environment extra, and returns the environment of a client of it.
func startCLIServer(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{
		"INVITED_DATABASE_URL":  "sqlite:" + filepath.Join(t.TempDir(), "invited.db"),
		"INVITED_ADMIN_API_KEY": cliAdminKey,
	}
	for k, v := range extra {
		env[k] = v
	}
	srv := startServe(t, env)
	return map[string]string{"INVITED_URL": srv.URL, "INVITED_API_KEY": cliAdminKey}
}

// jsonID is the id of the JSON object a command printed.
func jsonID(t *testing.T, r cliResult) string {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%v\nstderr: %s", r.err, r.stderr)
	}
	return jsonPath(t, r.stdout, "id")
}

// TestCLICommands runs each API command against a running server, in an
// order where each step can use what the ones before made: {name} in args
// is replaced by the value a step before saved under name.
func TestCLICommands(t *testing.T) {
	env := startCLIServer(t, nil)
	ids := map[string]string{}
	steps := []struct {
		name   string
		args   []string
		save   map[string]string // name: a dotted path in the step's JSON answer, whose value is saved under name
		code   int
		stdout string // stdout contains it
		stderr string // stderr contains it
		isJSON bool   // stdout parses as JSON
	}{
		{name: "create org", args: []string{"orgs", "create", "Acme", "--slug", "acme", "-o", "json"}, save: map[string]string{"org": "id"}},
		{name: "list orgs", args: []string{"orgs", "list"}, stdout: "acme"},
		{name: "list orgs json", args: []string{"orgs", "list", "--output", "json"}, stdout: `"slug": "acme"`, isJSON: true},
		{name: "get org", args: []string{"orgs", "get", "{org}"}, stdout: "Acme"},
		{name: "create org with a default locale", args: []string{"orgs", "create", "Globex", "--default-locale", "pt-br", "-o", "json"},
			save: map[string]string{"globex": "id"}, stdout: `"default_locale": "pt-BR"`, isJSON: true},
		{name: "show the default locale", args: []string{"orgs", "get", "{globex}"}, stdout: "pt-BR"},
		{name: "set the default locale", args: []string{"orgs", "update", "{org}", "--default-locale", "de"}, stdout: "de"},
		{name: "read the default locale back", args: []string{"orgs", "get", "{org}", "-o", "json"}, stdout: `"default_locale": "de"`, isJSON: true},
		{name: "update without the flag keeps it", args: []string{"orgs", "update", "{org}", "-o", "json"}, stdout: `"default_locale": "de"`, isJSON: true},
		{name: "clear the default locale", args: []string{"orgs", "update", "{org}", "--default-locale", "", "-o", "json"}, stdout: `"default_locale": ""`, isJSON: true},
		{name: "junk default locale", args: []string{"orgs", "update", "{org}", "--default-locale", "klingon!!"}, code: exitFailure, stderr: "settings.default_locale"},
		{name: "invite", args: []string{"invite", "{org}", "--email", "ann@example.com", "--role", "admin", "--first-name", "Ann", "-o", "json"}, save: map[string]string{"inv": "id"}},
		{name: "invite again", args: []string{"invite", "{org}", "--email", "ann@example.com", "--role", "admin"}, code: exitFailure, stderr: "invited: invitation_exists: "},
		{name: "invite unknown role", args: []string{"invite", "{org}", "--email", "bob@example.com", "--role", "wizard"}, code: exitFailure, stderr: "invited: invalid_request: "},
		{name: "invite draft by phone", args: []string{"invite", "{org}", "--phone", "+14155550100", "--role", "member", "--draft", "-o", "json"}, save: map[string]string{"draft": "id"}},
		{name: "list invitations", args: []string{"invitations", "list", "--org", "{org}"}, stdout: "ann@example.com"},
		{name: "list drafts", args: []string{"invitations", "list", "--org", "{org}", "--status", "draft", "-o", "json"}, stdout: "+14155550100", isJSON: true},
		{name: "get invitation", args: []string{"invitations", "get", "{inv}"}, stdout: "pending"},
		{name: "send draft", args: []string{"invitations", "send", "{draft}"}, stdout: "/i/"},
		{name: "resend at once", args: []string{"invitations", "resend", "{inv}"}, code: exitRateLimited, stderr: "invited: rate_limited: "},
		{name: "renew", args: []string{"invitations", "renew", "{inv}", "--expires-in", "48h"}, stdout: "pending"},
		{name: "renew bad duration", args: []string{"invitations", "renew", "{inv}", "--expires-in", "soon"}, code: exitUsage},
		{name: "revoke", args: []string{"invitations", "revoke", "{inv}"}, stdout: "revoked"},
		{name: "revoke again", args: []string{"invitations", "revoke", "{inv}"}, code: exitFailure, stderr: "invited: invalid_state: "},
		{name: "get unknown invitation", args: []string{"invitations", "get", "inv_00000000000000000000000000"}, code: exitFailure, stderr: "invited: not_found: "},
		{name: "invite to accept", args: []string{"invite", "{org}", "--email", "cy@example.com", "--role", "admin", "--first-name", "Cy", "-o", "json"}, save: map[string]string{"cy": "id", "cylink": "url"}},
		{name: "preview", args: []string{"invitations", "preview", "{cylink}"}, stdout: "pending  Acme"},
		{name: "accept", args: []string{"invitations", "accept", "{cylink}", "--external-id", "cy-1", "--email", "cy@example.com", "--name", "Cy"}, stdout: "admin owner"},
		{name: "accept again", args: []string{"invitations", "accept", "{cylink}", "--external-id", "cy-1", "-o", "json"}, code: exitFailure, stderr: "invited: invitation_already_accepted: "},
		{name: "preview accepted", args: []string{"invitations", "preview", "{cylink}", "-o", "json"}, stdout: `"status": "accepted"`, isJSON: true},
		{name: "accept for nobody", args: []string{"invitations", "accept", "{cylink}"}, code: exitUsage},
		{name: "create join link", args: []string{"join-links", "create", "--org", "{org}", "--role", "member", "--max-uses", "2", "--expires-in", "3d", "--domain", "example.com", "--note", "offsite", "-o", "json"},
			save: map[string]string{"jl": "id"}, stdout: `"url": "http`, isJSON: true},
		{name: "create join link table", args: []string{"join-links", "create", "--org", "{org}"}, stdout: "shown only this once"},
		{name: "create privileged join link", args: []string{"join-links", "create", "--org", "{org}", "--role", "admin"}, code: exitFailure, stderr: "invited: invalid_request: "},
		{name: "allow privileged join link", args: []string{"join-links", "create", "--org", "{org}", "--role", "admin", "--allow-privileged"}, stdout: "admin"},
		{name: "join link of no use", args: []string{"join-links", "create", "--org", "{org}", "--max-uses", "0"}, code: exitFailure, stderr: "max_uses: "},
		{name: "join link bad duration", args: []string{"join-links", "create", "--org", "{org}", "--expires-in", "soon"}, code: exitUsage},
		{name: "join link without org", args: []string{"join-links", "create"}, code: exitUsage},
		{name: "list join links", args: []string{"join-links", "list", "--org", "{org}"}, stdout: "0/2"},
		{name: "list join links json", args: []string{"join-links", "list", "--org", "{org}", "--status", "active", "-o", "json"}, stdout: `"note": "offsite"`, isJSON: true},
		{name: "list join links bad status", args: []string{"join-links", "list", "--org", "{org}", "--status", "lost"}, code: exitFailure, stderr: "invited: invalid_request: "},
		{name: "get join link", args: []string{"join-links", "get", "{jl}"}, stdout: "example.com"},
		{name: "rotate join link", args: []string{"join-links", "rotate", "{jl}"}, stdout: "/j/"},
		{name: "revoke join link", args: []string{"join-links", "revoke", "{jl}"}, stdout: "revoked"},
		{name: "list revoked join links", args: []string{"join-links", "list", "--org", "{org}", "--status", "revoked", "-o", "json"}, stdout: `"id": "{jl}"`, isJSON: true},
		{name: "rotate revoked join link", args: []string{"join-links", "rotate", "{jl}"}, code: exitFailure, stderr: "invited: invalid_state: "},
		{name: "get unknown join link", args: []string{"join-links", "get", "jln_00000000000000000000000000"}, code: exitFailure, stderr: "invited: not_found: "},
		{name: "list members", args: []string{"members", "list", "{org}"}, stdout: "cy@example.com"},
		{name: "list members json", args: []string{"members", "list", "{org}", "-o", "json"}, save: map[string]string{"owner": "0.user_id"}, isJSON: true},
		{name: "invite dee", args: []string{"invite", "{org}", "--email", "dee@example.com", "--role", "member", "-o", "json"}, save: map[string]string{"deelink": "url"}},
		{name: "accept for someone else", args: []string{"invitations", "accept", "{deelink}", "--external-id", "eve-1", "--email", "eve@example.com"}, code: exitFailure, stderr: "invited: email_mismatch: "},
		{name: "accept dee", args: []string{"invitations", "accept", "{deelink}", "--external-id", "dee-1", "--email", "dee@example.com", "-o", "json"}, save: map[string]string{"dee": "membership.user_id"}},
		{name: "remove member", args: []string{"members", "remove", "{org}", "{dee}"}, stdout: "removed {dee} from {org}"},
		{name: "remove the last owner", args: []string{"members", "remove", "{org}", "{owner}"}, code: exitFailure, stderr: "invited: invalid_state: "},
		{name: "list roles", args: []string{"roles", "list", "{org}"}, stdout: "owner"},
		{name: "create api key", args: []string{"api-keys", "create", "ci", "--org", "{org}", "--permission", "invitations:read,invitations:create", "-o", "json"}, save: map[string]string{"key": "id"}},
		{name: "list api keys", args: []string{"api-keys", "list", "--org", "{org}"}, stdout: "invitations:create"},
		{name: "revoke api key", args: []string{"api-keys", "revoke", "{key}"}, stdout: "revoked {key}"},
		{name: "revoke api key json", args: []string{"api-keys", "revoke", "{key}", "-o", "json"}, stdout: `"done": "revoked {key}"`, isJSON: true},
		{name: "list webhooks", args: []string{"webhooks", "list", "-o", "json"}, stdout: "[]", isJSON: true},
		{name: "version", args: []string{"version"}, stdout: "invited "},

		{name: "no invitee", args: []string{"invite", "{org}"}, code: exitUsage},
		{name: "two invitees", args: []string{"invite", "{org}", "--email", "a@example.com", "--phone", "+14155550101"}, code: exitUsage},
		{name: "bulk flag without --csv", args: []string{"invite", "{org}", "--email", "a@example.com", "--role", "member", "--batch-size", "10"}, code: exitUsage},
		{name: "missing argument", args: []string{"orgs", "get"}, code: exitUsage},
		{name: "unknown command", args: []string{"bogus"}, code: exitUsage},
		{name: "unknown flag", args: []string{"orgs", "list", "--bogus"}, code: exitUsage},
		{name: "unknown output", args: []string{"orgs", "list", "-o", "yaml"}, code: exitUsage},
		{name: "help", args: []string{"--help"}, stdout: "signing-keys"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			args := make([]string, len(s.args))
			for i, a := range s.args {
				for name, id := range ids {
					a = strings.ReplaceAll(a, "{"+name+"}", id)
				}
				args[i] = a
			}
			r := invitedCLI(env, args...)
			if r.code() != s.code {
				t.Fatalf("invited %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code(), s.code, r.stdout, r.stderr)
			}
			want := func(what, got, sub string) {
				for name, id := range ids {
					sub = strings.ReplaceAll(sub, "{"+name+"}", id)
				}
				if !strings.Contains(got, sub) {
					t.Errorf("invited %s: %s %q, want it to contain %q", strings.Join(args, " "), what, got, sub)
				}
			}
			want("stdout", r.stdout, s.stdout)
			want("stderr", r.stderr, s.stderr)
			if s.code != exitOK && strings.Count(r.stderr, "\n") > 1 && s.code != exitUsage {
				t.Errorf("stderr has more than the one line of the error: %q", r.stderr)
			}
			if s.isJSON && !json.Valid([]byte(r.stdout)) {
				t.Errorf("stdout is not JSON: %s", r.stdout)
			}
			for name, path := range s.save {
				ids[name] = jsonPath(t, r.stdout, path)
			}
		})
	}
}

// jsonPath is the string at the dotted path (object keys, array indexes)
// in the JSON document doc.
func jsonPath(t *testing.T, doc, path string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("not JSON (%v): %s", err, doc)
	}
	for _, step := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[step]
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i >= len(x) {
				t.Fatalf("no %s in %s", path, doc)
			}
			v = x[i]
		}
	}
	str, ok := v.(string)
	if !ok || str == "" {
		t.Fatalf("no string at %s in %s", path, doc)
	}
	return str
}

// TestCLICredentials checks where the key comes from, and that each way
// of failing to use the service ends in its own exit code and one line.
func TestCLICredentials(t *testing.T) {
	env := startCLIServer(t, map[string]string{"INVITED_RATE_LIMIT_CREATE": "1/1h"})
	url := env["INVITED_URL"]
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(cliAdminKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wrongFile := filepath.Join(dir, "wrong")
	if err := os.WriteFile(wrongFile, []byte("ik_wrong"), 0o600); err != nil {
		t.Fatal(err)
	}
	org := jsonID(t, invitedCLI(env, "orgs", "create", "Acme", "-o", "json"))
	if r := invitedCLI(env, "invite", org, "--email", "first@example.com", "--role", "member"); r.err != nil {
		t.Fatalf("the first invitation: %v", r.stderr)
	}
	reader := orgKeySecret(t, env, org)

	closed := closedURL(t)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<h1>502 Bad Gateway</h1>"))
	}))
	t.Cleanup(proxy.Close)
	hangs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hangs.Close)
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"key from the environment", map[string]string{"INVITED_URL": url, "INVITED_API_KEY": cliAdminKey}, []string{"orgs", "list"}, exitOK, ""},
		{"key file from the environment", map[string]string{"INVITED_URL": url, "INVITED_API_KEY_FILE": keyFile}, []string{"orgs", "list"}, exitOK, ""},
		{"key file flag", map[string]string{"INVITED_URL": url}, []string{"orgs", "list", "--api-key-file", keyFile}, exitOK, ""},
		{"url flag", map[string]string{"INVITED_URL": closed, "INVITED_API_KEY": cliAdminKey}, []string{"orgs", "list", "--url", url}, exitOK, ""},
		{"no key", map[string]string{"INVITED_URL": url}, []string{"orgs", "list"}, exitAuth, "invited: no API key"},
		{"key file missing", map[string]string{"INVITED_URL": url}, []string{"orgs", "list", "--api-key-file", filepath.Join(dir, "none")}, exitFailure, "invited: reading the API key"},
		{"wrong key", map[string]string{"INVITED_URL": url, "INVITED_API_KEY_FILE": wrongFile}, []string{"orgs", "list"}, exitAuth, "invited: unauthenticated: "},
		{"forbidden", map[string]string{"INVITED_URL": url, "INVITED_API_KEY": reader}, []string{"orgs", "create", "Other"}, exitAuth, "invited: forbidden: creating organizations needs an admin key\n"},
		{"url without a scheme", map[string]string{"INVITED_API_KEY": cliAdminKey}, []string{"orgs", "list", "--url", "localhost:8080"}, exitUsage, "invited: the service URL \"localhost:8080\" is not an http:// or https:// URL"},
		{"not the API", map[string]string{"INVITED_URL": proxy.URL, "INVITED_API_KEY": cliAdminKey}, []string{"orgs", "list"}, exitFailure, "invited: listOrganizations: unexpected 502 answer (text/html)"},
		{"unreachable", map[string]string{"INVITED_URL": closed, "INVITED_API_KEY": cliAdminKey}, []string{"orgs", "list"}, exitUnreachable, "invited: cannot reach the service: "},
		{"no answer", map[string]string{"INVITED_URL": hangs.URL, "INVITED_API_KEY": cliAdminKey}, []string{"orgs", "list", "--timeout", "200ms"}, exitUnreachable, "invited: the service did not answer in time (--timeout)\n"},
		{"rate limited", map[string]string{"INVITED_URL": url, "INVITED_API_KEY": cliAdminKey}, []string{"invite", org, "--email", "second@example.com", "--role", "member"}, exitRateLimited, "invited: rate_limited: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invitedCLI(tt.env, tt.args...)
			if r.code() != tt.code || !strings.HasPrefix(r.stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d, stderr starting %q", r.code(), r.stderr, tt.code, tt.stderr)
			}
			if tt.code != exitOK && strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
		})
	}
}

// closedURL is the URL of a loopback port where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}

// orgKeySecret creates a key that may only read org's invitations and
// returns its secret.
func orgKeySecret(t *testing.T, env map[string]string, org string) string {
	t.Helper()
	r := invitedCLI(env, "api-keys", "create", "reader", "--org", org, "--permission", "invitations:read", "-o", "json")
	var k client.APIKeyWithSecret
	if err := json.Unmarshal([]byte(r.stdout), &k); err != nil || !strings.HasPrefix(k.Secret, "ik_") {
		t.Fatalf("api-keys create: %v %s %s", err, r.stdout, r.stderr)
	}
	return k.Secret
}

func TestCLICompletion(t *testing.T) {
	tests := []struct{ shell, want string }{
		{"bash", "__start_invited"},
		{"zsh", "#compdef invited"},
		{"fish", "complete -c invited"},
		{"powershell", "Register-ArgumentCompleter"},
	}
	for _, tt := range tests {
		r := invitedCLI(nil, "completion", tt.shell)
		if r.err != nil || !strings.Contains(r.stdout, tt.want) {
			t.Errorf("completion %s: %v, want a script with %q", tt.shell, r.err, tt.want)
		}
	}
	// The completion of commands knows every one, the server's included.
	r := invitedCLI(nil, "__complete", "")
	for _, cmd := range []string{"serve", "migrate", "signing-keys", "orgs", "invite", "invitations", "api-keys"} {
		if !strings.Contains(r.stdout, cmd) {
			t.Errorf("completing a command does not offer %s:\n%s", cmd, r.stdout)
		}
	}
}

// invitationCount counts the invitations of org through the API.
func invitationCount(t *testing.T, env map[string]string, org string) int {
	t.Helper()
	api := newClient(t, env["INVITED_URL"], client.WithAPIKey(env["INVITED_API_KEY"]))
	n := 0
	for _, err := range api.Invitations(context.Background(), invited.InvitationFilter{OrgID: org, Page: invited.Page{PageSize: invited.MaxPageSize}}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// TestCLIJoinLinkURL: create and rotate print the link's URL once, as
// the last line of their output, where it is easy to copy; it is the
// link's, and after a rotation only the new one works.
func TestCLIJoinLinkURL(t *testing.T) {
	env := startCLIServer(t, nil)
	api := newClient(t, env["INVITED_URL"])
	org := jsonID(t, invitedCLI(env, "orgs", "create", "Acme", "-o", "json"))

	create := invitedCLI(env, "join-links", "create", "--org", org, "--max-uses", "5")
	first := printedURL(t, create)
	id := strings.Fields(strings.Split(create.stdout, "\n")[1])[0] // the table's one row, its ID column
	rotate := invitedCLI(env, "join-links", "rotate", id)
	second := printedURL(t, rotate)

	tests := []struct {
		url  string
		code string // of its preview; "" for a usable link
	}{
		{first, invited.ENOTFOUND},
		{second, ""},
	}
	for _, tt := range tests {
		p, err := api.PreviewJoinLink(context.Background(), tt.url[strings.LastIndex(tt.url, "/")+1:])
		switch {
		case tt.code != "" && invited.ErrorCode(err) != tt.code:
			t.Errorf("preview of %s: %v, want %s", tt.url, err, tt.code)
		case tt.code == "" && (err != nil || !p.Usable || p.Organization.ID != org):
			t.Errorf("preview of %s: %+v, %v; want a usable link into %s", tt.url, p, err, org)
		}
	}
}

// TestCLIJoinRequests decides, through the CLI, requests people filed.
func TestCLIJoinRequests(t *testing.T) {
	env := startCLIServer(t, nil)
	ctx := context.Background()
	api := newClient(t, env["INVITED_URL"], client.WithAPIKey(cliAdminKey))
	home := jsonID(t, invitedCLI(env, "orgs", "create", "Home", "-o", "json"))
	org := jsonID(t, invitedCLI(env, "orgs", "create", "Acme", "-o", "json"))
	link, err := api.CreateJoinLink(ctx, home, invited.JoinLinkCreate{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, p := range []string{"ann", "bob"} {
		if _, err := api.AcceptJoinLink(ctx, link.Token, &invited.Acceptor{ExternalID: p, Email: p + "@example.com"}); err != nil {
			t.Fatal(err)
		}
		r, err := newClient(t, env["INVITED_URL"], client.WithAPIKey(cliAdminKey), client.WithActingUser(p)).
			CreateJoinRequest(ctx, org, invited.JoinRequestCreate{Message: "hi from " + p})
		if err != nil {
			t.Fatal(err)
		}
		ids[p] = r.ID
	}
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stdout string
	}{
		{"list", []string{"join-requests", "list", "--org", org, "--status", "pending"}, 0, "hi from ann"},
		{"list without org", []string{"join-requests", "list"}, exitUsage, ""},
		{"approve with a role", []string{"join-requests", "approve", ids["ann"], "--role", "guest", "--note", "welcome"}, 0, "approved"},
		{"approve again", []string{"join-requests", "approve", ids["ann"]}, exitFailure, ""},
		{"deny", []string{"join-requests", "deny", ids["bob"], "--note", "no", "-o", "json"}, 0, `"decision_note": "no"`},
		{"get", []string{"join-requests", "get", ids["bob"]}, 0, "denied"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := invitedCLI(env, tt.args...)
			if r.code() != tt.code || !strings.Contains(r.stdout, tt.stdout) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and %q", r.code(), r.stdout, r.stderr, tt.code, tt.stdout)
			}
		})
	}
	members, err := api.ListMembers(ctx, invited.MemberFilter{OrgID: org})
	if err != nil || len(members.Members) != 1 || members.Members[0].User.ExternalID != "ann" {
		t.Fatalf("members %+v, %v; want ann alone", members, err)
	}
}

// TestCLIDomains claims domains through the CLI against a server asking a
// real DNS server: add prints the record to create, verify fails until it
// is published and passes after, --admin verifies without DNS.
func TestCLIDomains(t *testing.T) {
	dns := dnstest.Start(t, nil)
	env := startCLIServer(t, map[string]string{"INVITED_DNS_RESOLVER": dns.Addr})
	org := jsonID(t, invitedCLI(env, "orgs", "create", "Acme", "-o", "json"))

	add := invitedCLI(env, "domains", "add", "--org", org, "Acme.Test", "--policy", "auto")
	if add.err != nil {
		t.Fatalf("%v\nstderr: %s", add.err, add.stderr)
	}
	acme := strings.Fields(strings.Split(add.stdout, "\n")[1])[0] // the table's one row, its ID column
	var d client.DomainWithChallenge
	if err := json.Unmarshal([]byte(invitedCLI(env, "domains", "get", acme, "-o", "json").stdout), &d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Type:  TXT\n", "Name:  _invited-challenge.acme.test\n", "Value: " + d.Challenge.Value + "\n", "invited domains verify " + acme} {
		if !strings.Contains(add.stdout, want) {
			t.Errorf("domains add printed %q, want it to say %q", add.stdout, want)
		}
	}
	if r := invitedCLI(env, "domains", "verify", acme); r.code() != exitFailure || !strings.Contains(r.stderr, "invited: domain_not_verified: ") {
		t.Fatalf("verify before the record: exit %d, stderr %q", r.code(), r.stderr)
	}
	dns.SetTXT(map[string][]string{d.Challenge.Name: {d.Challenge.Value}})
	beta := jsonID(t, invitedCLI(env, "domains", "add", "--org", org, "beta.test", "-o", "json"))

	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stdout string
	}{
		{"verify by DNS", []string{"domains", "verify", acme}, 0, "verified  auto"},
		{"verified shows no record", []string{"domains", "get", acme}, 0, "dns "},
		{"verify again", []string{"domains", "verify", acme}, exitFailure, ""},
		{"verify by the admin", []string{"domains", "verify", beta, "--admin", "-o", "json"}, 0, `"verification_method": "admin"`},
		{"update", []string{"domains", "update", beta, "--policy", "request", "--role", "guest"}, 0, "request  guest"},
		{"update to a privileged role", []string{"domains", "update", beta, "--role", "admin"}, exitFailure, ""},
		{"allow a privileged role", []string{"domains", "update", beta, "--role", "admin", "--allow-privileged"}, 0, "request  admin"},
		{"update a bad policy", []string{"domains", "update", beta, "--policy", "open"}, exitFailure, ""},
		{"list", []string{"domains", "list", "--org", org}, 0, "beta.test"},
		{"list pending", []string{"domains", "list", "--org", org, "--status", "pending", "-o", "json"}, 0, "[]"},
		{"list without org", []string{"domains", "list"}, exitUsage, ""},
		{"add free mail", []string{"domains", "add", "--org", org, "gmail.com"}, exitFailure, ""},
		{"add without org", []string{"domains", "add", "acme.test"}, exitUsage, ""},
		{"remove", []string{"domains", "remove", beta}, 0, "removed " + beta},
		{"get removed", []string{"domains", "get", beta}, exitFailure, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := invitedCLI(env, tt.args...)
			if r.code() != tt.code || !strings.Contains(r.stdout, tt.stdout) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and %q", r.code(), r.stdout, r.stderr, tt.code, tt.stdout)
			}
		})
	}
}

// printedURL checks that r printed the join link URL once, as its last
// line, and returns it.
func printedURL(t *testing.T, r cliResult) string {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%v\nstderr: %s", r.err, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	url := lines[len(lines)-1]
	if !strings.Contains(url, "/j/") || strings.Count(r.stdout, "/j/") != 1 {
		t.Fatalf("stdout %q: want the link's URL once, as the last line", r.stdout)
	}
	return url
}
