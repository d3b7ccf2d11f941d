// Package typescript_test checks the TypeScript client in this directory
// from the project's one test command (go test ./...): that src/schema.ts
// is what `npm run generate` makes of docs/openapi.json, and that the
// client's own tests (npm test) pass against a real `invited serve`.
//
// Both need Node.js and the package's node_modules
// (npm ci --prefix clients/typescript); without them the tests skip, except
// under CI=true, where they fail.
package typescript_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited/internal/testutil"
)

// adminKey is ensured by the server as a system admin key (INVITED_ADMIN_API_KEY).
const adminKey = "typescript-client-test-admin-key"

// requireNode skips (fails under CI=true) unless node, npm and the
// package's installed dependencies are there.
func requireNode(t *testing.T) {
	t.Helper()
	var missing []string
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool+" is not on PATH")
		}
	}
	for _, bin := range []string{"openapi-typescript", "tsc"} {
		if _, err := os.Stat(filepath.Join("node_modules", ".bin", bin)); err != nil {
			missing = append(missing, "node_modules/.bin/"+bin+" is missing")
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := strings.Join(missing, "; ") + ": install Node.js 20+ and run `npm ci --prefix clients/typescript`"
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and the TypeScript client tests cannot run: %s", msg)
	}
	t.Skip("skipping TypeScript client test: " + msg)
}

// TestSchemaUpToDate regenerates the types from docs/openapi.json into a
// temporary file and insists that they are the committed src/schema.ts.
func TestSchemaUpToDate(t *testing.T) {
	requireNode(t)
	fresh := filepath.Join(t.TempDir(), "schema.ts")
	cmd := exec.Command("npm", "run", "--silent", "generate", "--", fresh)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm run generate: %v\n%s", err, out)
	}
	want, err := os.ReadFile(fresh)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("src", "schema.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("npm run generate wrote an empty file")
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("clients/typescript/src/schema.ts is not what docs/openapi.json generates; "+
			"run `npm run generate --prefix clients/typescript` and commit it.\n%s", firstDifference(got, want))
	}
}

// firstDifference describes the first line where the committed file and
// the generated one differ.
func firstDifference(committed, generated []byte) string {
	a := strings.Split(string(committed), "\n")
	b := strings.Split(string(generated), "\n")
	for i := 0; i < max(len(a), len(b)); i++ {
		var la, lb string
		if i < len(a) {
			la = a[i]
		}
		if i < len(b) {
			lb = b[i]
		}
		if la != lb || i >= len(a) || i >= len(b) {
			return fmt.Sprintf("first difference at line %d:\n  committed: %q\n  generated: %q", i+1, la, lb)
		}
	}
	return "the files differ"
}

// TestClientAgainstServer builds and starts the real service and runs the
// client's tests (npm test) against it.
func TestClientAgainstServer(t *testing.T) {
	requireNode(t)
	url, log := startServer(t)

	cmd := exec.Command("npm", "test")
	cmd.Env = append(os.Environ(), "INVITED_URL="+url, "INVITED_API_KEY="+adminKey)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm test: %v\n%s\nserver log:\n%s", err, out, log)
	}
	// node --test passes when it finds no tests at all: insist that some ran.
	m := regexp.MustCompile(`(?m)^# pass (\d+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("npm test printed no test summary:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n == 0 {
		t.Fatalf("npm test ran no tests:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^# fail 0$`).Match(out) {
		t.Fatalf("npm test reports failures but exited 0:\n%s", out)
	}
	t.Logf("npm test: %s passed", m[1])
}

// startServer builds cmd/invited, runs `invited serve` on a free loopback
// port with a fresh SQLite database until the test ends, waits for
// /readyz, and returns its URL and its log.
func startServer(t *testing.T) (string, *testutil.SyncBuffer) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "invited")
	build := exec.Command("go", "build", "-o", bin, "./cmd/invited")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/invited: %v\n%s", err, out)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	// Only this test's configuration: no INVITED_* of the caller's shell.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INVITED_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"INVITED_ADDR=127.0.0.1:0",
		"INVITED_DATABASE_URL=sqlite:"+filepath.Join(dir, "invited.db"),
		"INVITED_ADMIN_API_KEY="+adminKey,
		// The webhooks test registers an endpoint on loopback.
		"INVITED_OUTBOUND_ALLOW="+testutil.LoopbackEnv,
	)
	log := &testutil.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-exited
	})

	// The port is the kernel's choice: the "invited listening" log line names it.
	var url string
	deadline := time.Now().Add(30 * time.Second)
	for {
		if url == "" {
			url = listeningURL(log.String())
		}
		if url != "" {
			if resp, err := http.Get(url + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return url, log
				}
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("invited serve exited early: %v\n%s", err, log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("invited serve not ready in time\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// listeningURL finds the address in serve's JSON log line
// {"msg":"invited listening","addr":"127.0.0.1:PORT",…}.
func listeningURL(log string) string {
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var line struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "invited listening" && line.Addr != "" {
			return "http://" + line.Addr
		}
	}
	return ""
}
