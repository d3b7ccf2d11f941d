// Package dnstest runs a real DNS server for tests: dnsmasq (Debian's
// dnsmasq-base package) as a child process on a free loopback port,
// answering TXT queries from the records a test gives it and NXDOMAIN for
// every other name, as an authoritative server would.
//
// Without dnsmasq, tests that need it skip with a message saying why,
// except under CI=true, where a missing dnsmasq is a failure: a skipped
// test must not pass for a run one.
package dnstest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/invitedhq/invited/internal/testutil"
)

// startTimeout bounds how long a starting dnsmasq may take to answer.
const startTimeout = 10 * time.Second

// Server is a dnsmasq answering on 127.0.0.1 for the length of a test.
type Server struct {
	// Addr is the server's host:port, for UDP and TCP alike.
	Addr string

	t    testing.TB
	bin  string
	conf string // the configuration file holding the records
	port string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  testutil.SyncBuffer
}

// Start starts a server with the TXT records txt, stopped when the test
// ends. Each key is a record name without the trailing dot
// ("_invited-challenge.acme.example") and each of its values one TXT
// record. A value longer than 255 bytes is served as one record of
// several strings of at most 255 bytes, as DNS hosting providers split
// long values (RFC 7208 §3.3).
func Start(t testing.TB, txt map[string][]string) *Server {
	t.Helper()
	bin, whyNot := findDnsmasq()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and dnsmasq is unavailable: %s", whyNot)
		}
		t.Skip("skipping DNS test: " + whyNot)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Addr: net.JoinHostPort("127.0.0.1", port),
		t:    t,
		bin:  bin,
		conf: filepath.Join(t.TempDir(), "dnsmasq.conf"),
		port: port,
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("dnsmasq log:\n%s", s.log.String())
		}
	})
	s.start(txt)
	return s
}

// SetTXT replaces the server's records with txt. dnsmasq reads its TXT
// records only when it starts, so SetTXT restarts it, on the same address,
// and returns once it answers again.
func (s *Server) SetTXT(txt map[string][]string) {
	s.t.Helper()
	s.stop()
	s.start(txt)
}

// start writes the records and runs dnsmasq until it answers.
func (s *Server) start(txt map[string][]string) {
	s.t.Helper()
	if err := os.WriteFile(s.conf, config(s.t, txt), 0o600); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = exec.Command(s.bin,
		"--keep-in-foreground",
		"--log-facility=-", // standard error
		"--log-queries",
		"--conf-file="+s.conf, // and not /etc/dnsmasq.conf
		"--pid-file=",         // none
		"--port="+s.port,
		"--listen-address=127.0.0.1",
		"--bind-interfaces",
		"--no-resolv",
		"--no-hosts",
		// Every name is local: what has no record is NXDOMAIN, rather
		// than REFUSED for want of an upstream server.
		"--local=/#/",
	)
	s.cmd.Stdout = &s.log
	s.cmd.Stderr = &s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start dnsmasq: %v", err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait() // an exit before stop is reported by waitReady
		close(done)
	}(s.cmd, s.done)
	if err := s.waitReady(); err != nil {
		s.t.Fatalf("dnsmasq: %v\nlog:\n%s", err, s.log.String())
	}
}

// waitReady returns once the server answers a query, any answer.
func (s *Server) waitReady() error {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, s.Addr)
	}}
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_, err := r.LookupTXT(ctx, "dnstest-ready.invalid.")
		cancel()
		if dnsErr, ok := errors.AsType[*net.DNSError](err); err == nil || ok && dnsErr.IsNotFound {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("exited at start: %v", s.cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer on %s after %v: %v", s.Addr, startTimeout, err)
		}
	}
}

// stop ends the server, politely first.
func (s *Server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// config renders txt as dnsmasq configuration lines. In the file, unlike
// on the command line, a quoted value keeps its commas (which would
// otherwise split it into several strings) and its spaces.
func config(t testing.TB, txt map[string][]string) []byte {
	t.Helper()
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(txt)) {
		if name == "" || strings.ContainsAny(name, ",\"\\ \n") || strings.HasSuffix(name, ".") {
			t.Fatalf("dnstest: unusable record name %q", name)
		}
		for _, v := range txt[name] {
			if strings.ContainsAny(v, "\r\n") {
				t.Fatalf("dnstest: a TXT value with a line break (%q) cannot be written to dnsmasq's configuration", v)
			}
			v = strings.ReplaceAll(v, `\`, `\\`)
			v = strings.ReplaceAll(v, `"`, `\"`)
			fmt.Fprintf(&b, "txt-record=%s,\"%s\"\n", name, v)
		}
	}
	return []byte(b.String())
}

// findDnsmasq returns the dnsmasq binary: on PATH, else where Debian puts
// it (/usr/sbin, which a non-root PATH may lack).
func findDnsmasq() (path, whyNot string) {
	if p, err := exec.LookPath("dnsmasq"); err == nil {
		return p, ""
	}
	if _, err := os.Stat("/usr/sbin/dnsmasq"); err == nil {
		return "/usr/sbin/dnsmasq", ""
	}
	return "", "no dnsmasq found (on PATH or /usr/sbin/dnsmasq): apt-get install dnsmasq-base"
}

// freePort returns a loopback port free for both TCP and UDP, as dnsmasq
// listens on both.
func freePort() (string, error) {
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		_, port, err := net.SplitHostPort(ln.Addr().String())
		if err != nil {
			ln.Close()
			return "", err
		}
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", port))
		ln.Close()
		if err == nil {
			pc.Close()
			return port, nil
		}
	}
	return "", errors.New("no loopback port free for both TCP and UDP")
}
