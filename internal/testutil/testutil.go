// Package testutil holds the small helpers that tests of several packages
// share. It is imported only from _test.go files.
package testutil

import (
	"bytes"
	"net/netip"
	"sync"
	"time"

	"github.com/invitedhq/invited"
)

// Clock is a settable time source for code that takes a Now func, safe
// for the goroutines of the code under test.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// SyncBuffer collects output written from many goroutines, such as a
// server's log, while the test reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// AllowLoopback is the outbound policy of tests whose webhook receivers
// and OAuth platforms are local servers: loopback let through, the rest of
// the service's own network refused as by default.
var AllowLoopback = invited.OutboundPolicy{Allow: []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("::1/128"),
}}

// LoopbackEnv is INVITED_OUTBOUND_ALLOW of AllowLoopback, for tests that
// start the whole program.
const LoopbackEnv = "127.0.0.0/8,::1/128"

// Reset empties the buffer: a fuzz target keeps only the log of the input
// it runs, which is what a failure shows, rather than one of every input.
func (b *SyncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}
