package dnstest

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

func lookup(t *testing.T, addr, name string) ([]string, error) {
	t.Helper()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	txt, err := r.LookupTXT(ctx, name)
	slices.Sort(txt)
	return txt, err
}

func TestServer(t *testing.T) {
	long := strings.Repeat("x", 300)
	s := Start(t, map[string][]string{
		"_a.acme.example": {"one", `with, comma "and" \ quotes`, "  spaced  "},
		"_b.acme.example": {long},
	})
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"_a.acme.example.", []string{"  spaced  ", "one", `with, comma "and" \ quotes`}},
		// Served as two strings, which LookupTXT joins.
		{"_b.acme.example.", []string{long}},
	} {
		got, err := lookup(t, s.Addr, tc.name)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	_, err := lookup(t, s.Addr, "_missing.acme.example.")
	if dnsErr, ok := errors.AsType[*net.DNSError](err); !ok || !dnsErr.IsNotFound {
		t.Errorf("missing record: %v; want not found", err)
	}

	addr := s.Addr
	s.SetTXT(map[string][]string{"_b.acme.example": {"two"}})
	if s.Addr != addr {
		t.Fatalf("address changed on SetTXT: %s, then %s", addr, s.Addr)
	}
	if got, err := lookup(t, s.Addr, "_b.acme.example."); err != nil || !slices.Equal(got, []string{"two"}) {
		t.Errorf("after SetTXT: %q, %v", got, err)
	}
	if _, err := lookup(t, s.Addr, "_a.acme.example."); err == nil {
		t.Error("after SetTXT: the old record is still served")
	}
}
