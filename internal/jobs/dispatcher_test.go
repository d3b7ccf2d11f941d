package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/metrics"
	"github.com/invitedhq/invited/internal/testutil"
)

// deadline bounds every wait of these tests; nothing should come near it.
const deadline = 10 * time.Second

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// record is one recorded outcome.
type record = invited.Outcome

// memOutbox is an in-memory invited.Outbox with the store's leasing and
// recording rules, enough to drive the dispatcher. It hands out copies of
// its messages, as a database would.
type memOutbox struct {
	now func() time.Time

	mu        sync.Mutex
	msgs      []*invited.Message // in enqueue order
	leases    map[string]time.Time
	claimed   []*invited.Message // the copies handed out
	records   []record
	claimErr  error
	recordErr error
	// claims, if set, is sent how many messages each claim returned (-1
	// when it failed) without blocking.
	claims chan int
}

func newOutbox(c *testutil.Clock) *memOutbox {
	return &memOutbox{now: c.Now, leases: map[string]time.Time{}}
}

func (o *memOutbox) add(ms ...*invited.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, ms...)
}

func (o *memOutbox) ClaimMessages(_ context.Context, limit int, lease time.Duration) ([]*invited.Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.claimErr != nil {
		o.notify(-1)
		return nil, o.claimErr
	}
	now := o.now()
	var out []*invited.Message
	for _, m := range o.msgs {
		if len(out) == limit {
			break
		}
		if m.Status != invited.MessagePending || m.NextAttemptAt.After(now) || o.leases[m.ID].After(now) {
			continue
		}
		o.leases[m.ID] = now.Add(lease)
		c := *m
		if m.Letter != nil {
			l := *m.Letter
			c.Letter = &l
		}
		out = append(out, &c)
		o.claimed = append(o.claimed, &c)
	}
	o.notify(len(out))
	return out, nil
}

func (o *memOutbox) notify(n int) {
	if o.claims == nil {
		return
	}
	select {
	case o.claims <- n:
	default:
	}
}

func (o *memOutbox) RecordAttempts(_ context.Context, outcomes []invited.Outcome) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.recordErr != nil {
		return o.recordErr
	}
	for _, r := range outcomes {
		m := o.find(r.MessageID)
		if m == nil || !o.leases[r.MessageID].After(o.now()) {
			return fmt.Errorf("message %s is not claimed", r.MessageID)
		}
		delete(o.leases, r.MessageID)
		o.records = append(o.records, r)
		m.AttemptCount++
		m.LastError = r.Attempt.Error
		switch {
		case r.Attempt.Error == "":
			m.Status = invited.MessageDelivered
			m.Token = ""
			m.NextAttemptAt = nil
		case r.RetryAt.IsZero():
			m.Status = invited.MessageDead
			m.NextAttemptAt = nil
		default:
			m.NextAttemptAt = &r.RetryAt
		}
	}
	return nil
}

func (o *memOutbox) PendingMessages(context.Context) (map[string]int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	counts := map[string]int{}
	for _, m := range o.msgs {
		if m.Status == invited.MessagePending {
			counts[m.Channel]++
		}
	}
	return counts, nil
}

func (o *memOutbox) find(id string) *invited.Message {
	for _, m := range o.msgs {
		if m.ID == id {
			return m
		}
	}
	return nil
}

// status returns a copy of the stored message id.
func (o *memOutbox) message(id string) invited.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.find(id)
}

func (o *memOutbox) recorded() []record {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]record(nil), o.records...)
}

// transport records what it is asked to deliver and answers with fn.
type transport struct {
	fn func(ctx context.Context, m *invited.Message) error

	mu  sync.Mutex
	got []*invited.Message
}

func (t *transport) Deliver(ctx context.Context, m *invited.Message) error {
	t.mu.Lock()
	t.got = append(t.got, m)
	t.mu.Unlock()
	if t.fn == nil {
		return nil
	}
	return t.fn(ctx, m)
}

func (t *transport) delivered() []*invited.Message {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*invited.Message(nil), t.got...)
}

func failing(err error) *transport {
	return &transport{fn: func(context.Context, *invited.Message) error { return err }}
}

