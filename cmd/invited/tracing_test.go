package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/secretbox"
	"github.com/invitedhq/invited/internal/testutil"
	"github.com/invitedhq/invited/internal/testutil/oauthserver"
	"github.com/invitedhq/invited/internal/testutil/otlptest"
)

// TestTracing runs the program with the OTEL_* variables pointing at a
// real OTLP receiver (the OpenTelemetry Collector's otlpreceiver, in
// tools/otelcol), once over HTTP and once over gRPC, and follows the spans
// of an invitation from its creation to its acceptance: the server spans
// named by route, their transactions and statements, the deliveries linked
// to the requests that enqueued them, the webhook told the trace, and the
// trace id in the request's log line. No secret and no address of a
// person is in any span.
//
// Not parallel: the SDK reads its configuration from the process's
// environment, which t.Setenv sets.
func TestTracing(t *testing.T) {
	collector := otlptest.Start(t)
	for _, tc := range []struct{ protocol, endpoint string }{
		{"http/protobuf", collector.HTTP},
		{"grpc", collector.GRPC},
	} {
		t.Run(tc.protocol, func(t *testing.T) { traceFlow(t, collector, tc.protocol, tc.endpoint) })
	}
}

// traceHook is a webhook endpoint that keeps the traceparent of each
// delivery.
type traceHook struct {
	*httptest.Server
	mu      sync.Mutex
	parents []string
}

func startTraceHook(t *testing.T) *traceHook {
	h := &traceHook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		h.parents = append(h.parents, r.Header.Get("traceparent"))
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *traceHook) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.parents...)
}

