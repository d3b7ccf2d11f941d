// Command otelcol is an OTLP receiver for invited's tracing tests: the
// OpenTelemetry Collector's own otlpreceiver, on gRPC and HTTP, writing
// every batch of traces it receives as one line of OTLP JSON
// (ptrace.JSONMarshaler). It is a module of its own so that the
// collector's dependencies stay out of invited's go.mod; the tests of
// cmd/invited build it with go build.
//
//	otelcol -grpc 127.0.0.1:4317 -http 127.0.0.1:4318 -out traces.jsonl
//
// It prints "ready" on stdout once both listeners are up, and stops on
// SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

func main() {
	grpcAddr := flag.String("grpc", "127.0.0.1:4317", "address of the OTLP/gRPC listener")
	httpAddr := flag.String("http", "127.0.0.1:4318", "address of the OTLP/HTTP listener")
	out := flag.String("out", "", "file to append the traces to, one JSON document per line (default stdout)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var w io.Writer = os.Stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "otelcol:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	if err := run(ctx, *grpcAddr, *httpAddr, w); err != nil {
		fmt.Fprintln(os.Stderr, "otelcol:", err)
		os.Exit(1)
	}
}

// run receives traces on grpcAddr and httpAddr until ctx is done, writing
// each batch to w.
func run(ctx context.Context, grpcAddr, httpAddr string, w io.Writer) error {
	factory := otlpreceiver.NewFactory()
	cfg := factory.CreateDefaultConfig().(*otlpreceiver.Config)
	cfg.Protocols.GRPC.GetOrInsertDefault().NetAddr.Endpoint = grpcAddr
	cfg.Protocols.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = httpAddr

	var mu sync.Mutex
	var marshaler ptrace.JSONMarshaler
	traces, err := consumer.NewTraces(func(_ context.Context, td ptrace.Traces) error {
		b, err := marshaler.MarshalTraces(td)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		_, err = w.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		return err
	}
	r, err := factory.CreateTraces(ctx, receivertest.NewNopSettings(factory.Type()), cfg, traces)
	if err != nil {
		return err
	}
	if err := r.Start(ctx, componenttest.NewNopHost()); err != nil {
		return err
	}
	fmt.Println("ready")
	<-ctx.Done()
	return r.Shutdown(context.Background())
}
