// Package browser drives the Chromium installed on the machine (Debian's
// chromium package) for end-to-end tests of the hosted pages, through
// chromedp. Nothing here downloads a browser.
//
// Without a Chromium, tests skip with a message saying why, except under
// CI=true, where a missing browser is a failure: skipped browser tests must
// not pass for run ones.
//
// Screenshots go to $INVITED_ARTIFACTS/browser/, else to artifacts/browser/
// at the root of the repository, so that a failed run leaves pictures of
// what the browser saw.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/invitedhq/invited/internal/testutil"
)

const (
	// TestTimeout bounds a test's whole browser: a page that never
	// answers ends the test instead of hanging the suite.
	TestTimeout = 3 * time.Minute
	// ActionTimeout bounds one Run or Do. It is generous because CI
	// machines are slow and run the race detector; nothing is timed.
	ActionTimeout = 30 * time.Second
)

// Start launches a headless Chromium with a fresh profile and returns the
// context of its tab, for chromedp and for this package's Run, Do and
// Screenshot. The browser is closed when the test ends.
func Start(t testing.TB) context.Context {
	t.Helper()
	exe := findChromium(t)
	// Registered before the cleanup below, so removed after the browser
	// has exited and let go of the profile.
	profile := t.TempDir()
	// Chromium's own log is noisy: shown only when it fails to start.
	var output testutil.SyncBuffer
	// The defaults already run headless, with no first-run setup, sync or
	// background networking.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		// Chromium's sandbox refuses to run as root and fails in most
		// containers; the pages under test are the project's own.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// On a closed network Chromium stalls fetching components and
		// updates; a test needs none of them.
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(&output),
	)

	timeout, cancelTimeout := context.WithTimeout(context.Background(), TestTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(timeout, opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		cancelTimeout()
	})
	// The first Do starts the browser, here with no per-action deadline:
	// the browser lives as long as the context of that call.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v\n%s", exe, err, output.String())
	}
	return ctx
}

// Run runs a in the tab within ActionTimeout and returns its value. On an
// error it saves a screenshot of the page and fails the test.
func Run[T any](t testing.TB, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, ActionTimeout)
	defer cancel()
	v, err := chromedp.Run(actx, a)
	if err != nil {
		// actx may be what ran out: look at the page with a fresh one.
		Screenshot(t, ctx, "failed")
		lctx, cancel := context.WithTimeout(ctx, ActionTimeout)
		defer cancel()
		url, _ := chromedp.Run(lctx, chromedp.Location())
		t.Fatalf("browser at %s: %v", url, err)
	}
	return v
}

// Do runs steps in the tab, in order, like Run.
func Do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	Run(t, ctx, chromedp.Steps(steps...))
}

// Screenshot saves a full-page PNG of the tab as
// <TestName>-<nn>-<name>.png in the artifacts folder and logs its path.
// A screenshot that cannot be taken is logged, not failed: pictures
// help to read a test, they are not what it checks.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir, err := artifactsDir()
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		t.Logf("no screenshot %q: %v", name, err)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, ActionTimeout)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no screenshot %q: %v", name, err)
		return
	}
	file := filepath.Join(dir, fmt.Sprintf("%s-%02d-%s.png", fileName(t.Name()), nextShot(t), fileName(name)))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Logf("no screenshot %q: %v", name, err)
		return
	}
	t.Logf("screenshot %s", file)
}

// findChromium returns the browser to run: INVITED_CHROMIUM when set,
// else Debian's /usr/bin/chromium, else the usual names on PATH.
func findChromium(t testing.TB) string {
	t.Helper()
	if exe := os.Getenv("INVITED_CHROMIUM"); exe != "" {
		path, err := exec.LookPath(exe)
		if err != nil {
			// Asked for by name: a wrong name is a mistake, never a skip.
			t.Fatalf("INVITED_CHROMIUM=%s: %v", exe, err)
		}
		return path
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	msg := "no Chromium found (/usr/bin/chromium, or chromium, chromium-browser, google-chrome on PATH); " +
		"install Debian's chromium package or set INVITED_CHROMIUM"
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and the browser tests cannot run: %s", msg)
	}
	t.Skip("skipping browser test: " + msg)
	return ""
}

// artifactsDir returns where screenshots go.
func artifactsDir() (string, error) {
	if dir := os.Getenv("INVITED_ARTIFACTS"); dir != "" {
		return filepath.Join(dir, "browser"), nil
	}
	// Tests run in their package's directory; the repository root is the
	// nearest one up with go.mod.
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "artifacts", "browser"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; set INVITED_ARTIFACTS")
		}
		dir = parent
	}
}

// fileName makes s safe as part of a file name: subtests have slashes in
// their names, table cases may have anything.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

var (
	shotsMu sync.Mutex
	shots   = map[testing.TB]int{}
)

// nextShot numbers t's screenshots from 01, so that the files sort in the
// order they were taken.
func nextShot(t testing.TB) int {
	shotsMu.Lock()
	defer shotsMu.Unlock()
	if shots[t] == 0 {
		t.Cleanup(func() {
			shotsMu.Lock()
			defer shotsMu.Unlock()
			delete(shots, t)
		})
	}
	shots[t]++
	return shots[t]
}
