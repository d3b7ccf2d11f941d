package tracing

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// StartRequest starts the server span of r, a child of the caller's trace
// when r carries a traceparent header, and returns r's context with the
// span. Until EndRequest names it by its route, the span is named by the
// method alone: the path holds tokens.
func StartRequest(tracer trace.Tracer, r *http.Request) (context.Context, trace.Span) {
	ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(semconv.HTTPRequestMethodKey.String(r.Method), semconv.URLScheme(scheme)))
}

// EndRequest names span after pattern, the mux pattern that served the
// request ("POST /v1/invitations/{id}/accept", "GET /i/{token}"; "" when
// none matched), records the status it answered and ends it. A 5xx marks
// the span as failed.
func EndRequest(span trace.Span, method, pattern string, status int) {
	if pattern != "" {
		route := pattern
		if m, rest, ok := strings.Cut(pattern, " "); ok {
			method, route = m, rest
		}
		// A pattern may name a host; the route is its path.
		if i := strings.IndexByte(route, '/'); i > 0 {
			route = route[i:]
		}
		span.SetName(method + " " + route)
		span.SetAttributes(semconv.HTTPRoute(route))
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	if status >= 500 {
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// Client returns c with a transport that makes a client span of each
// request, the child of the request context's span, and sends the span's
// trace context in the traceparent header. A nil tracer returns c itself.
func Client(tracer trace.Tracer, c *http.Client) *http.Client {
	if tracer == nil {
		return c
	}
	traced := *c // shares c's transport and its connections
	traced.Transport = &transport{tracer: tracer, next: cmp.Or[http.RoundTripper](c.Transport, http.DefaultTransport)}
	return &traced
}

type transport struct {
	tracer trace.Tracer
	next   http.RoundTripper
}

// RoundTrip sends r with its span's trace context. The span names the
// method and the server, never the URL, whose path or query may hold a
// secret.
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	attrs := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(r.Method), semconv.ServerAddress(r.URL.Hostname())}
	if port, err := strconv.Atoi(r.URL.Port()); err == nil {
		attrs = append(attrs, semconv.ServerPort(port))
	}
	ctx, span := t.tracer.Start(r.Context(), r.Method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	defer span.End()
	r = r.Clone(ctx) // a RoundTripper must not change the request it is given
	propagator.Inject(ctx, propagation.HeaderCarrier(r.Header))
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		span.SetStatus(codes.Error, "")
		return nil, err
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(resp.StatusCode))
	if resp.StatusCode >= 400 {
		span.SetStatus(codes.Error, "")
	}
	return resp, nil
}

// LogHandler returns h adding to every record whose context holds a span
// the span's trace_id and span_id, so that a request's log lines can be
// found from its trace and the other way round.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler { return logHandler{h.Handler.WithGroup(name)} }