// message is a pending letter due at due, carrying a token.
func message(id, channel string, due time.Time) *invited.Message {
	return &invited.Message{
		ID: id, Channel: channel, Kind: invited.KindInvitation, To: "ada@example.com",
		Status: invited.MessagePending, DueAt: due, NextAttemptAt: &due, CreatedAt: due,
		Token: "tok_" + id,
		Letter: &invited.Letter{
			Kind: invited.KindInvitation, To: "ada@example.com", Organization: "Acme",
			Roles: []string{"member"}, ExpiresAt: due.Add(7 * 24 * time.Hour),
		},
	}
}

func link(m *invited.Message) string { return invited.LetterLink("https://invited.test", m) }

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// sample reads the value of the counter or gauge name with exactly labels.
func sample(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no sample %s%v", name, labels)
	return 0
}

func TestDispatchOutcomes(t *testing.T) {
	transient := errors.New("connection refused")
	tests := []struct {
		name      string
		msg       func(*invited.Message) // adjusts the message, due now
		transport *transport             // for email; nil: none configured
		noLink    bool
		// Wanted: the stored status, the attempt's error (substring; ""
		// for success), the retry window after now (zero: no retry) and
		// the metrics outcome.
		status   string
		err      string
		retryMin time.Duration
		retryMax time.Duration
		outcome  string
	}{
		{
			name: "delivered", transport: &transport{},
			status: invited.MessageDelivered, outcome: metrics.Delivered,
		},
		{
			name: "letter without token", transport: &transport{},
			msg:    func(m *invited.Message) { m.Token = ""; m.Kind = invited.KindAccepted },
			status: invited.MessageDelivered, outcome: metrics.Delivered,
		},
		{
			name: "transient error on the first attempt", transport: failing(transient),
			status: invited.MessagePending, err: "connection refused",
			retryMin: 5 * time.Second, retryMax: 10 * time.Second, outcome: metrics.Failed,
		},
		{
			name: "transient error on the fourth attempt", transport: failing(transient),
			msg:    func(m *invited.Message) { m.AttemptCount = 3 },
			status: invited.MessagePending, err: "connection refused",
			retryMin: 40 * time.Second, retryMax: 80 * time.Second, outcome: metrics.Failed,
		},
		{
			name: "undeliverable", transport: failing(fmt.Errorf("550 no such mailbox: %w", invited.ErrUndeliverable)),
			status: invited.MessageDead, err: "550 no such mailbox", outcome: metrics.Dead,
		},
		{
			name: "retry beyond the horizon", transport: failing(transient),
			// Due 72h ago less 4s: even the shortest first retry (5s)
			// falls after the horizon.
			msg:    func(m *invited.Message) { m.DueAt = m.DueAt.Add(-72*time.Hour + 4*time.Second) },
			status: invited.MessageDead, err: "connection refused", outcome: metrics.Dead,
		},
		{
			name: "retry within the horizon", transport: failing(transient),
			// The longest first retry (just under 10s) still fits.
			msg:    func(m *invited.Message) { m.DueAt = m.DueAt.Add(-72*time.Hour + 10*time.Second) },
			status: invited.MessagePending, err: "connection refused",
			retryMin: 5 * time.Second, retryMax: 10 * time.Second, outcome: metrics.Failed,
		},
		{
			name:   "no transport configured",
			status: invited.MessagePending, err: "no transport configured for channel email",
			retryMin: 5 * time.Second, retryMax: 10 * time.Second, outcome: metrics.Failed,
		},
		{
			name: "no link configured", transport: &transport{}, noLink: true,
			status: invited.MessagePending, err: "no link configured",
			retryMin: 5 * time.Second, retryMax: 10 * time.Second, outcome: metrics.Failed,
		},
		{
			name: "transport panics",
			transport: &transport{fn: func(context.Context, *invited.Message) error {
				panic("nil map")
			}},
			status: invited.MessagePending, err: "transport panicked: nil map",
			retryMin: 5 * time.Second, retryMax: 10 * time.Second, outcome: metrics.Failed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := testutil.NewClock(t0)
			ob := newOutbox(clock)
			m := message("msg_1", invited.ChannelEmail, t0)
			if tt.msg != nil {
				tt.msg(m)
			}
			token := m.Token // the store scrubs it on delivery
			ob.add(m)
			reg := prometheus.NewRegistry()
			d := &Dispatcher{
				Outbox: ob, Transports: map[string]invited.Transport{}, Link: link,
				Now: clock.Now, Logger: discard(), Metrics: metrics.New(reg),
			}
			if tt.transport != nil {
				d.Transports[invited.ChannelEmail] = tt.transport
			}
			if tt.noLink {
				d.Link = nil
			}

			n, err := d.Dispatch(context.Background())
			if err != nil || n != 1 {
				t.Fatalf("Dispatch = %d, %v; want 1, nil", n, err)
			}

			recs := ob.recorded()
			if len(recs) != 1 {
				t.Fatalf("%d attempts recorded, want 1", len(recs))
			}
			r := recs[0]
			if r.MessageID != "msg_1" || !r.Attempt.At.Equal(t0) {
				t.Errorf("recorded %+v", r)
			}
			if tt.err == "" && r.Attempt.Error != "" {
				t.Errorf("attempt error %q, want none", r.Attempt.Error)
			}
			if tt.err != "" && !strings.Contains(r.Attempt.Error, tt.err) {
				t.Errorf("attempt error %q, want it to contain %q", r.Attempt.Error, tt.err)
			}
			if tt.retryMax == 0 {
				if !r.RetryAt.IsZero() {
					t.Errorf("retry at %v, want none", r.RetryAt)
				}
			} else if wait := r.RetryAt.Sub(t0); wait < tt.retryMin || wait >= tt.retryMax {
				t.Errorf("retry after %v, want in [%v, %v)", wait, tt.retryMin, tt.retryMax)
			}
			if got := ob.message("msg_1").Status; got != tt.status {
				t.Errorf("status %s, want %s", got, tt.status)
			}
			for _, o := range []string{metrics.Delivered, metrics.Failed, metrics.Dead} {
				want := 0.0
				if o == tt.outcome {
					want = 1
				}
				got := sample(t, reg, "invited_delivery_attempts_total", map[string]string{"channel": "email", "outcome": o})
				if got != want {
					t.Errorf("%s attempts = %v, want %v", o, got, want)
				}
			}

			if tt.transport == nil || tt.noLink {
				return
			}
			// The transport saw the letter with its link; the claimed
			// message was left alone.
			sent := tt.transport.delivered()
			if len(sent) != 1 {
				t.Fatalf("transport called %d times", len(sent))
			}
			wantLink := ""
			if token != "" {
				wantLink = link(ob.claimed[0])
			}
			if sent[0].ID != "msg_1" || sent[0].Letter.Link != wantLink {
				t.Errorf("delivered id %s link %q, want msg_1 %q", sent[0].ID, sent[0].Letter.Link, wantLink)
			}
			claimed := ob.claimed[0]
			if claimed.Letter.Link != "" || (token != "" && claimed.Letter == sent[0].Letter) {
				t.Errorf("the claimed message's letter was mutated or shared: %+v", claimed.Letter)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	tests := []struct {
		attempt  int
		min, max time.Duration // the result is in [min, max)
	}{
		{0, 5 * time.Second, 10 * time.Second},
		{1, 5 * time.Second, 10 * time.Second},
		{2, 10 * time.Second, 20 * time.Second},
		{3, 20 * time.Second, 40 * time.Second},
		{4, 40 * time.Second, 80 * time.Second},
		{12, 10 * 2048 * time.Second / 2, 10 * 2048 * time.Second}, // 5h41m20s, the last doubling under the cap
		{13, 3 * time.Hour, 6 * time.Hour},
		{64, 3 * time.Hour, 6 * time.Hour},
		{1 << 30, 3 * time.Hour, 6 * time.Hour},
	}
	lowest := func(int64) int64 { return 0 }
	highest := func(n int64) int64 { return n - 1 }
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.attempt), func(t *testing.T) {
			if got := backoff(tt.attempt, lowest); got != tt.min {
				t.Errorf("lowest backoff %v, want %v", got, tt.min)
			}
			if got := backoff(tt.attempt, highest); got != tt.max-1 {
				t.Errorf("highest backoff %v, want %v", got, tt.max-1)
			}
			for range 1000 {
				if got := backoff(tt.attempt, rand.Int64N); got < tt.min || got >= tt.max {
					t.Fatalf("backoff %v, want in [%v, %v)", got, tt.min, tt.max)
				}
			}
		})
	}
}

