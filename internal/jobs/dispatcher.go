package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/metrics"
	"github.com/invitedhq/invited/internal/tracing"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Dispatcher defaults, used where a field is left zero.
const (
	defaultHorizon = 72 * time.Hour
	defaultLease   = 2 * time.Minute
	defaultBatch   = 50
	defaultWorkers = 8
	defaultPoll    = time.Second
	defaultGather  = 50 * time.Millisecond
)

// pendingEvery is how often Run recounts the pending messages for the
// gauge. Counting scans the outbox, so it is not done on every pass.
const pendingEvery = 15 * time.Second

// Retry backoff: the first retry waits about backoffBase, each later one
// twice as long as the one before, up to about backoffCap.
const (
	backoffBase = 10 * time.Second
	backoffCap  = 6 * time.Hour
)

// Dispatcher delivers outbox messages at least once. It claims due
// messages with a lease, delivers them through the transport of their
// channel and records each attempt. A dispatcher that dies mid-delivery
// leaves its messages leased; when the lease passes, any dispatcher claims
// them again, so a receiver may see a message twice and should
// de-duplicate on its id.
//
// Set the fields before calling Run, Dispatch or Wake; zero fields take
// their defaults.
type Dispatcher struct {
	Outbox invited.Outbox
	// Transports deliver the messages of each channel
	// (invited.ChannelEmail, ChannelSMS, ChannelWebhook).
	Transports map[string]invited.Transport
	// Link turns a claimed message's token into the link its letter
	// carries (invited.LetterLink).
	Link func(m *invited.Message) string
	// Horizon bounds the retries: a message goes dead when its next retry
	// would fall later than its DueAt plus Horizon. Default 72h.
	Horizon time.Duration
	// Lease is how long a claim keeps other dispatchers off a message. It
	// must exceed the transports' timeouts, or a slow delivery may be made
	// twice at once. Default 2m.
	Lease time.Duration
	// Batch is how many messages are claimed at once. Default 50.
	Batch int
	// Workers is how many deliveries run in parallel. Default 8.
	Workers int
	// Poll is how often Run looks for due messages when nobody wakes it,
	// which is how retries and reminders come due. Default 1s.
	Poll time.Duration
	// Gather is how long a woken Run waits before its pass, so that one
	// pass takes the messages of many requests. Default 50ms.
	Gather  time.Duration
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger     // default: discard
	Metrics *metrics.Metrics // nil: none
	// Tracer, when set, makes a span of each delivery, linked to the span
	// of the request that enqueued the message (Message.TraceParent);
	// the transports' calls are its children. nil makes none.
	Tracer trace.Tracer

	once sync.Once
	wake chan struct{}
	// jitter returns a number in [0, n) to spread retries; nil means
	// rand.Int64N, which is safe for concurrent use.
	jitter func(n int64) int64
}

func (d *Dispatcher) init() {
	d.once.Do(func() { d.wake = make(chan struct{}, 1) })
}

// Wake tells Run that messages were just enqueued, so that it looks now
// instead of at the next poll. It never blocks: wakes that come while one
// is already waiting are merged into it.
func (d *Dispatcher) Wake() {
	d.init()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run dispatches until ctx is done: a pass whenever it is woken or Poll has
// passed, repeated at once while passes come back full. It returns after
// the deliveries in flight have finished and been recorded; claimed
// messages it had not started yet wait for their lease to pass.
func (d *Dispatcher) Run(ctx context.Context) {
	d.init()
	poll := time.NewTimer(d.poll())
	defer poll.Stop()
	pending := time.NewTicker(pendingEvery)
	defer pending.Stop()

	d.refreshPending(ctx)
	for {
		d.drain(ctx)
		poll.Reset(d.poll())
		if !d.idle(ctx, poll.C, pending.C) {
			return
		}
	}
}

// idle waits for a wake or the poll, refreshing the pending gauge
// meanwhile. It reports false when ctx is done.
func (d *Dispatcher) idle(ctx context.Context, poll, pending <-chan time.Time) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-d.wake:
			// Let the messages of the requests arriving meanwhile
			// gather: a pass costs two write transactions however many
			// messages it takes, and on SQLite's single writer a pass
			// per request would cost as much as the requests.
			select {
			case <-ctx.Done():
				return false
			case <-time.After(d.gather()):
			}
			return true
		case <-poll:
			return true
		case <-pending:
			d.refreshPending(ctx)
		}
	}
}

