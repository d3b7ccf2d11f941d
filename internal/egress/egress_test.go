package egress_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/egress"
	"github.com/invitedhq/invited/internal/testutil"
)

// receiver is a local server that counts the requests it receives.
type receiver struct {
	*httptest.Server
	hits atomic.Int32
}

// listen starts a receiver on addr ("127.0.0.1:0"), skipping the test
// when the address cannot be bound.
func listen(t *testing.T, addr string, h http.Handler) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	r := &receiver{}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		if h != nil {
			h.ServeHTTP(w, req)
		}
	}))
	r.Listener.Close()
	r.Listener = ln
	r.Start()
	t.Cleanup(r.Close)
	return r
}

func prefixes(s ...string) invited.OutboundPolicy {
	var p invited.OutboundPolicy
	for _, v := range s {
		p.Allow = append(p.Allow, netip.MustParsePrefix(v))
	}
	return p
}

func get(t *testing.T, c *http.Client, rawURL string) error {
	t.Helper()
	resp, err := c.Get(rawURL)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &egress.StatusError{StatusCode: resp.StatusCode}
	}
	return nil
}

// TestClientRefusesOwnNetwork aims requests at real local receivers: by
// default each is refused before a connection is made, whatever names
// the address; with the allow-list they arrive.
func TestClientRefusesOwnNetwork(t *testing.T) {
	v4 := listen(t, "127.0.0.1:0", nil)
	v6 := listen(t, "[::1]:0", nil)
	_, port4, _ := net.SplitHostPort(v4.Listener.Addr().String())
	tests := []struct {
		name   string
		policy invited.OutboundPolicy
		url    string
		to     *receiver
		// delivered: arrives; else refused_by_policy.
		delivered bool
	}{
		{"127.0.0.1 by default", invited.OutboundPolicy{}, v4.URL, v4, false},
		{"::1 by default", invited.OutboundPolicy{}, v6.URL, v6, false},
		{"localhost by default", invited.OutboundPolicy{}, "http://localhost:" + port4 + "/", v4, false},
		{"IPv4-mapped by default", invited.OutboundPolicy{}, "http://[::ffff:127.0.0.1]:" + port4 + "/", v4, false},
		{"other prefixes allowed", prefixes("10.0.0.0/8", "192.168.0.0/16"), v4.URL, v4, false},
		{"127.0.0.1 allowed", testutil.AllowLoopback, v4.URL, v4, true},
		{"::1 allowed", testutil.AllowLoopback, v6.URL, v6, true},
		{"localhost allowed", testutil.AllowLoopback, "http://localhost:" + port4 + "/", v4, true},
		{"IPv4-mapped allowed as IPv4", prefixes("127.0.0.1/32"), "http://[::ffff:127.0.0.1]:" + port4 + "/", v4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.to.hits.Load()
			err := get(t, egress.Client(tt.policy, 5*time.Second), tt.url)
			hits := tt.to.hits.Load() - before
			if tt.delivered {
				if err != nil || hits != 1 {
					t.Fatalf("GET = %v with %d requests received, want delivered", err, hits)
				}
				return
			}
			if got := egress.Category(err); got != egress.RefusedByPolicy {
				t.Errorf("Category(%v) = %q, want %q", err, got, egress.RefusedByPolicy)
			}
			if hits != 0 {
				t.Errorf("the receiver got %d requests, want none", hits)
			}
		})
	}
}

// TestClientOddIPv4Literals dials the forms of 127.0.0.1 that Go's URL
// parser lets through and resolvers read differently: whichever way the
// resolver takes them, nothing reaches the receiver.
func TestClientOddIPv4Literals(t *testing.T) {
	r := listen(t, "127.0.0.1:0", nil)
	_, port, _ := net.SplitHostPort(r.Listener.Addr().String())
	for _, host := range []string{"2130706433", "0x7f000001", "0x7f.1", "0177.0.0.1", "127.1", "127.0.0.1."} {
		t.Run(host, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/", nil)
			resp, err := egress.Client(invited.OutboundPolicy{}, 5*time.Second).Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("GET answered %d, want an error", resp.StatusCode)
			}
			if got := egress.Category(err); got != egress.RefusedByPolicy && got != egress.DNSError && got != egress.Timeout {
				t.Errorf("Category(%v) = %q, want refused_by_policy, or a failed lookup", err, got)
			}
		})
	}
	if n := r.hits.Load(); n != 0 {
		t.Errorf("the receiver got %d requests, want none", n)
	}
}

