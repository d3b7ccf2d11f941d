package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/invitedhq/invited"
)

// TestSpans checks the store's spans on each backend: inside a traced
// request, a transaction span (under a group commit's on SQLite) with a
// span per statement, carrying the statement's text and none of its
// arguments; none outside a recording span; and the request's traceparent
// stored with the messages it enqueues.
func TestSpans(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			tracer := tp.Tracer("test")
			e := newEnv(t, func(tb testing.TB, opts Options) *DB {
				opts.Tracer = tracer
				return b.open(tb, opts)
			})
			org := e.org(nil)
			create := func(ctx context.Context, email string) {
				t.Helper()
				if _, _, err := e.db.CreateInvitation(ctx, org.ID, invited.InvitationCreate{Email: email, Roles: []string{"member"}}); err != nil {
					t.Fatal(err)
				}
			}
			// Not sampled: a span that does not record has no children.
			unsampled := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())).Tracer("test")
			ctx, span := unsampled.Start(e.admin, "request")
			create(ctx, "bea@example.com")
			span.End()
			if n := len(rec.Ended()); n != 0 {
				t.Fatalf("%d spans without a recording parent: %v", n, rec.Ended())
			}

			ctx, request := tracer.Start(e.admin, "request")
			create(ctx, "ann@example.com")
			request.End()
			spans := rec.Ended()
			children := func(parent trace.SpanContext, name string) []sdktrace.ReadOnlySpan {
				var out []sdktrace.ReadOnlySpan
				for _, s := range spans {
					if s.Parent().SpanID() == parent.SpanID() && (name == "" || s.Name() == name) {
						out = append(out, s)
					}
				}
				return out
			}
			parent := request.SpanContext()
			if e.db.group != nil {
				groups := children(parent, "group commit")
				if len(groups) != 1 || len(groups[0].Events()) != 1 {
					t.Fatalf("group commit spans: %v", groups)
				}
				parent = groups[0].SpanContext()
			}
			txs := children(parent, "write transaction")
			if len(txs) != 1 {
				t.Fatalf("write transactions under %v: %v", parent.SpanID(), spans)
			}
			statements := children(txs[0].SpanContext(), "")
			var insert bool
			for _, st := range statements {
				attrs := map[string]string{}
				for _, a := range st.Attributes() {
					attrs[string(a.Key)] = a.Value.String()
				}
				if want := map[string]string{"sqlite": "sqlite", "postgres": "postgresql"}[b.name]; attrs["db.system.name"] != want {
					t.Errorf("%s: db.system.name %q, want %q", st.Name(), attrs["db.system.name"], want)
				}
				if !strings.HasPrefix(strings.TrimSpace(attrs["db.query.text"]), st.Name()) {
					t.Errorf("statement span %q: text %q", st.Name(), attrs["db.query.text"])
				}
				insert = insert || strings.Contains(attrs["db.query.text"], "INSERT INTO invitations")
			}
			if !insert {
				t.Errorf("no statement span inserts the invitation: %v", statements)
			}
			for _, s := range spans {
				for _, a := range s.Attributes() {
					if strings.Contains(a.Value.String(), "ann@example.com") {
						t.Errorf("span %q: attribute %s holds an argument", s.Name(), a.Key)
					}
				}
			}

			// The delivery links to the request that enqueued the letter;
			// the untraced request's letter has no traceparent.
			msgs, err := e.db.ClaimMessages(context.Background(), 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"bea@example.com": "",
				"ann@example.com": "00-" + request.SpanContext().TraceID().String() + "-" + request.SpanContext().SpanID().String() + "-01"}
			for _, m := range msgs {
				if m.TraceParent != want[m.To] {
					t.Errorf("message to %s: traceparent %q, want %q", m.To, m.TraceParent, want[m.To])
				}
			}
			if len(msgs) != 2 {
				t.Errorf("%d messages claimed, want 2", len(msgs))
			}
		})
	}
}
