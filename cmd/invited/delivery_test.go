package main

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/testutil"
	"github.com/invitedhq/invited/internal/testutil/smtptest"
)

// smsProvider plays a Twilio-compatible API on a local HTTP server and
// records the texts it is asked to send.
type smsProvider struct {
	*httptest.Server
	mu    sync.Mutex
	texts []url.Values
}

func startSMSProvider(t *testing.T) *smsProvider {
	p := &smsProvider{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sid, token, ok := r.BasicAuth()
		if !ok || sid != "ACtest" || token != "sms-token" || r.URL.Path != "/2010-04-01/Accounts/ACtest/Messages.json" {
			http.Error(w, `{"code":20003,"message":"Authenticate"}`, http.StatusUnauthorized)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.texts = append(p.texts, r.PostForm)
		p.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"sid":"SM1","status":"queued"}`)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *smsProvider) sent() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.texts)
}

// hookReceiver is a webhook endpoint that checks every delivery with the
// Standard Webhooks reference implementation, an implementation of the
// specification independent of ours.
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	verifier *standardwebhooks.Webhook
	events   []string // types of the verified deliveries
	invalid  []string // why deliveries failed verification
}

func startHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.verifier == nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		if err := h.verifier.Verify(body, r.Header); err != nil {
			h.invalid = append(h.invalid, err.Error())
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		var payload struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(body, &payload); err != nil {
			h.invalid = append(h.invalid, err.Error())
		}
		h.events = append(h.events, payload.Type)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) trust(t *testing.T, secret string) {
	v, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.verifier = v
	h.mu.Unlock()
}

func (h *hookReceiver) received() (events, invalid []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events), slices.Clone(h.invalid)
}

// TestDeliveryEndToEnd runs the program against a real SMTP server, an SMS
// provider's API and a webhook endpoint, all local, and follows the
// messages an invitation sends from the API call to the receiver; and
// checks that no token or secret reaches the logs, even at debug level.
func TestDeliveryEndToEnd(t *testing.T) {
	const admin = "test-admin-key-0123456789"
	smtpServer := smtptest.Start(t, smtptest.Config{})
	sms := startSMSProvider(t)
	hooks := startHookReceiver(t)
	smsURL, _ := url.Parse(sms.URL)
	smsURL.User = url.UserPassword("ACtest", "sms-token")
	smsURL.RawQuery = "from=%2B15550001111"
	srv := startServe(t, map[string]string{
		"INVITED_DATABASE_URL":      "sqlite:" + filepath.Join(t.TempDir(), "invited.db"),
		"INVITED_ADMIN_API_KEY":     admin,
		"INVITED_SMTP_URL":          "smtp://" + smtpServer.Addr + "?tls=none&from=" + url.QueryEscape("Invited <no-reply@invited.test>"),
		"INVITED_SMS_URL":           smsURL.String(),
		"INVITED_LOG_LEVEL":         "debug",
		"INVITED_RATE_LIMIT_PUBLIC": "8/1m",
		// The webhook endpoint is a local server.
		"INVITED_OUTBOUND_ALLOW": testutil.LoopbackEnv,
	})
	u := srv.URL
	ctx := t.Context()
	c := newClient(t, u, client.WithAPIKey(admin))

	org, err := c.CreateOrganization(ctx, invited.OrganizationCreate{Name: "Acme"})
	if err != nil {
		t.Fatalf("create org: %v", err)
	}
	hook, err := c.CreateWebhook(ctx, invited.WebhookCreate{OrgID: org.ID, URL: hooks.URL,
		Events: []string{"invitation.created", "invitation.accepted", "membership.created"}})
	if err != nil || !strings.HasPrefix(hook.Secret, "whsec_") {
		t.Fatalf("create webhook: %v %+v", err, hook)
	}
	secret := hook.Secret
	hooks.trust(t, secret)

	// Ann is invited by email, accepts, and becomes the owner; acting as
	// her, the admin key invites Bob by email and Cy by phone.
	var links []string
	invite := func(c *client.Client, in invited.InvitationCreate) string {
		t.Helper()
		in.Roles = []string{"member"}
		inv, err := c.CreateInvitation(ctx, org.ID, in)
		if err != nil {
			t.Fatalf("invite: %v", err)
		}
		links = append(links, inv.URL)
		return strings.TrimPrefix(inv.URL, u+"/i/")
	}
	accept := func(token string, user invited.Acceptor) {
		t.Helper()
		if acc, err := c.AcceptInvitation(ctx, token, &user); err != nil {
			t.Fatalf("accept: %v %+v", err, acc)
		}
	}
	// Each letter is awaited before its invitation is accepted: a link
	// that no longer opens a pending invitation is not sent.
	emails := func(n int) func() bool { return func() bool { return len(smtpServer.Received()) == n } }
	annToken := invite(c, invited.InvitationCreate{Email: "ann@example.com", FirstName: "Ann"})
	eventually(t, "Ann's invitation", emails(1), srv)
	accept(annToken, invited.Acceptor{ExternalID: "ann", Email: "ann@example.com", Name: "Ann Lee"})
	asAnn := c.With(client.WithActingUser("ann"))
	bobToken := invite(asAnn, invited.InvitationCreate{Email: "bob@example.com", FirstName: "Bob", Message: "<b>Welcome</b> aboard"})
	invite(asAnn, invited.InvitationCreate{Phone: "+14155550100"})
	eventually(t, "Bob's invitation", emails(2), srv)
	accept(bobToken, invited.Acceptor{ExternalID: "bob", Email: "bob@example.com", Name: "Bob Roe"})

	// Email: the two invitations, and Bob's acceptance told to Ann.
	eventually(t, "the acceptance told to Ann", emails(3), srv)
	byRecipient := map[string][]*mail.Message{}
	for _, m := range smtpServer.Received() {
		msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
		if err != nil {
			t.Fatal(err)
		}
		byRecipient[strings.Join(m.To, ",")] = append(byRecipient[strings.Join(m.To, ",")], msg)
	}
	bob := byRecipient["bob@example.com"]
	if len(bob) != 1 || len(byRecipient["ann@example.com"]) != 2 {
		t.Fatalf("emails by recipient: %v", byRecipient)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(bob[0].Header.Get("Subject"))
	if !strings.Contains(subject, "Acme") || !strings.Contains(bob[0].Header.Get("Message-Id"), "msg_") {
		t.Fatalf("Bob's email headers: %v", bob[0].Header)
	}
	parts := mimeParts(t, bob[0])
	// Each letter carries a link of its own, minted when it was sent, that
	// opens the invitation as the answer's link does.
	bobLink := linkIn(parts["text/plain"], u)
	if bobLink == "" || bobLink == links[1] {
		t.Fatalf("Bob's letter has the link %q, the answer %q", bobLink, links[1])
	}
	if view, err := c.PreviewInvitation(ctx, tokenOf(bobLink)); err != nil || view.Invitee.FirstName != "Bob" {
		t.Fatalf("Bob's letter's link opens %+v, %v", view, err)
	}
	sent := []string{bobLink}
	if !strings.Contains(parts["text/html"], bobLink) ||
		!strings.Contains(parts["text/html"], "&lt;b&gt;Welcome&lt;/b&gt;") || !strings.Contains(parts["text/plain"], "Ann Lee") {
		t.Fatalf("Bob's email:\n%s\n---\n%s", parts["text/plain"], parts["text/html"])
	}

	// SMS: Cy's link, in one text.
	eventually(t, "a text message", func() bool { return len(sms.sent()) == 1 })
	text := sms.sent()[0]
	cyLink := linkIn(text.Get("Body"), u)
	if text.Get("To") != "+14155550100" || text.Get("From") != "+15550001111" || cyLink == "" || cyLink == links[2] {
		t.Fatalf("text %v", text)
	}
	sent = append(sent, cyLink)

	// Webhooks: every delivery verified, the events the endpoint asked for.
	want := []string{"invitation.accepted", "invitation.accepted", "invitation.created", "invitation.created",
		"invitation.created", "membership.created", "membership.created"}
	eventually(t, "seven webhook deliveries", func() bool { events, _ := hooks.received(); return len(events) == len(want) })
	events, invalid := hooks.received()
	slices.Sort(events)
	if !slices.Equal(events, want) || len(invalid) != 0 {
		t.Fatalf("webhook events %v, invalid %v", events, invalid)
	}
	eventually(t, "the webhook messages to be recorded delivered", func() bool {
		msgs, err := c.ListWebhookDeliveries(ctx, invited.MessageFilter{WebhookID: hook.ID, Status: "delivered"})
		if err != nil {
			t.Fatal(err)
		}
		return len(msgs.Messages) == len(want)
	})
	msgs, err := c.ListMessages(ctx, invited.MessageFilter{Channel: "email"})
	if err != nil || len(msgs.Messages) == 0 {
		t.Fatalf("email messages: %v %+v", err, msgs)
	}
	one, err := c.GetMessage(ctx, msgs.Messages[0].ID)
	if err != nil || one.Status != "delivered" || len(one.Attempts) != 1 {
		t.Fatalf("message %+v %v", one, err)
	}

	// Public link requests are limited per client address.
	anon := newClient(t, u, client.WithRetry(client.RetryPolicy{}))
	for range 9 {
		_, err = anon.PreviewInvitation(ctx, bobToken)
	}
	if e, ok := errors.AsType[*client.Error](err); !ok || e.StatusCode != http.StatusTooManyRequests || e.RetryAfter == 0 {
		t.Fatalf("9th lookup in a minute: %v", err)
	}

	// Nothing secret was logged, at any level: no link token, no webhook
	// secret, no provider credentials.
	logs := srv.Stderr.String()
	if !strings.Contains(logs, `"level":"DEBUG"`) {
		t.Fatal("no debug records: the check below would prove little")
	}
	for _, l := range append(links, sent...) {
		secrets := []string{strings.TrimPrefix(l, u+"/i/")}
		for _, s := range append(secrets, strings.TrimPrefix(secret, "whsec_"), "sms-token", admin) {
			if strings.Contains(logs, s) {
				t.Errorf("the logs hold a secret %q", s)
			}
		}
	}
}

// mimeParts returns the text parts of a multipart/alternative message by
// content type, decoded.
func mimeParts(t *testing.T, m *mail.Message) map[string]string {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("content type %q: %v", m.Header.Get("Content-Type"), err)
	}
	parts := map[string]string{}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextPart() // decodes quoted-printable
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		mediaType, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[mediaType] = string(body)
	}
}

// TestDevOutbox: with --dev and no SMTP server, what would have been sent
// is listed at /dev/outbox with its link, so the flow can be clicked
// through; without --dev there is no such page.
func TestDevOutbox(t *testing.T) {
	const admin = "test-admin-key-0123456789"
	for _, dev := range []bool{true, false} {
		srv := startServe(t, map[string]string{
			"INVITED_DATABASE_URL":  "sqlite:" + filepath.Join(t.TempDir(), "invited.db"),
			"INVITED_ADMIN_API_KEY": admin,
			"INVITED_DEV":           map[bool]string{true: "true", false: ""}[dev],
		})
		c := newClient(t, srv.URL, client.WithAPIKey(admin))
		org, err := c.CreateOrganization(t.Context(), invited.OrganizationCreate{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		inv, err := c.CreateInvitation(t.Context(), org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
		if err != nil {
			t.Fatal(err)
		}
		// The letter's own link, minted when it was sent.
		eventually(t, "the delivery", func() bool { return linkIn(srv.Stderr.String(), srv.URL) != "" })
		link := linkIn(srv.Stderr.String(), srv.URL)
		if link == inv.URL {
			t.Fatalf("the letter carries the answer's link %q", link)
		}
		resp, err := http.Get(srv.URL + "/dev/outbox")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case dev && (resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `href="`+link+`"`)):
			t.Fatalf("dev outbox: %d\n%s", resp.StatusCode, page)
		case !dev && resp.StatusCode != http.StatusNotFound:
			t.Fatalf("without --dev: %d", resp.StatusCode)
		}
	}
}

// TestWebhookOutboundPolicy runs the program against a real webhook
// endpoint on 127.0.0.1, with and without INVITED_OUTBOUND_ALLOW, on one
// database. Without it the endpoint cannot be registered, and an endpoint
// registered while it was allowed is not delivered to: the attempt and
// last_error say refused_by_policy and nothing more, and the endpoint
// receives nothing. With it, deliveries arrive.
func TestWebhookOutboundPolicy(t *testing.T) {
	const admin = "test-admin-key-0123456789"
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "invited.db")
	hooks := startHookReceiver(t)
	// run serves with the allow-list, or without, for the length of fn.
	run := func(name, allow string, fn func(t *testing.T, c *client.Client)) {
		t.Run(name, func(t *testing.T) {
			srv := startServe(t, map[string]string{"INVITED_DATABASE_URL": dbURL, "INVITED_ADMIN_API_KEY": admin,
				"INVITED_OUTBOUND_ALLOW": allow})
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("server log:\n%s", srv.Stderr)
				}
			})
			fn(t, newClient(t, srv.URL, client.WithAPIKey(admin)))
		})
	}
	var org *invited.Organization
	var hook *client.WebhookWithSecret
	run("registration refused", "", func(t *testing.T, c *client.Client) {
		var err error
		if org, err = c.CreateOrganization(t.Context(), invited.OrganizationCreate{Name: "Acme"}); err != nil {
			t.Fatal(err)
		}
		_, err = c.CreateWebhook(t.Context(), invited.WebhookCreate{OrgID: org.ID, URL: hooks.URL})
		e, ok := errors.AsType[*client.Error](err)
		if !ok || e.StatusCode != http.StatusBadRequest || !strings.Contains(e.Fields["url"], "loopback") {
			t.Fatalf("create webhook at %s: %v, want 400 with url naming a loopback address", hooks.URL, err)
		}
	})
	run("registered while allowed", testutil.LoopbackEnv, func(t *testing.T, c *client.Client) {
		var err error
		if hook, err = c.CreateWebhook(t.Context(), invited.WebhookCreate{OrgID: org.ID, URL: hooks.URL,
			Events: []string{invited.EventInvitationCreated}}); err != nil {
			t.Fatal(err)
		}
		hooks.trust(t, hook.Secret)
	})
	run("delivery refused", "", func(t *testing.T, c *client.Client) {
		if _, err := c.CreateInvitation(t.Context(), org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}}); err != nil {
			t.Fatal(err)
		}
		var msg *invited.Message
		eventually(t, "a failed attempt", func() bool {
			msgs, err := c.ListWebhookDeliveries(t.Context(), invited.MessageFilter{WebhookID: hook.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs.Messages) == 1 && msgs.Messages[0].AttemptCount > 0 {
				msg = msgs.Messages[0]
			}
			return msg != nil
		})
		one, err := c.GetMessage(t.Context(), msg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if one.LastError != "refused_by_policy" || len(one.Attempts) == 0 || one.Attempts[0].Error != "refused_by_policy" {
			t.Errorf("message %+v: want last_error and the attempt's error refused_by_policy alone", one)
		}
		if events, _ := hooks.received(); len(events) != 0 {
			t.Errorf("the endpoint received %v, want nothing", events)
		}
	})
	run("delivered with the allow-list", testutil.LoopbackEnv, func(t *testing.T, c *client.Client) {
		if _, err := c.CreateInvitation(t.Context(), org.ID, invited.InvitationCreate{Email: "bob@example.com", Roles: []string{"member"}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the delivery", func() bool { events, _ := hooks.received(); return len(events) > 0 })
		if events, invalid := hooks.received(); !slices.Equal(events, []string{invited.EventInvitationCreated}) || len(invalid) != 0 {
			t.Errorf("events %v, invalid %v; want one invitation.created", events, invalid)
		}
	})
}