func traceFlow(t *testing.T, collector *otlptest.Collector, protocol, endpoint string) {
	const (
		admin = "test-admin-key-tracing-0123456789"
		email = "tracy@example.com"
		phone = "+14155550123"
		// The caller's own trace, sent in traceparent.
		callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
		callerSpan  = "00f067aa0ba902b7"
	)
	otel := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
		"OTEL_BSP_SCHEDULE_DELAY":     "50", // ms: export soon after each span
		// The subtests share the receiver; each reads its own spans.
		"OTEL_RESOURCE_ATTRIBUTES": "test.protocol=" + protocol,
	}
	env := map[string]string{
		"INVITED_DATABASE_URL":   "sqlite:" + filepath.Join(t.TempDir(), "invited.db"),
		"INVITED_ADMIN_API_KEY":  admin,
		"INVITED_OUTBOUND_ALLOW": testutil.LoopbackEnv,
		"INVITED_LOG_LEVEL":      "debug",
	}
	for k, v := range otel {
		t.Setenv(k, v) // the SDK's view
		env[k] = v     // serve's
	}
	hook := startTraceHook(t)
	srv := startServe(t, env)
	ctx := t.Context()
	c := newClient(t, srv.URL, client.WithAPIKey(admin))

	org, err := c.CreateOrganization(ctx, invited.OrganizationCreate{Name: "Traced"})
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateWebhook(ctx, invited.WebhookCreate{OrgID: org.ID, URL: hook.URL, Events: []string{"invitation.accepted"}})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := c.CreateInvitation(ctx, org.ID, invited.InvitationCreate{Email: email, FirstName: "Tracy", Roles: []string{"member"}})
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(inv.URL, srv.URL+"/i/")
	if _, err := c.CreateInvitation(ctx, org.ID, invited.InvitationCreate{Phone: phone, Roles: []string{"member"}}); err != nil {
		t.Fatal(err)
	}

	ours := func() []otlptest.Span {
		var spans []otlptest.Span
		for _, s := range collector.Spans(t) {
			if s.Resource["test.protocol"] == protocol {
				spans = append(spans, s)
			}
		}
		return spans
	}
	named := func(spans []otlptest.Span, name string) []otlptest.Span {
		var out []otlptest.Span
		for _, s := range spans {
			if s.Name == name {
				out = append(out, s)
			}
		}
		return out
	}
	// A letter whose invitation was accepted is not sent: accept after.
	eventually(t, "the email's delivery span", func() bool { return len(named(ours(), "deliver email")) > 0 }, srv)
	if _, err := c.AcceptInvitation(ctx, token, &invited.Acceptor{ExternalID: "tracy", Email: email, Name: "Tracy Lane"}); err != nil {
		t.Fatal(err)
	}
	// The caller's trace context is taken: the lookup's span is the child
	// of the caller's span, on the API and on the hosted page alike.
	for _, path := range []string{"/v1/invitation-tokens/" + token, "/i/" + token} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		req.Header.Set("traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	const (
		createRoute = "POST /v1/orgs/{org}/invitations"
		acceptRoute = "POST /v1/invitation-tokens/{token}/accept"
	)
	var spans []otlptest.Span
	eventually(t, "the spans of the flow and the webhook's delivery", func() bool {
		spans = ours()
		return len(named(spans, createRoute)) == 2 && len(named(spans, acceptRoute)) == 1 &&
			len(named(spans, "deliver webhook")) == 1 && len(named(spans, "deliver sms")) == 1 &&
			len(named(spans, "GET /v1/invitation-tokens/{token}")) == 1 && len(named(spans, "GET /i/{token}")) == 1 &&
			len(hook.received()) == 1
	}, srv)

	byID := map[string]otlptest.Span{}
	for _, s := range spans {
		byID[s.SpanID] = s
	}
	children := func(parent otlptest.Span, name string) []otlptest.Span {
		var out []otlptest.Span
		for _, s := range spans {
			if s.ParentSpanID == parent.SpanID && s.TraceID == parent.TraceID && (name == "" || s.Name == name) {
				out = append(out, s)
			}
		}
		return out
	}
	// checkTree checks the tree under the server span of a write request
	// on SQLite: its group commit, the write transaction in it, and the
	// statements of that transaction, with their text and no arguments.
	checkTree := func(server otlptest.Span, table string) {
		t.Helper()
		if server.Kind != 2 || server.Attributes["http.route"] == "" || server.Attributes["http.response.status_code"] == "" {
			t.Errorf("server span %s: kind %d, attributes %v", server.Name, server.Kind, server.Attributes)
		}
		groups := children(server, "group commit")
		if len(groups) != 1 || len(groups[0].Events) != 1 || groups[0].Events[0].Name != "turn" {
			t.Fatalf("%s: group commit spans %+v", server.Name, groups)
		}
		txs := children(groups[0], "write transaction")
		if len(txs) != 1 {
			t.Fatalf("%s: write transactions %+v", server.Name, txs)
		}
		var insert bool
		for _, st := range children(txs[0], "") {
			if st.Attributes["db.system.name"] != "sqlite" || st.Attributes["db.query.text"] == "" {
				t.Errorf("%s: statement span %+v", server.Name, st)
			}
			insert = insert || strings.Contains(st.Attributes["db.query.text"], "INSERT INTO "+table)
		}
		if !insert {
			t.Errorf("%s: no statement span inserts into %s: %+v", server.Name, table, children(txs[0], ""))
		}
	}
	email0 := named(spans, "deliver email")[0]
	if len(email0.Links) != 1 {
		t.Fatalf("email delivery's links: %+v", email0.Links)
	}
	create := byID[email0.Links[0].SpanID]
	if create.Name != createRoute {
		t.Fatalf("the email delivery links to %+v, not to the create", create)
	}
	checkTree(create, "invitations")
	accept := named(spans, acceptRoute)[0]
	checkTree(accept, "memberships")
	// Reads have their transactions too: the accept's API key is read
	// with one statement, outside any transaction, right under the span.
	var reads int
	for _, s := range spans {
		if p, ok := byID[s.ParentSpanID]; ok && s.Attributes["db.query.text"] != "" && p.Kind == 2 {
			reads++
		}
	}
	if reads == 0 {
		t.Error("no statement span right under a server span (a read of one statement)")
	}

	// Each delivery is the root of a trace of its own, linked to the
	// request that enqueued it.
	linked := func(delivery, request otlptest.Span) bool {
		return delivery.ParentSpanID == "" && len(delivery.Links) == 1 && delivery.Links[0] == otlptest.Link{TraceID: request.TraceID, SpanID: request.SpanID}
	}
	if !linked(email0, create) {
		t.Errorf("email delivery %+v, not linked to the create %s/%s", email0, create.TraceID, create.SpanID)
	}
	webhook := named(spans, "deliver webhook")[0]
	if !linked(webhook, accept) {
		t.Errorf("webhook delivery %+v, not linked to the accept %s/%s", webhook, accept.TraceID, accept.SpanID)
	}
	// The webhook's request is the delivery's child, and the endpoint was
	// told it.
	calls := children(webhook, "POST")
	if len(calls) != 1 || calls[0].Kind != 3 {
		t.Fatalf("webhook delivery's client spans: %+v", calls)
	}
	if got, want := hook.received()[0], "00-"+webhook.TraceID+"-"+calls[0].SpanID+"-01"; got != want {
		t.Errorf("webhook traceparent %q, want %q", got, want)
	}

	// The caller's trace went on in ours.
	for _, name := range []string{"GET /v1/invitation-tokens/{token}", "GET /i/{token}"} {
		if s := named(spans, name)[0]; s.TraceID != callerTrace || s.ParentSpanID != callerSpan {
			t.Errorf("%s: trace %s parent %s, want the caller's %s %s", name, s.TraceID, s.ParentSpanID, callerTrace, callerSpan)
		}
	}

	// The request's log line carries its trace id.
	var logged bool
	for line := range bytes.Lines([]byte(srv.Stderr.String())) {
		var rec struct {
			Msg     string `json:"msg"`
			Route   string `json:"route"`
			TraceID string `json:"trace_id"`
		}
		if json.Unmarshal(line, &rec) == nil {
			logged = logged || (rec.Msg == "request" && rec.Route == createRoute && rec.TraceID == create.TraceID)
		}
	}
	if !logged {
		t.Errorf("no request log line of %s with trace_id %s:\n%s", createRoute, create.TraceID, srv.Stderr)
	}

	// Nothing secret or personal in any span: names, attributes, events,
	// links and resources, as the receiver wrote them.
	raw := string(collector.Raw(t))
	for what, secret := range map[string]string{"token": token, "email": email, "phone": phone, "API key": admin,
		"webhook secret": created.Secret, "link": inv.URL, "name": "Tracy Lane"} {
		if strings.Contains(raw, secret) {
			t.Errorf("a span holds the %s %q", what, secret)
		}
	}
}

