package email

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/invitedhq/invited"
)

// DefaultMailboxSize is how many messages a Mailbox keeps when Size is 0.
const DefaultMailboxSize = 200

// Mailbox is a development transport for email and SMS: instead of sending
// anything it keeps the last messages in memory and shows them on a page
// (ServeHTTP), links included, so a developer can click through the flow.
// The page shows secret links: never serve it in production.
type Mailbox struct {
	// Templates renders email letters.
	Templates *Templates
	// SMSText writes an SMS letter's text; the SMS transport's own
	// function, so the page shows what a phone would.
	SMSText func(*invited.Letter) string
	// Size is how many messages to keep; 0 means DefaultMailboxSize.
	Size int

	mu       sync.Mutex
	messages []MailboxMessage // oldest first
}

var _ invited.Transport = (*Mailbox)(nil)

// MailboxMessage is one message a Mailbox took.
type MailboxMessage struct {
	ID      string
	Channel string
	Kind    string
	To      string
	ToName  string
	Subject string // email only
	Text    string
	HTML    string // email only
	Link    string
	At      time.Time
}

// Deliver keeps the message. An email letter is rendered by Templates, an
// SMS letter by SMSText.
func (b *Mailbox) Deliver(ctx context.Context, m *invited.Message) error {
	if m.Letter == nil {
		return fmt.Errorf("mailbox: message %s has no letter: %w", m.ID, invited.ErrUndeliverable)
	}
	mm := MailboxMessage{
		ID:      m.ID,
		Channel: m.Channel,
		Kind:    m.Letter.Kind,
		To:      m.Letter.To,
		ToName:  m.Letter.ToName,
		Link:    m.Letter.Link,
		At:      time.Now(),
	}
	if mm.To == "" {
		mm.To = m.To
	}
	switch m.Channel {
	case invited.ChannelEmail:
		if b.Templates == nil {
			return errors.New("mailbox: Templates is not set")
		}
		r, err := b.Templates.Render(m.Letter)
		if err != nil {
			return fmt.Errorf("mailbox: %w", err)
		}
		mm.Subject, mm.Text, mm.HTML = r.Subject, r.Text, r.HTML
	case invited.ChannelSMS:
		if b.SMSText == nil {
			return errors.New("mailbox: SMSText is not set")
		}
		mm.Text = b.SMSText(m.Letter)
	default:
		return fmt.Errorf("mailbox: cannot take %s messages: %w", m.Channel, invited.ErrUndeliverable)
	}

	size := b.Size
	if size <= 0 {
		size = DefaultMailboxSize
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.messages = append(b.messages, mm)
	if n := len(b.messages) - size; n > 0 {
		// Copy rather than reslice, so the dropped messages (and the
		// array behind them) can be collected.
		b.messages = slices.Clone(b.messages[n:])
	}
	return nil
}

// Messages returns the kept messages, newest first.
func (b *Mailbox) Messages() []MailboxMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := slices.Clone(b.messages)
	slices.Reverse(out)
	return out
}

//go:embed mailbox.html
var mailboxPage string

var mailboxTemplate = template.Must(template.New("mailbox").Funcs(template.FuncMap{
	"utc": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
}).Parse(mailboxPage))

// mailboxCSP keeps the page inert whatever the messages contain: no
// scripts, no fetches, styles only inline. The email bodies are shown in
// sandboxed srcdoc frames, which inherit it.
const mailboxCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

// ServeHTTP shows the kept messages, newest first.
func (b *Mailbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var buf bytes.Buffer
	if err := mailboxTemplate.Execute(&buf, b.Messages()); err != nil {
		http.Error(w, "mailbox: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", mailboxCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// The page holds live invitation links.
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
