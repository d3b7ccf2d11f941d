// Package tracing is invited's OpenTelemetry tracing: the tracer provider,
// set up from the standard OTEL_* environment variables and exporting over
// OTLP (HTTP or gRPC); the W3C trace context taken from callers and given
// to what invited calls; and the spans of the HTTP requests it serves and
// sends. The store's spans (transactions, statements, group commits) are
// made in internal/sqlstore, and the outbox deliveries' in internal/jobs,
// with the Tracer that Setup returns.
//
// Tracing is off unless an OTLP endpoint is configured; then every part
// is given a nil trace.Tracer, and makes no span and allocates nothing for
// tracing.
//
// No span carries a secret or a person's address: HTTP spans are named by
// route pattern, never by path, and carry neither URLs nor headers;
// statement spans carry the statement's text, never its arguments.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/invitedhq/invited"
)

// Name is the instrumentation scope of invited's spans.
const Name = "github.com/invitedhq/invited"

// Protocols of OTLP, as OTEL_EXPORTER_OTLP_PROTOCOL names them.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// Tracing is a running tracer provider and its exporter.
type Tracing struct {
	provider *sdktrace.TracerProvider
	// Tracer makes invited's spans.
	Tracer trace.Tracer
	// Protocol is the OTLP protocol the spans are exported with.
	Protocol string
}

// Setup starts tracing as the OTEL_* variables of getenv configure it, or
// returns nil when they leave it off: no OTLP endpoint
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and no
// OTEL_TRACES_EXPORTER=otlp, or OTEL_SDK_DISABLED=true, or
// OTEL_TRACES_EXPORTER=none.
//
// The SDK reads the rest of its configuration itself, from the process's
// environment (the exporters' headers, timeouts, TLS and compression; the
// sampler; the batch span processor; the resource): getenv is the
// process's environment in serve. Setup checks first what the SDK would
// otherwise ignore with a complaint in the log, a protocol, endpoint or
// sampler that makes no sense, and returns it as an error naming the
// variable.
//
// The errors the SDK reports later, such as a failed export, go to logger.
func Setup(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*Tracing, error) {
	on, err := enabled(getenv)
	if err != nil || !on {
		return nil, err
	}
	protocol, err := check(getenv)
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("invited"), semconv.ServiceVersion(invited.Version)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	var exporter sdktrace.SpanExporter
	if protocol == ProtocolGRPC {
		exporter, err = otlptracegrpc.New(ctx)
	} else {
		exporter, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	// The SDK has no other way to report what goes wrong after start.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing: " + err.Error())
	}))
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	return &Tracing{provider: provider, Tracer: provider.Tracer(Name, trace.WithInstrumentationVersion(invited.Version)), Protocol: protocol}, nil
}

// Shutdown exports the spans not exported yet and stops the provider.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.provider.Shutdown(ctx) }

// enabled reports whether the variables turn tracing on.
func enabled(getenv func(string) string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(getenv("OTEL_SDK_DISABLED"))); v {
	case "true":
		return false, nil
	case "", "false":
	default:
		return false, fmt.Errorf("OTEL_SDK_DISABLED: %q is neither true nor false", v)
	}
	switch v := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); v {
	case "none":
		return false, nil
	case "otlp":
		return true, nil
	case "":
		return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "", nil
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER: %q is not an exporter invited has; use otlp or none", v)
	}
}

// samplers are the values of OTEL_TRACES_SAMPLER the SDK knows, and
// whether each takes a ratio in OTEL_TRACES_SAMPLER_ARG.
var samplers = map[string]bool{
	"always_on": false, "always_off": false, "traceidratio": true,
	"parentbased_always_on": false, "parentbased_always_off": false, "parentbased_traceidratio": true,
}

// check checks the variables the SDK would ignore when they make no sense,
// and returns the protocol to export with.
func check(getenv func(string) string) (string, error) {
	name, protocol := "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		name, protocol = "OTEL_EXPORTER_OTLP_PROTOCOL", getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch protocol {
	case "":
		protocol = ProtocolHTTP
	case ProtocolHTTP, ProtocolGRPC:
	default:
		return "", fmt.Errorf("%s: %q is not a protocol invited exports traces with; use http/protobuf or grpc", name, protocol)
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("%s: %q is not an http:// or https:// URL, such as http://localhost:4318", name, v)
		}
	}
	sampler := getenv("OTEL_TRACES_SAMPLER")
	ratio, known := samplers[sampler]
	if sampler != "" && !known {
		return "", fmt.Errorf("OTEL_TRACES_SAMPLER: %q is not a sampler; use always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio", sampler)
	}
	if arg := getenv("OTEL_TRACES_SAMPLER_ARG"); ratio && arg != "" {
		if r, err := strconv.ParseFloat(arg, 64); err != nil || r < 0 || r > 1 {
			return "", fmt.Errorf("OTEL_TRACES_SAMPLER_ARG: %q is not a ratio from 0 to 1", arg)
		}
	}
	return protocol, nil
}

// propagator is the W3C trace context: traceparent and tracestate.
var propagator = propagation.TraceContext{}

// Traceparent returns the W3C traceparent of the span of ctx, or "" when
// ctx holds no sampled span: what a piece of work done later, such as an
// outbox delivery, links to.
func Traceparent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsSampled() {
		return ""
	}
	carrier := propagation.MapCarrier{}
	propagator.Inject(ctx, carrier)
	return carrier.Get("traceparent")
}

// LinkTo returns a link to the span of traceparent, if it names one.
func LinkTo(traceparent string) []trace.Link {
	ctx := propagator.Extract(context.Background(), propagation.MapCarrier{"traceparent": traceparent})
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return []trace.Link{{SpanContext: sc}}
	}
	return nil
}
