package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/config"
)

// healthcheck asks a running server whether it is ready (GET /readyz) and
// fails unless it answers 200. It is the HEALTHCHECK of the container
// image, which has no curl; its error is the one line a container runtime
// shows as the check's output, and its exit status 1, which the runtimes
// read as unhealthy. It writes nothing to stdout.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "the service to check (default http://127.0.0.1:PORT, PORT from INVITED_ADDR)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("healthcheck: unexpected argument %q", fs.Arg(0))
	}
	if *url == "" {
		var err error
		if *url, err = serviceURL(getenv("INVITED_ADDR")); err != nil {
			return fmt.Errorf("healthcheck: INVITED_ADDR: %w", err)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	// No proxy from the environment: the server checked is this machine's.
	// No retry either: a runtime asks again on its own schedule.
	c := client.New(*url, client.WithTransport(&http.Transport{DisableKeepAlives: true}), client.WithRetry(client.RetryPolicy{}))
	h, err := c.Ready(ctx)
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*client.UnexpectedResponseError](err); ok {
		answered := fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
		if h != nil && h.Reason != "" {
			return fmt.Errorf("healthcheck: %s answered %s: %s not ready", *url, answered, h.Reason)
		}
		return fmt.Errorf("healthcheck: %s answered %s", *url, answered)
	}
	// %v, not %w: a server that is not listening is unhealthy, exit
	// status 1 as container runtimes expect, not the API commands'
	// "cannot reach the service" (4).
	return fmt.Errorf("healthcheck: %v", err)
}

// serviceURL is the URL of a server listening on addr (serve's default
// when empty), over loopback when addr names no particular host (":8080",
// "0.0.0.0:8080", "[::]:8080").
func serviceURL(addr string) (string, error) {
	if addr == "" {
		addr = config.Default().Addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
