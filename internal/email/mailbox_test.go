package email

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/invitedhq/invited"
)

func smsText(l *invited.Letter) string {
	return "Join " + l.Organization + ": " + l.Link
}

func newTestMailbox(t *testing.T) *Mailbox {
	return &Mailbox{Templates: mustTemplates(t, ""), SMSText: smsText}
}

func TestMailboxRecords(t *testing.T) {
	b := newTestMailbox(t)
	email := testMessage(fullLetter(invited.KindInvitation))
	sms := &invited.Message{ID: "msg_sms", Channel: invited.ChannelSMS, Kind: invited.KindReminder, To: "+15550100",
		Letter: &invited.Letter{Kind: invited.KindReminder, To: "+15550100", Organization: "Acme", Link: testLink}}
	for _, m := range []*invited.Message{email, sms} {
		if err := b.Deliver(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}

	got := b.Messages()
	if len(got) != 2 {
		t.Fatalf("got %d messages, want 2", len(got))
	}
	if s := got[0]; s.ID != "msg_sms" || s.Channel != invited.ChannelSMS || s.To != "+15550100" || s.Text != "Join Acme: "+testLink || s.Link != testLink || s.Subject != "" || s.HTML != "" {
		t.Errorf("newest = %+v, want the SMS", s)
	}
	e := got[1]
	if e.ID != email.ID || e.Channel != invited.ChannelEmail || e.To != "ada@example.com" || e.Subject != "Grace Hopper invited you to join Acme" || e.Link != testLink {
		t.Errorf("oldest = %+v, want the email", e)
	}
	if !strings.Contains(e.Text, testLink) || !strings.Contains(e.HTML, testLink) {
		t.Errorf("email bodies lack the link:\n%s\n%s", e.Text, e.HTML)
	}
	if e.At.IsZero() {
		t.Error("At is not set")
	}
}

func TestMailboxKeepsTheLast(t *testing.T) {
	b := newTestMailbox(t)
	b.Size = 3
	for i := range 5 {
		m := testMessage(fullLetter(invited.KindInvitation))
		m.ID = fmt.Sprintf("msg_%d", i)
		if err := b.Deliver(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, m := range b.Messages() {
		ids = append(ids, m.ID)
	}
	if got, want := strings.Join(ids, " "), "msg_4 msg_3 msg_2"; got != want {
		t.Errorf("kept %s, want %s", got, want)
	}
}

func TestMailboxConcurrent(t *testing.T) {
	b := newTestMailbox(t)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := b.Deliver(context.Background(), testMessage(fullLetter(invited.KindInvitation))); err != nil {
				t.Error(err)
			}
			b.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		})
	}
	wg.Wait()
	if n := len(b.Messages()); n != 20 {
		t.Errorf("kept %d messages, want 20", n)
	}
}

func TestMailboxRejects(t *testing.T) {
	tests := []struct {
		name              string
		box               *Mailbox
		msg               *invited.Message
		wantUndeliverable bool
	}{
		{"webhook", newTestMailbox(t), &invited.Message{ID: "msg_w", Channel: invited.ChannelWebhook, Letter: fullLetter(invited.KindInvitation)}, true},
		{"no letter", newTestMailbox(t), &invited.Message{ID: "msg_n", Channel: invited.ChannelEmail}, true},
		{"unknown kind", newTestMailbox(t), testMessage(&invited.Letter{Kind: "party", To: "a@b.test"}), true},
		{"no SMSText", &Mailbox{Templates: mustTemplates(t, "")}, &invited.Message{ID: "msg_s", Channel: invited.ChannelSMS, Letter: fullLetter(invited.KindInvitation)}, false},
		{"no Templates", &Mailbox{SMSText: smsText}, testMessage(fullLetter(invited.KindInvitation)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.box.Deliver(context.Background(), tc.msg)
			if err == nil {
				t.Fatal("Deliver succeeded, want an error")
			}
			if got := errors.Is(err, invited.ErrUndeliverable); got != tc.wantUndeliverable {
				t.Errorf("errors.Is(err, ErrUndeliverable) = %v, want %v; err: %v", got, tc.wantUndeliverable, err)
			}
			if n := len(tc.box.Messages()); n != 0 {
				t.Errorf("kept %d messages, want 0", n)
			}
		})
	}
}

func getPage(t *testing.T, b *Mailbox) (*http.Response, string) {
	t.Helper()
	w := httptest.NewRecorder()
	b.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/dev/mailbox", nil))
	res := w.Result()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	return res, w.Body.String()
}

func TestMailboxPage(t *testing.T) {
	b := newTestMailbox(t)
	_, page := getPage(t, b)
	if !strings.Contains(page, "Nothing sent yet") {
		t.Errorf("empty page lacks %q:\n%s", "Nothing sent yet", page)
	}

	first := testMessage(fullLetter(invited.KindInvitation))
	first.ID = "msg_first"
	second := testMessage(fullLetter(invited.KindAccepted))
	second.ID = "msg_second"
	for _, m := range []*invited.Message{first, second} {
		if err := b.Deliver(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	_, page = getPage(t, b)
	for _, want := range []string{
		"Grace Hopper invited you to join Acme",
		`href="` + testLink + `"`,
		"<iframe sandbox srcdoc=",
		"To accept, open this link", // the text body
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "Nothing sent yet") {
		t.Error("page with messages says nothing was sent")
	}
	if i, j := strings.Index(page, "msg_second"), strings.Index(page, "msg_first"); i < 0 || j < 0 || i > j {
		t.Errorf("page is not newest first (msg_second at %d, msg_first at %d)", i, j)
	}

	w := httptest.NewRecorder()
	b.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/dev/mailbox", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", w.Code)
	}
}

func TestMailboxPageEscapes(t *testing.T) {
	b := newTestMailbox(t)
	l := fullLetter(invited.KindInvitation)
	l.Message = "<script>alert(1)</script>"
	l.ToName = `"><img src=x onerror=alert(2)>`
	l.Link = "javascript:alert(3)"
	if err := b.Deliver(context.Background(), testMessage(l)); err != nil {
		t.Fatal(err)
	}
	sms := &invited.Message{ID: "msg_sms", Channel: invited.ChannelSMS,
		Letter: &invited.Letter{Kind: invited.KindInvitation, To: "<b>+1555</b>", Organization: "</pre><script>alert(4)</script>", Link: "javascript:alert(5)"}}
	if err := b.Deliver(context.Background(), sms); err != nil {
		t.Fatal(err)
	}

	_, page := getPage(t, b)
	for _, bad := range []string{"<script", "<img", "<b>+1555", `href="javascript:`, "</pre><"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q:\n%s", bad, page)
		}
	}
	// The email's own HTML is in srcdoc, escaped once more: what the frame
	// renders is the email's already escaped text.
	if !strings.Contains(page, "&amp;lt;script&amp;gt;alert(1)") {
		t.Errorf("srcdoc does not hold the escaped email HTML:\n%s", page)
	}
	if !strings.Contains(page, "#ZgotmplZ") {
		t.Errorf("the javascript: link was not neutralized:\n%s", page)
	}
}
