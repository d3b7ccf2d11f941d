// Package pgtest starts throwaway PostgreSQL clusters for tests, from the
// PostgreSQL binaries installed on the machine (Debian's postgresql
// package): initdb into a temporary directory, a server on a free loopback
// port, torn down afterwards.
//
// INVITED_TEST_POSTGRES_URL points the tests at an existing server instead.
// Without either, tests that need PostgreSQL skip with a message saying
// why, except under CI=true, where a missing PostgreSQL is a failure: a
// skipped backend must not pass for a tested one.
package pgtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// Options shape a cluster.
type Options struct {
	// Durable keeps fsync and synchronous_commit on, for benchmarks that
	// compare against durable baselines. Tests leave it off: they test
	// behaviour, and a test cluster that loses data on a machine crash
	// loses nothing anyone needs.
	Durable bool
}

// Cluster is a running PostgreSQL server owned by the test process, or an
// external one named by INVITED_TEST_POSTGRES_URL.
type Cluster struct {
	// URL connects to the maintenance database "postgres" as superuser.
	URL string

	bin, dir, port string // empty for an external server
	runAs          string
}

// External reports whether the cluster was given by INVITED_TEST_POSTGRES_URL
// rather than started here, in which case it cannot be stopped or restarted.
func (c *Cluster) External() bool { return c.dir == "" }

var (
	sharedOnce    sync.Once
	shared        *Cluster
	sharedErr     error
	sharedSkipMsg string
)

// Shared returns one cluster for the whole test binary, started on first
// use; Run stops it when the tests are done. Each test then takes its own
// database with NewDatabase.
func Shared(tb testing.TB) *Cluster {
	tb.Helper()
	c, skipMsg := startShared(tb)
	if skipMsg != "" {
		skipOrFail(tb, skipMsg)
	}
	return c
}

// Optional is Shared for a test that has more to do than PostgreSQL: where
// Shared would skip the test, it logs why and returns nil, for the test to
// go on without. In CI it fails like Shared.
func Optional(tb testing.TB) *Cluster {
	tb.Helper()
	c, skipMsg := startShared(tb)
	if skipMsg != "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("CI=true and PostgreSQL is unavailable: %s", skipMsg)
		}
		tb.Logf("without PostgreSQL: %s", skipMsg)
	}
	return c
}

// startShared starts the shared cluster once, and returns it or why there
// is none to be had.
func startShared(tb testing.TB) (*Cluster, string) {
	tb.Helper()
	sharedOnce.Do(func() {
		if u := os.Getenv("INVITED_TEST_POSTGRES_URL"); u != "" {
			shared = &Cluster{URL: u}
			return
		}
		bin, msg := findBinaries()
		if bin == "" {
			sharedSkipMsg = msg
			return
		}
		shared, sharedErr = start(bin, Options{})
	})
	if sharedErr != nil {
		tb.Fatalf("start PostgreSQL: %v", sharedErr)
	}
	return shared, sharedSkipMsg
}

