package dnsverify_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited/internal/dnsverify"
	"github.com/invitedhq/invited/internal/testutil/dnstest"
)

func TestRecordNameAndValue(t *testing.T) {
	for _, tc := range []struct{ domain, want string }{
		{"acme.example", "_invited-challenge.acme.example"},
		{"Mail.ACME.example.", "_invited-challenge.mail.acme.example"},
	} {
		if got := dnsverify.RecordName(tc.domain); got != tc.want {
			t.Errorf("RecordName(%q) = %q, want %q", tc.domain, got, tc.want)
		}
	}
	if got, want := dnsverify.RecordValue("Tok3n"), "invited-domain-verification=Tok3n"; got != want {
		t.Errorf("RecordValue = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	long := strings.Repeat("L0ng", 80) // 320 bytes: served as two strings
	// More than a UDP answer holds (1,232 bytes with EDNS0): truncated,
	// then asked again over TCP.
	var big []string
	for i := range 12 {
		big = append(big, fmt.Sprintf("padding-%02d-%s", i, strings.Repeat("p", 200)))
	}
	big = append(big, dnsverify.RecordValue("Tok3n"))
	srv := dnstest.Start(t, map[string][]string{
		"_invited-challenge.match.example":    {dnsverify.RecordValue("Tok3n")},
		"_invited-challenge.spaces.example":   {"  " + dnsverify.RecordValue("Tok3n") + " "},
		"_invited-challenge.several.example":  {"v=spf1 -all", dnsverify.RecordValue("other"), dnsverify.RecordValue("Tok3n")},
		"_invited-challenge.mismatch.example": {dnsverify.RecordValue("old"), "unrelated"},
		"_invited-challenge.long.example":     {dnsverify.RecordValue(long)},
		"_invited-challenge.big.example":      big,
		// The challenge name exists, as the parent of this one, but has
		// no TXT record: NOERROR with no answer rather than NXDOMAIN.
		"below._invited-challenge.nodata.example": {"x"},
	})
	r := dnsverify.NewResolver(srv.Addr)
	for _, tc := range []struct {
		name, domain, token string
		want                error // nil, or the kind of *Error
		found               int   // for ErrMismatch
	}{
		{"match", "match.example", "Tok3n", nil, 0},
		{"domain in another case, rooted", "MATCH.Example.", "Tok3n", nil, 0},
		{"spaces around the value", "spaces.example", "Tok3n", nil, 0},
		{"one of several records", "several.example", "Tok3n", nil, 0},
		{"multi-string record joined", "long.example", long, nil, 0},
		{"answer over TCP", "big.example", "Tok3n", nil, 0},
		{"no match over TCP", "big.example", "other", dnsverify.ErrMismatch, 13},
		{"token compared with its case", "match.example", "tok3n", dnsverify.ErrMismatch, 1},
		{"no record matches", "mismatch.example", "Tok3n", dnsverify.ErrMismatch, 2},
		{"a token's prefix", "match.example", "Tok", dnsverify.ErrMismatch, 1},
		{"NXDOMAIN", "missing.example", "Tok3n", dnsverify.ErrNotFound, 0},
		{"name without TXT records", "nodata.example", "Tok3n", dnsverify.ErrNotFound, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := r.Verify(t.Context(), tc.domain, tc.token)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			e, ok := errors.AsType[*dnsverify.Error](err)
			if !ok || !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v (%T), want %v", err, err, tc.want)
			}
			if e.Record != dnsverify.RecordName(tc.domain) || e.Want != dnsverify.RecordValue(tc.token) || e.Found != tc.found {
				t.Errorf("error fields: %+v", e)
			}
			for _, other := range []error{dnsverify.ErrNotFound, dnsverify.ErrMismatch, dnsverify.ErrLookup} {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("%v also matches %v", err, other)
				}
			}
		})
	}
}