// TestClientRedirectToOwnNetwork follows a redirect from an allowed
// receiver to one the policy refuses: the second connection is refused.
func TestClientRedirectToOwnNetwork(t *testing.T) {
	target := listen(t, "127.0.0.2:0", nil)
	origin := listen(t, "127.0.0.1:0", http.RedirectHandler(target.URL+"/internal", http.StatusFound))

	err := get(t, egress.Client(prefixes("127.0.0.1/32"), 5*time.Second), origin.URL)
	if got := egress.Category(err); got != egress.RefusedByPolicy {
		t.Errorf("Category(%v) = %q, want %q", err, got, egress.RefusedByPolicy)
	}
	if origin.hits.Load() != 1 || target.hits.Load() != 0 {
		t.Errorf("origin got %d requests, target %d; want 1 and 0", origin.hits.Load(), target.hits.Load())
	}

	// Allowed both, the same client reaches the target: the refusal above
	// was the policy's.
	if err := get(t, egress.Client(prefixes("127.0.0.0/8"), 5*time.Second), origin.URL); err != nil || target.hits.Load() != 1 {
		t.Errorf("with both allowed: %v, target got %d requests; want 1", err, target.hits.Load())
	}
}

func TestTransportIgnoresProxies(t *testing.T) {
	if tr := egress.Transport(invited.OutboundPolicy{}); tr.Proxy != nil {
		t.Error("the transport uses a proxy: the policy would judge the proxy's address, not the endpoint's")
	}
}

func TestCategory(t *testing.T) {
	hang := make(chan struct{})
	slow := listen(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}))
	t.Cleanup(func() { close(hang) }) // before slow closes: Close waits for handlers
	plain := listen(t, "127.0.0.1:0", nil)
	tlsServer := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsServer.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	allowed := egress.Client(testutil.AllowLoopback, 5*time.Second)
	do := func(c *http.Client, ctx context.Context, rawURL string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"nil", func() error { return nil }, ""},
		{"refused", func() error {
			return do(egress.Client(invited.OutboundPolicy{}, time.Second), context.Background(), plain.URL)
		}, "refused_by_policy"},
		{"status", func() error { return &egress.StatusError{StatusCode: 503, Body: "db 10.0.0.5:5432 down"} }, "http_status 503"},
		{"redirect status", func() error { return &egress.StatusError{StatusCode: 302} }, "http_status 302"},
		{"dns", func() error {
			return &url.Error{Op: "Post", URL: "http://x.invalid/", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}}}
		}, "dns_error"},
		{"client timeout", func() error {
			c := egress.Client(testutil.AllowLoopback, 50*time.Millisecond)
			return do(c, context.Background(), slow.URL)
		}, "timeout"},
		{"context deadline", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			return do(allowed, ctx, slow.URL)
		}, "timeout"},
		{"cancelled", func() error { return do(allowed, cancelled, plain.URL) }, "cancelled"},
		{"certificate unknown", func() error { return do(allowed, context.Background(), tlsServer.URL) }, "tls_error"},
		{"https to plain http", func() error {
			return do(allowed, context.Background(), strings.Replace(plain.URL, "http:", "https:", 1))
		}, "tls_error"},
		{"connection refused", func() error { return do(allowed, context.Background(), closed.URL) }, "connect_error"},
		{"anything else", func() error { return errors.New("connection reset by peer 10.0.0.5:22") }, "connect_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if got := egress.Category(err); got != tt.want {
				t.Errorf("Category(%v) = %q, want %q", err, got, tt.want)
			}
		})
	}
}