func TestDispatchBoundsConcurrency(t *testing.T) {
	const workers, total = 3, 40
	clock := testutil.NewClock(t0)
	ob := newOutbox(clock)
	for i := range total {
		ob.add(message(fmt.Sprintf("msg_%02d", i), invited.ChannelWebhook, t0))
	}
	var (
		mu          sync.Mutex
		inFlight    int
		maxInFlight int
	)
	entered := make(chan struct{})
	release := make(chan struct{})
	tr := &transport{fn: func(context.Context, *invited.Message) error {
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		mu.Unlock()
		entered <- struct{}{}
		<-release
		mu.Lock()
		inFlight--
		mu.Unlock()
		return nil
	}}
	d := &Dispatcher{
		Outbox: ob, Transports: map[string]invited.Transport{invited.ChannelWebhook: tr},
		Link: link, Now: clock.Now, Logger: discard(), Workers: workers, Batch: total,
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := d.Dispatch(context.Background())
		done <- result{n, err}
	}()

	timeout := time.After(deadline)
	wait := func(what string) {
		t.Helper()
		select {
		case <-entered:
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
	// Fill every worker before letting any go, then let one go for each
	// that may start.
	for range workers {
		wait("the workers to fill")
	}
	for range total - workers {
		// Give a dispatcher that ignores the bound every chance to start
		// one more delivery (which would show in maxInFlight) before the
		// release frees a worker. Correctness does not depend on it.
		runtime.Gosched()
		release <- struct{}{}
		wait("the next delivery")
	}
	for range workers {
		release <- struct{}{}
	}
	select {
	case r := <-done:
		if r.n != total || r.err != nil {
			t.Fatalf("Dispatch = %d, %v", r.n, r.err)
		}
	case <-timeout:
		t.Fatal("Dispatch did not return")
	}
	if maxInFlight != workers {
		t.Errorf("%d deliveries in flight at most, want %d", maxInFlight, workers)
	}
	if n := len(ob.recorded()); n != total {
		t.Errorf("%d attempts recorded, want %d", n, total)
	}
}

func TestRunWakes(t *testing.T) {
	clock := testutil.NewClock(t0)
	ob := newOutbox(clock)
	ob.claims = make(chan int, 100)
	ob.claimErr = errors.New("database is locked")
	delivered := make(chan string, 10)
	tr := &transport{fn: func(_ context.Context, m *invited.Message) error {
		delivered <- m.ID
		return nil
	}}
	d := &Dispatcher{
		Outbox: ob, Transports: map[string]invited.Transport{invited.ChannelEmail: tr},
		Link: link, Now: clock.Now, Logger: discard(),
		// Only a wake can start a pass within the test.
		Poll: time.Hour,
	}
	cancel, stopped := start(d)
	defer func() {
		cancel()
		<-stopped
	}()

	timeout := time.After(deadline)
	claim := func() int {
		t.Helper()
		select {
		case n := <-ob.claims:
			return n
		case <-timeout:
			t.Fatal("timed out waiting for a pass")
			return 0
		}
	}
	// The first pass fails; Run waits, and a wake brings the next one.
	if n := claim(); n != -1 {
		t.Fatalf("first pass claimed %d, want a failure", n)
	}
	ob.mu.Lock()
	ob.claimErr = nil
	ob.mu.Unlock()
	d.Wake()
	if n := claim(); n != 0 {
		t.Fatalf("second pass claimed %d, want 0", n)
	}

	// Run is idle now: a message enqueued is delivered once woken.
	ob.add(message("msg_1", invited.ChannelEmail, t0))
	d.Wake()
	d.Wake() // wakes merge and never block
	select {
	case id := <-delivered:
		if id != "msg_1" {
			t.Fatalf("delivered %s", id)
		}
	case <-timeout:
		t.Fatal("the wake did not bring a pass")
	}
}

func TestRunDrainsFullBatches(t *testing.T) {
	clock := testutil.NewClock(t0)
	ob := newOutbox(clock)
	for i := range 7 {
		ob.add(message(fmt.Sprintf("msg_%d", i), invited.ChannelSMS, t0))
	}
	ob.claims = make(chan int, 100)
	delivered := make(chan struct{}, 7)
	tr := &transport{fn: func(context.Context, *invited.Message) error {
		delivered <- struct{}{}
		return nil
	}}
	d := &Dispatcher{
		Outbox: ob, Transports: map[string]invited.Transport{invited.ChannelSMS: tr},
		Link: link, Now: clock.Now, Logger: discard(), Poll: time.Hour, Batch: 3,
	}
	cancel, stopped := start(d)
	timeout := time.After(deadline)
	// Full batches are followed at once by another pass, until one is not
	// full; no wake or poll is needed.
	for _, want := range []int{3, 3, 1} {
		select {
		case n := <-ob.claims:
			if n != want {
				t.Fatalf("pass claimed %d, want %d", n, want)
			}
		case <-timeout:
			t.Fatal("timed out waiting for a pass")
		}
	}
	for range 7 {
		select {
		case <-delivered:
		case <-timeout:
			t.Fatal("timed out waiting for the deliveries")
		}
	}
	cancel()
	<-stopped
	if n := len(ob.recorded()); n != 7 {
		t.Errorf("%d attempts recorded, want 7", n)
	}
}

func TestRunFinishesInFlightOnShutdown(t *testing.T) {
	clock := testutil.NewClock(t0)
	ob := newOutbox(clock)
	ob.add(message("msg_1", invited.ChannelEmail, t0), message("msg_2", invited.ChannelEmail, t0))
	entered := make(chan struct{}, 2)
	release := make(chan struct{})
	tr := &transport{fn: func(ctx context.Context, _ *invited.Message) error {
		entered <- struct{}{}
		<-release
		// A delivery cancelled by the shutdown would fail here.
		return ctx.Err()
	}}
	d := &Dispatcher{
		Outbox: ob, Transports: map[string]invited.Transport{invited.ChannelEmail: tr},
		Link: link, Now: clock.Now, Logger: discard(), Workers: 1, Poll: time.Hour,
	}
	cancel, stopped := start(d)
	timeout := time.After(deadline)
	select {
	case <-entered:
	case <-timeout:
		t.Fatal("timed out waiting for the delivery")
	}
	cancel()
	// Give a Run that would not wait every chance to return (correctness
	// does not depend on it).
	for range 100 {
		runtime.Gosched()
	}
	select {
	case <-stopped:
		t.Fatal("Run returned with a delivery in flight")
	default:
	}
	close(release)
	select {
	case <-stopped:
	case <-timeout:
		t.Fatal("Run did not return after the delivery finished")
	}

	// The delivery in flight was recorded; the one that had not started
	// was not attempted, and waits for its lease to pass.
	recs := ob.recorded()
	if len(recs) != 1 || recs[0].MessageID != "msg_1" || recs[0].Attempt.Error != "" {
		t.Fatalf("recorded %+v, want msg_1 delivered", recs)
	}
	if m := ob.message("msg_2"); m.Status != invited.MessagePending || m.AttemptCount != 0 {
		t.Errorf("msg_2 %s after %d attempts, want pending and unattempted", m.Status, m.AttemptCount)
	}
	if got := tr.delivered(); len(got) != 1 {
		t.Errorf("%d deliveries, want 1", len(got))
	}
}

func TestRunCountsPending(t *testing.T) {
	clock := testutil.NewClock(t0)
	ob := newOutbox(clock)
	later := t0.Add(time.Hour) // not due, so Run leaves them pending
	ob.add(message("msg_1", invited.ChannelEmail, later), message("msg_2", invited.ChannelEmail, later),
		message("msg_3", invited.ChannelWebhook, later))
	ob.claims = make(chan int, 100)
	reg := prometheus.NewRegistry()
	d := &Dispatcher{Outbox: ob, Link: link, Now: clock.Now, Logger: discard(), Metrics: metrics.New(reg), Poll: time.Hour}
	cancel, stopped := start(d)
	// The gauge is set before the first pass.
	select {
	case <-ob.claims:
	case <-time.After(deadline):
		t.Fatal("timed out waiting for a pass")
	}
	cancel()
	<-stopped
	for channel, want := range map[string]float64{"email": 2, "sms": 0, "webhook": 1} {
		if got := sample(t, reg, "invited_outbox_pending_messages", map[string]string{"channel": channel}); got != want {
			t.Errorf("pending %s = %v, want %v", channel, got, want)
		}
	}
}

// The log tells which message failed and why, but never what it carries:
// not the token, the link, the webhook secret or payload, or the letter.
func TestDispatchLogsNoSecrets(t *testing.T) {
	clock := testutil.NewClock(t0)
	ob := newOutbox(clock)
	secretMessage := func(id, channel string) *invited.Message {
		m := message(id, channel, t0)
		m.To = "SECRET-to@example.com"
		m.Token = "SECRET-token-" + id
		m.Letter.To = m.To
		m.Letter.ToName = "SECRET-name"
		m.Letter.Organization = "SECRET-org"
		m.Letter.Message = "SECRET-message"
		return m
	}
	hook := secretMessage("msg_hook", invited.ChannelWebhook)
	hook.Letter, hook.Token = nil, ""
	hook.Kind = "invitation.accepted"
	hook.Secret = "whsec_SECRET"
	hook.Payload = []byte(`{"SECRET":"payload"}`)
	ob.add(secretMessage("msg_ok", invited.ChannelEmail), secretMessage("msg_retry", invited.ChannelSMS), hook)

	// Careless transports that quote what they were given.
	quoting := func(wrap error) *transport {
		return &transport{fn: func(_ context.Context, m *invited.Message) error {
			if m.Letter != nil {
				return fmt.Errorf("gateway refused %s (link %s): %w", m.Token, m.Letter.Link, wrap)
			}
			return fmt.Errorf("signing with %s failed: %w", m.Secret, wrap)
		}}
	}
	var logs testutil.SyncBuffer
	d := &Dispatcher{
		Outbox: ob,
		Transports: map[string]invited.Transport{
			invited.ChannelEmail:   &transport{},
			invited.ChannelSMS:     quoting(errors.New("busy")),
			invited.ChannelWebhook: quoting(invited.ErrUndeliverable),
		},
		Link: link, Now: clock.Now,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if n, err := d.Dispatch(context.Background()); n != 3 || err != nil {
		t.Fatalf("Dispatch = %d, %v", n, err)
	}

	out := logs.String()
	if strings.Contains(out, "SECRET") {
		t.Errorf("the log holds a secret:\n%s", out)
	}
	for _, want := range []string{
		`"level":"DEBUG","msg":"delivered","message_id":"msg_ok"`,
		`"level":"WARN","msg":"delivery failed; will retry","message_id":"msg_retry","channel":"sms","kind":"invitation","attempt":1,"err":"gateway refused [redacted] (link [redacted]): busy"`,
		`"level":"ERROR","msg":"delivery failed; message is dead","message_id":"msg_hook","channel":"webhook","kind":"invitation.accepted","attempt":1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
	// The attempt history is shown through the API: redacted too.
	for _, r := range ob.recorded() {
		if strings.Contains(r.Attempt.Error, "SECRET") {
			t.Errorf("attempt of %s records %q", r.MessageID, r.Attempt.Error)
		}
	}
}

func TestDispatchRecordFailure(t *testing.T) {
	clock := testutil.NewClock(t0)
	ob := newOutbox(clock)
	ob.add(message("msg_1", invited.ChannelEmail, t0))
	ob.recordErr = errors.New("disk full")
	var logs testutil.SyncBuffer
	d := &Dispatcher{
		Outbox: ob, Transports: map[string]invited.Transport{invited.ChannelEmail: &transport{}},
		Link: link, Now: clock.Now, Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	}
	// The delivery counts as attempted; the lease will bring it back.
	if n, err := d.Dispatch(context.Background()); n != 1 || err != nil {
		t.Fatalf("Dispatch = %d, %v", n, err)
	}
	if out := logs.String(); !strings.Contains(out, `"msg":"recording delivery attempts failed","messages":1`) ||
		!strings.Contains(out, "disk full") {
		t.Errorf("log:\n%s", out)
	}

	ob.mu.Lock()
	ob.recordErr = nil
	ob.mu.Unlock()
	if n, _ := d.Dispatch(context.Background()); n != 0 {
		t.Errorf("claimed again within the lease")
	}
	clock.Advance(d.lease())
	if n, _ := d.Dispatch(context.Background()); n != 1 {
		t.Errorf("not claimed again after the lease")
	}
}

func TestDispatchClaimError(t *testing.T) {
	ob := newOutbox(testutil.NewClock(t0))
	ob.claimErr = errors.New("database is locked")
	d := &Dispatcher{Outbox: ob, Logger: discard()}
	if n, err := d.Dispatch(context.Background()); n != 0 || !errors.Is(err, ob.claimErr) {
		t.Fatalf("Dispatch = %d, %v", n, err)
	}
}

// start runs d in the background until cancel is called; stopped is
// closed when Run has returned.
func start(d *Dispatcher) (cancel context.CancelFunc, stopped <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	return cancel, done
}
