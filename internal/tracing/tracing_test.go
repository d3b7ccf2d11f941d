package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func recorder(t *testing.T) (trace.Tracer, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tp.Tracer(Name), rec
}

// TestRequestSpanName checks that a server span is named by method and
// route, whatever form the pattern has, and never by the path.
func TestRequestSpanName(t *testing.T) {
	tracer, rec := recorder(t)
	for _, tc := range []struct{ pattern, name, route string }{
		{"POST /v1/invitations/{id}/accept", "POST /v1/invitations/{id}/accept", "/v1/invitations/{id}/accept"},
		{"GET /i/{token}", "GET /i/{token}", "/i/{token}"},
		{"/console/", "GET /console/", "/console/"},
		{"GET example.com/i/{token}", "GET /i/{token}", "/i/{token}"},
		{"", "GET", ""},
	} {
		r := httptest.NewRequest(http.MethodGet, "/i/secret-token", nil)
		_, span := StartRequest(tracer, r)
		EndRequest(span, r.Method, tc.pattern, http.StatusOK)
		ended := rec.Ended()
		got := ended[len(ended)-1]
		var route string
		for _, a := range got.Attributes() {
			if a.Key == "http.route" {
				route = a.Value.AsString()
			}
			if strings.Contains(a.Value.String(), "secret-token") {
				t.Errorf("%q: attribute %s holds the path", tc.pattern, a.Key)
			}
		}
		if got.Name() != tc.name || route != tc.route {
			t.Errorf("pattern %q: span %q route %q, want %q %q", tc.pattern, got.Name(), route, tc.name, tc.route)
		}
	}
}

// TestClient checks that the traced client makes a client span, the child
// of the request's, and tells the server its trace context.
func TestClient(t *testing.T) {
	tracer, rec := recorder(t)
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("traceparent")
	}))
	defer srv.Close()
	ctx, parent := tracer.Start(context.Background(), "parent")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/hook?key=secret", nil)
	resp, err := Client(tracer, srv.Client()).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	parent.End()
	if req.Header.Get("traceparent") != "" {
		t.Error("the caller's request was changed")
	}
	call := rec.Ended()[0]
	if call.Name() != "POST" || call.SpanKind() != trace.SpanKindClient || call.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("client span %q kind %v parent %v", call.Name(), call.SpanKind(), call.Parent().SpanID())
	}
	if want := "00-" + call.SpanContext().TraceID().String() + "-" + call.SpanContext().SpanID().String() + "-01"; got != want {
		t.Errorf("traceparent %q, want %q", got, want)
	}
	for _, a := range call.Attributes() {
		if strings.Contains(a.Value.String(), "secret") || strings.Contains(a.Value.String(), "/hook") {
			t.Errorf("attribute %s = %s holds the URL", a.Key, a.Value.String())
		}
	}
	if c := srv.Client(); Client(nil, c) != c {
		t.Error("a nil tracer changed the client")
	}
}

// TestTraceparentLink checks that the traceparent of a span links back to
// it, and that no span links to nothing.
func TestTraceparentLink(t *testing.T) {
	tracer, _ := recorder(t)
	ctx, span := tracer.Start(context.Background(), "request")
	defer span.End()
	links := LinkTo(Traceparent(ctx))
	if len(links) != 1 || links[0].SpanContext.SpanID() != span.SpanContext().SpanID() || links[0].SpanContext.TraceID() != span.SpanContext().TraceID() {
		t.Errorf("links %+v of span %v", links, span.SpanContext())
	}
	if tp := Traceparent(context.Background()); tp != "" || LinkTo(tp) != nil || LinkTo("garbage") != nil {
		t.Errorf("no span: traceparent %q, links %v", tp, LinkTo(tp))
	}
}

// TestLogHandler checks that a record logged in a span's context carries
// the span's trace and span ids, and one outside none.
func TestLogHandler(t *testing.T) {
	tracer, _ := recorder(t)
	var buf bytes.Buffer
	logger := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("request_id", "r1")
	ctx, span := tracer.Start(context.Background(), "request")
	logger.InfoContext(ctx, "inside")
	span.End()
	logger.Info("outside")
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	var in, out map[string]any
	if len(lines) != 2 || json.Unmarshal(lines[0], &in) != nil || json.Unmarshal(lines[1], &out) != nil {
		t.Fatalf("log: %s", buf.String())
	}
	if in["trace_id"] != span.SpanContext().TraceID().String() || in["span_id"] != span.SpanContext().SpanID().String() || in["request_id"] != "r1" {
		t.Errorf("inside the span: %v", in)
	}
	if _, ok := out["trace_id"]; ok {
		t.Errorf("outside any span: %v", out)
	}
}

// TestSetupOff checks that without an endpoint, or with tracing disabled,
// Setup makes nothing.
func TestSetupOff(t *testing.T) {
	for _, env := range []map[string]string{
		{},
		{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"},
		{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"},
		{"OTEL_SERVICE_NAME": "invited"},
	} {
		tr, err := Setup(context.Background(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
		if tr != nil || err != nil {
			t.Errorf("%v: %v, %v; want off", env, tr, err)
		}
	}
}