// TestTracingOAuth connects a partner's account through a real OAuth
// server with tracing on, and finds the calls to the platform (the code's
// exchange for a token, the account's userinfo) as client spans under the
// span of the callback that made them, naming the platform's host and
// holding none of the secrets that passed.
func TestTracingOAuth(t *testing.T) {
	const (
		admin        = "test-admin-key-tracing-oauth-0123456789"
		clientSecret = "platform-client-secret-traced"
	)
	collector := otlptest.Start(t)
	env := map[string]string{
		"INVITED_DATABASE_URL":    "sqlite:" + filepath.Join(t.TempDir(), "invited.db"),
		"INVITED_ADMIN_API_KEY":   admin,
		"INVITED_ENCRYPTION_KEYS": secretbox.NewKey("k1"),
		"INVITED_OUTBOUND_ALLOW":  testutil.LoopbackEnv,
	}
	for k, v := range map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.HTTP,
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_BSP_SCHEDULE_DELAY": "50"} {
		t.Setenv(k, v)
		env[k] = v
	}
	srv := startServe(t, env)
	platform := oauthserver.Start(t, oauthserver.Options{
		ClientID: "invited-client", ClientSecret: clientSecret, RedirectURI: srv.URL + "/oauth/callback",
		AccountID: "ad-account-traced", AutoConsent: oauthserver.Approve,
	})
	c := newClient(t, srv.URL, client.WithAPIKey(admin))
	org, err := c.CreateOrganization(t.Context(), invited.OrganizationCreate{Name: "Traced"})
	if err != nil {
		t.Fatal(err)
	}
	ai := connectPartner(t, c, platform, org.ID, clientSecret)

	platformURL, err := url.Parse(platform.TokenURL())
	if err != nil {
		t.Fatal(err)
	}
	var callback otlptest.Span
	var calls []otlptest.Span
	eventually(t, "the callback's span and its calls to the platform", func() bool {
		spans := collector.Spans(t)
		calls = calls[:0]
		for _, s := range spans {
			if s.Name == "GET /oauth/callback" {
				callback = s
			}
		}
		for _, s := range spans {
			if s.TraceID == callback.TraceID && s.ParentSpanID == callback.SpanID && s.Kind == 3 && s.Attributes["http.request.method"] != "" {
				calls = append(calls, s)
			}
		}
		return len(calls) >= 2
	}, srv)
	var methods []string
	for _, s := range calls {
		methods = append(methods, s.Name)
		if s.Attributes["server.address"] != platformURL.Hostname() || s.Attributes["server.port"] != platformURL.Port() ||
			s.Attributes["http.response.status_code"] != "200" {
			t.Errorf("call to the platform: %+v", s)
		}
	}
	slices.Sort(methods)
	if !slices.Equal(methods, []string{"GET", "POST"}) {
		t.Errorf("the callback's calls to the platform: %v, want the token exchange (POST) and the userinfo (GET)", methods)
	}

	profiles, err := c.ListOrgProfiles(t.Context(), invited.ProfileFilter{OrgID: org.ID})
	if err != nil || len(profiles.Profiles) != 1 {
		t.Fatalf("profiles: %v %+v", err, profiles)
	}
	tok, err := c.GetProfileToken(t.Context(), profiles.Profiles[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	raw := string(collector.Raw(t))
	for what, secret := range map[string]string{"access token": tok.AccessToken, "client secret": clientSecret,
		"app invite code": ai.Code, "API key": admin} {
		if secret == "" || strings.Contains(raw, secret) {
			t.Errorf("a span holds the %s %q", what, secret)
		}
	}
}

// TestTracingConfigErrors checks that OTEL_* variables that make no sense
// stop serve before it starts, with one line naming the variable, and that
// without them tracing stays off.
func TestTracingConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		name string // of the variable the error names
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "pigeon"}, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318", "OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318", "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}, "OTEL_TRACES_SAMPLER_ARG"},
		{map[string]string{"OTEL_SDK_DISABLED": "maybe"}, "OTEL_SDK_DISABLED"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stderr testutil.SyncBuffer
			err := serve(context.Background(), nil, func(k string) string { return tc.env[k] }, io.Discard, &stderr, nil)
			line := errorLine(err)
			if err == nil || !strings.HasPrefix(line, tc.name+": ") || strings.Contains(line, "\n") {
				t.Fatalf("serve with %v: %q, want one line about %s", tc.env, line, tc.name)
			}
		})
	}
}