// Run runs the tests of a package and then stops the shared cluster. Use
// it from TestMain: os.Exit(pgtest.Run(m)).
func Run(m *testing.M) int {
	code := m.Run()
	if shared != nil && !shared.External() {
		if err := shared.Destroy(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// Start starts a cluster of the test's own, destroyed when the test ends:
// for tests that stop or restart the server.
func Start(tb testing.TB, opts Options) *Cluster {
	tb.Helper()
	bin, msg := findBinaries()
	if bin == "" {
		skipOrFail(tb, msg)
	}
	c, err := start(bin, opts)
	if err != nil {
		tb.Fatalf("start PostgreSQL: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Destroy(); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return c
}

// skipOrFail skips a test whose PostgreSQL is missing, or fails it in CI.
func skipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("CI=true and PostgreSQL is unavailable: %s", msg)
	}
	tb.Skip("skipping PostgreSQL test: " + msg)
}

// findBinaries returns the directory of initdb and pg_ctl: the newest
// /usr/lib/postgresql/*/bin (Debian's layout), else whatever PATH has.
func findBinaries() (dir, whyNot string) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, ""
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), ""
	}
	return "", "no PostgreSQL server binaries (pg_ctl, initdb) found: apt-get install postgresql, or set INVITED_TEST_POSTGRES_URL"
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// start runs initdb and pg_ctl start. PostgreSQL refuses to run as root,
// so as root the commands run as the "postgres" user through runuser, in a
// directory that user owns.
func start(bin string, opts Options) (*Cluster, error) {
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			return nil, errors.New("running as root and there is no postgres user to run PostgreSQL as")
		}
		c.runAs = "postgres"
	}
	base, err := os.MkdirTemp("", "invited-pg-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(base, 0o755); err != nil {
		return nil, err
	}
	c.dir = filepath.Join(base, "data")
	if err := os.Mkdir(c.dir, 0o700); err != nil {
		return nil, err
	}
	if c.runAs != "" {
		u, _ := user.Lookup(c.runAs)
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, p := range []string{base, c.dir} {
			if err := os.Chown(p, uid, gid); err != nil {
				return nil, err
			}
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	c.port = port
	c.URL = (&url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", port),
		Path: "/postgres", RawQuery: "sslmode=disable"}).String()

	if err := c.run("initdb", "-D", c.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(base)
		return nil, err
	}
	settings := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"port":                    port,
		"unix_socket_directories": c.dir,
		"max_connections":         "200",
		"shared_buffers":          "128MB",
		"log_min_messages":        "warning",
	}
	if !opts.Durable {
		settings["fsync"] = "off"
		settings["synchronous_commit"] = "off"
		settings["full_page_writes"] = "off"
	}
	var conf bytes.Buffer
	for k, v := range settings {
		fmt.Fprintf(&conf, "%s = '%s'\n", k, v) // quoted: every setting accepts a string
	}
	if err := appendFile(filepath.Join(c.dir, "postgresql.conf"), conf.Bytes()); err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		os.RemoveAll(base)
		return nil, err
	}
	return c, nil
}

// Start starts a stopped cluster and waits until it accepts connections.
func (c *Cluster) Start() error {
	logFile := filepath.Join(filepath.Dir(c.dir), "server.log")
	err := c.run("pg_ctl", "-D", c.dir, "-l", logFile, "-w", "-t", "60", "start")
	if err != nil {
		log, _ := os.ReadFile(logFile)
		err = fmt.Errorf("%w\nserver log:\n%s", err, log)
	}
	return err
}

// Stop stops the server at once (fast shutdown: sessions are cut off).
func (c *Cluster) Stop() error { return c.run("pg_ctl", "-D", c.dir, "-m", "fast", "-w", "stop") }

// Destroy stops the server and removes its files.
func (c *Cluster) Destroy() error {
	if c.External() {
		return nil
	}
	err := c.run("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop")
	return errors.Join(err, os.RemoveAll(filepath.Dir(c.dir)))
}

// NewDatabase creates an empty database for one test and returns its URL.
// It is dropped with the cluster (or left on an external server, named
// invited_test_*, for inspection).
func (c *Cluster) NewDatabase(tb testing.TB) string {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "invited_test_" + hex.EncodeToString(b[:])
	u, err := url.Parse(c.URL)
	if err != nil {
		tb.Fatalf("INVITED_TEST_POSTGRES_URL: %v", err)
	}
	if err := createDatabase(c, u, name); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// createDatabase runs CREATE DATABASE through the createdb client, so the
// harness needs no driver of its own.
func createDatabase(c *Cluster, u *url.URL, name string) error {
	return c.Client("createdb", "--maintenance-db="+u.String(), name)
}

// Client runs one of PostgreSQL's client programs (createdb, pg_dump,
// pg_restore): the cluster's own, or for an external server the one on
// PATH. Clients connect over TCP, so they run as the test's user.
func (c *Cluster) Client(name string, args ...string) error {
	path := name
	if c.bin != "" {
		path = filepath.Join(c.bin, name)
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", name, err, out)
	}
	return nil
}

// run runs one of the server binaries, as the postgres user when root.
func (c *Cluster) run(name string, args ...string) error {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", name, err, out)
	}
	return nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

func appendFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}
