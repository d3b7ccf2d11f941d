// Package otlptest runs a real OTLP receiver for tests: tools/otelcol, the
// OpenTelemetry Collector's own otlpreceiver on gRPC and HTTP, built with
// go build and started as a process, which writes what it receives as
// OTLP JSON. The collector is a module of its own (tools/otelcol/go.mod),
// so its dependencies stay out of invited's.
package otlptest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Collector is a running receiver.
type Collector struct {
	// HTTP and GRPC are the endpoints of its listeners, as
	// OTEL_EXPORTER_OTLP_ENDPOINT takes them (http://127.0.0.1:PORT).
	HTTP, GRPC string
	out        string
}

// Start builds and starts a collector that runs until the test ends. It
// skips the test when the collector cannot be built (its modules cannot be
// downloaded), and fails it instead under CI=true.
func Start(t *testing.T) *Collector {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "otelcol")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join(root(), "tools", "otelcol")
	if out, err := build.CombinedOutput(); err != nil {
		msg := fmt.Sprintf("building the OTLP receiver (tools/otelcol) failed: %v\n%s", err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	c := &Collector{out: filepath.Join(dir, "traces.jsonl")}
	grpcAddr, httpAddr := freePort(t), freePort(t)
	c.GRPC, c.HTTP = "http://"+grpcAddr, "http://"+httpAddr
	cmd := exec.Command(bin, "-grpc", grpcAddr, "-http", httpAddr, "-out", c.out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("the OTLP receiver did not start: %q %v\n%s", line, err, stderr.String())
	}
	return c
}

// root is the repository's root directory.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// freePort returns a loopback address whose port was free a moment ago.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Span is one span received, its ids in hex.
type Span struct {
	TraceID, SpanID, ParentSpanID string
	Name                          string
	Kind                          int // 1 internal, 2 server, 3 client, 4 producer, 5 consumer
	Attributes                    map[string]string
	Events                        []Event
	Links                         []Link
	// Resource is the attributes of the resource that sent it.
	Resource map[string]string
}

// Event is an event of a span.
type Event struct {
	Name       string
	Attributes map[string]string
}

// Link is a link of a span to another.
type Link struct{ TraceID, SpanID string }

// Raw returns everything received so far, as the receiver wrote it.
func (c *Collector) Raw(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(c.out)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return b
}

// Spans returns the spans received so far.
func (c *Collector) Spans(t *testing.T) []Span {
	t.Helper()
	var spans []Span
	for line := range bytes.Lines(c.Raw(t)) {
		var doc traces
		if err := json.Unmarshal(line, &doc); err != nil {
			t.Fatalf("the receiver wrote what is not OTLP JSON: %v", err)
		}
		for _, rs := range doc.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					span := Span{TraceID: s.TraceID, SpanID: s.SpanID, ParentSpanID: s.ParentSpanID, Name: s.Name,
						Kind: s.Kind, Attributes: attributes(s.Attributes), Resource: attributes(rs.Resource.Attributes)}
					for _, e := range s.Events {
						span.Events = append(span.Events, Event{Name: e.Name, Attributes: attributes(e.Attributes)})
					}
					for _, l := range s.Links {
						span.Links = append(span.Links, Link{TraceID: l.TraceID, SpanID: l.SpanID})
					}
					spans = append(spans, span)
				}
			}
		}
	}
	return spans
}

// traces is the OTLP JSON of ptrace.JSONMarshaler, as far as tests read it.
type traces struct {
	ResourceSpans []struct {
		Resource struct {
			Attributes []keyValue `json:"attributes"`
		} `json:"resource"`
		ScopeSpans []struct {
			Spans []struct {
				TraceID      string     `json:"traceId"`
				SpanID       string     `json:"spanId"`
				ParentSpanID string     `json:"parentSpanId"`
				Name         string     `json:"name"`
				Kind         int        `json:"kind"`
				Attributes   []keyValue `json:"attributes"`
				Events       []struct {
					Name       string     `json:"name"`
					Attributes []keyValue `json:"attributes"`
				} `json:"events"`
				Links []struct {
					TraceID string `json:"traceId"`
					SpanID  string `json:"spanId"`
				} `json:"links"`
			} `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

// keyValue is an attribute; its value is an object of one field named by
// its type (stringValue, intValue, boolValue, …).
type keyValue struct {
	Key   string                     `json:"key"`
	Value map[string]json.RawMessage `json:"value"`
}

// attributes returns kvs by key, each value as its JSON text (strings
// unquoted).
func attributes(kvs []keyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		for _, v := range kv.Value {
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = string(v)
			}
			m[kv.Key] = s
		}
	}
	return m
}