// drain runs passes until one is not full, or fails.
func (d *Dispatcher) drain(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := d.Dispatch(ctx)
		if err != nil {
			// Wait for the next poll: a database that is down would
			// otherwise be asked again in a tight loop.
			if ctx.Err() == nil {
				d.logger().ErrorContext(ctx, "claiming outbox messages failed", "err", err)
			}
			return
		}
		if n < d.batch() {
			return
		}
	}
}

// Dispatch runs one pass: it claims up to Batch due messages, delivers them
// up to Workers at a time and records the attempts, together, in one write
// (on SQLite's single writer, a write per message would cost as much as
// the invitations themselves). It returns how many messages it attempted,
// and only the claim's error: a failed delivery is recorded and retried,
// and a failed record is logged and left to the lease.
//
// Deliveries are not cancelled with ctx, so that a graceful shutdown
// records the attempts it has started (transports have their own
// timeouts); once ctx is done no new delivery starts.
func (d *Dispatcher) Dispatch(ctx context.Context) (int, error) {
	msgs, err := d.Outbox.ClaimMessages(ctx, d.batch(), d.lease())
	if err != nil {
		return 0, err
	}
	dctx := context.WithoutCancel(ctx)
	sem := make(chan struct{}, d.workers())
	var wg sync.WaitGroup
	outcomes := make([]invited.Outcome, len(msgs))
	n := 0
	for i, m := range msgs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		n++
		wg.Go(func() {
			defer func() { <-sem }()
			outcomes[i] = d.attempt(dctx, m)
		})
	}
	wg.Wait()
	if n == 0 {
		return 0, nil
	}
	if err := d.Outbox.RecordAttempts(dctx, outcomes[:n]); err != nil {
		// The messages stay leased; when the lease passes they are
		// claimed and delivered again.
		d.logger().ErrorContext(ctx, "recording delivery attempts failed", "messages", n, "err", err)
	}
	return n, nil
}

// attempt delivers one claimed message and returns the outcome to record.
func (d *Dispatcher) attempt(ctx context.Context, m *invited.Message) invited.Outcome {
	number := m.AttemptCount + 1
	var span trace.Span
	if d.Tracer != nil {
		ctx, span = d.startDelivery(ctx, m, number)
	}
	start := d.now()
	err := d.deliver(ctx, m)
	end := d.now()
	if span != nil {
		// Not the error's text: an email server's may quote the address.
		if err != nil {
			span.SetStatus(codes.Error, "")
		}
		span.End()
	}
	a := invited.Attempt{At: start, DurationMS: end.Sub(start).Milliseconds()}

	log := d.logger().With(
		slog.String("message_id", m.ID),
		slog.String("channel", m.Channel),
		slog.String("kind", m.Kind),
		slog.Int("attempt", number),
	)
	var retryAt time.Time
	outcome := metrics.Delivered
	if err != nil {
		// Transport errors end up in the log and in the attempt history
		// that the API shows, so no secret of the message may reach them,
		// even from a transport that quotes what it sent.
		a.Error = d.redact(err.Error(), m)
		outcome = metrics.Dead
		if !errors.Is(err, invited.ErrUndeliverable) {
			retryAt = end.Add(backoff(number, d.randN))
			if retryAt.After(m.DueAt.Add(d.horizon())) {
				retryAt = time.Time{}
			}
		}
		if !retryAt.IsZero() {
			outcome = metrics.Failed
			log.WarnContext(ctx, "delivery failed; will retry", "err", a.Error, "retry_at", retryAt)
		} else {
			log.ErrorContext(ctx, "delivery failed; message is dead", "err", a.Error)
		}
	} else {
		log.DebugContext(ctx, "delivered", "duration_ms", a.DurationMS)
	}
	if d.Metrics != nil {
		d.Metrics.DeliveryAttempt(m.Channel, outcome)
	}
	return invited.Outcome{MessageID: m.ID, Attempt: a, RetryAt: retryAt}
}