// TestVerifyNotFoundMessage checks that the message tells what to create.
func TestVerifyNotFoundMessage(t *testing.T) {
	srv := dnstest.Start(t, nil)
	err := dnsverify.NewResolver(srv.Addr).Verify(t.Context(), "acme.example", "Tok3n")
	want := `no TXT record _invited-challenge.acme.example: create a TXT record named _invited-challenge.acme.example with the value "invited-domain-verification=Tok3n"`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// TestVerifyAfterPublishing is the flow of a claim: verification fails
// until the record is published, then passes.
func TestVerifyAfterPublishing(t *testing.T) {
	srv := dnstest.Start(t, nil)
	r := dnsverify.NewResolver(srv.Addr)
	if err := r.Verify(t.Context(), "acme.example", "Tok3n"); !errors.Is(err, dnsverify.ErrNotFound) {
		t.Fatalf("before publishing: %v", err)
	}
	srv.SetTXT(map[string][]string{dnsverify.RecordName("acme.example"): {dnsverify.RecordValue("Tok3n")}})
	if err := r.Verify(t.Context(), "acme.example", "Tok3n"); err != nil {
		t.Fatalf("after publishing: %v", err)
	}
}

func TestVerifyEmptyToken(t *testing.T) {
	srv := dnstest.Start(t, map[string][]string{dnsverify.RecordName("acme.example"): {dnsverify.RecordValue("")}})
	err := dnsverify.NewResolver(srv.Addr).Verify(t.Context(), "acme.example", "")
	if _, ok := errors.AsType[*dnsverify.Error](err); err == nil || ok {
		t.Fatalf("empty token: %v, want a plain error", err)
	}
}

// TestVerifyLookupFailed covers servers that do not give an answer: each
// is ErrLookup, and none takes longer than the context allows.
func TestVerifyLookupFailed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server func(t *testing.T) string
		also   error // what else the error matches
	}{
		{"closed port", closedPort, nil},
		{"SERVFAIL", servfail, nil},
		{"no answer", silent, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.server(t)
			r := dnsverify.NewResolver(addr)
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := r.Verify(ctx, "acme.example", "Tok3n")
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("took %v", elapsed)
			}
			if _, ok := errors.AsType[*dnsverify.Error](err); !ok || !errors.Is(err, dnsverify.ErrLookup) {
				t.Fatalf("Verify: %v, want ErrLookup", err)
			}
			if tc.also != nil && !errors.Is(err, tc.also) {
				t.Errorf("Verify: %v, want it to match %v", err, tc.also)
			}
			if !strings.Contains(err.Error(), " on "+addr+":") {
				t.Errorf("%q does not name the server asked, %s", err, addr)
			}
		})
	}
}

// TestVerifyTimeout checks that Verify gives up on a silent server by
// itself, when the caller's context has no deadline.
func TestVerifyTimeout(t *testing.T) {
	t.Parallel()
	start := time.Now()
	err := dnsverify.NewResolver(silent(t)).Verify(t.Context(), "acme.example", "Tok3n")
	if !errors.Is(err, dnsverify.ErrLookup) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify: %v, want ErrLookup and context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed < 4*time.Second || elapsed > 8*time.Second {
		t.Errorf("gave up after %v, want about 5s", elapsed)
	}
}

func TestVerifyCanceled(t *testing.T) {
	srv := dnstest.Start(t, map[string][]string{dnsverify.RecordName("acme.example"): {dnsverify.RecordValue("Tok3n")}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := dnsverify.NewResolver(srv.Addr).Verify(ctx, "acme.example", "Tok3n")
	if !errors.Is(err, dnsverify.ErrLookup) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify: %v, want ErrLookup and context.Canceled", err)
	}
}

// closedPort returns a loopback UDP address that nothing listens on: a
// query there is answered by an ICMP port unreachable.
func closedPort(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

// silent returns the address of a UDP socket that reads queries and never
// answers.
func silent(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

// servfail returns the address of a UDP server that answers every query
// with SERVFAIL, as a resolver does when the domain's own servers fail.
func servfail(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			// The query's header and question back, with QR, RD, RA and
			// RCODE 2 (SERVFAIL) set and no records (RFC 1035 §4.1.1).
			reply := append([]byte(nil), buf[:n]...)
			binary.BigEndian.PutUint16(reply[2:], 0x8182)
			clear(reply[6:12]) // ANCOUNT, NSCOUNT, ARCOUNT
			_, _ = pc.WriteTo(reply, from)
		}
	}()
	return pc.LocalAddr().String()
}