// startDelivery starts the span of the delivery of m: the root of a trace
// of its own, since many requests' messages go in one pass, linked to the
// span of the request that enqueued m. It names the channel and the kind,
// never the recipient.
func (d *Dispatcher) startDelivery(ctx context.Context, m *invited.Message, attempt int) (context.Context, trace.Span) {
	return d.Tracer.Start(ctx, "deliver "+m.Channel, trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithLinks(tracing.LinkTo(m.TraceParent)...),
		trace.WithAttributes(semconv.MessagingOperationTypeProcess, semconv.MessagingMessageID(m.ID),
			attribute.String("invited.channel", m.Channel), attribute.String("invited.kind", m.Kind),
			attribute.Int("invited.attempt", attempt)))
}

// deliver hands m to its channel's transport, with the letter's link
// filled in. The claimed message is left as it is: the link exists only in
// the copy the transport sees.
func (d *Dispatcher) deliver(ctx context.Context, m *invited.Message) (err error) {
	t := d.Transports[m.Channel]
	if t == nil {
		// An ordinary failure, retried: configuring the channel later
		// lets its messages out.
		return fmt.Errorf("no transport configured for channel %s", m.Channel)
	}
	if m.Token != "" && m.Letter != nil {
		if d.Link == nil {
			return errors.New("no link configured for letters")
		}
		l := *m.Letter
		l.Link = d.Link(m)
		c := *m
		c.Letter = &l
		m = &c
	}
	// A transport that panics on one message would otherwise take the
	// process down again each time the message's lease passes.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("transport panicked: %v", p)
		}
	}()
	return t.Deliver(ctx, m)
}

// redact removes the message's token, link and signing secret from s.
func (d *Dispatcher) redact(s string, m *invited.Message) string {
	var secrets []string
	if m.Token != "" && d.Link != nil {
		// The link first, as it holds the token.
		secrets = append(secrets, d.Link(m))
	}
	secrets = append(secrets, m.Token, m.Secret)
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// refreshPending recounts the pending messages for the gauge.
func (d *Dispatcher) refreshPending(ctx context.Context) {
	if d.Metrics == nil {
		return
	}
	counts, err := d.Outbox.PendingMessages(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.logger().WarnContext(ctx, "counting pending outbox messages failed", "err", err)
		}
		return
	}
	d.Metrics.SetOutboxPending(counts)
}

// backoff is how long to wait before retrying after the given attempt
// (1 for the first). The wait doubles with each attempt from backoffBase up
// to backoffCap, and "equal jitter" takes half of it as is and the other
// half at random, so that retries of messages that failed together spread
// out, yet none comes back much sooner than planned: for the unjittered
// wait w, the result is w/2 + randN(w - w/2), in [w/2, w). randN(n) must
// return a number in [0, n), as rand.Int64N does.
func backoff(attempt int, randN func(n int64) int64) time.Duration {
	w := backoffBase
	for i := 1; i < attempt && w < backoffCap; i++ {
		w *= 2
	}
	w = min(w, backoffCap)
	half := w / 2
	return half + time.Duration(randN(int64(w-half)))
}

func (d *Dispatcher) randN(n int64) int64 {
	if d.jitter != nil {
		return d.jitter(n)
	}
	return rand.Int64N(n)
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (d *Dispatcher) horizon() time.Duration { return positive(d.Horizon, defaultHorizon) }
func (d *Dispatcher) lease() time.Duration   { return positive(d.Lease, defaultLease) }
func (d *Dispatcher) poll() time.Duration    { return positive(d.Poll, defaultPoll) }
func (d *Dispatcher) gather() time.Duration  { return positive(d.Gather, defaultGather) }
func (d *Dispatcher) batch() int             { return positive(d.Batch, defaultBatch) }
func (d *Dispatcher) workers() int           { return positive(d.Workers, defaultWorkers) }

func positive[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
