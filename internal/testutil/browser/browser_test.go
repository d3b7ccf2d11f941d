package browser

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestStartAndScreenshot drives the harness itself: a page is read, and
// its screenshots are numbered PNGs in $INVITED_ARTIFACTS/browser.
func TestStartAndScreenshot(t *testing.T) {
	artifacts := t.TempDir()
	t.Setenv("INVITED_ARTIFACTS", artifacts)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!DOCTYPE html><title>t</title><h1 id="hello">Hello, browser</h1>`)
	}))
	defer srv.Close()

	ctx := Start(t)
	Do(t, ctx, chromedp.Navigate(srv.URL))
	if got := Run(t, ctx, chromedp.Text(chromedp.ID("hello"))); got != "Hello, browser" {
		t.Fatalf("text %q", got)
	}
	Screenshot(t, ctx, "first")
	Screenshot(t, ctx, "second/shot")

	for _, name := range []string{"TestStartAndScreenshot-01-first.png", "TestStartAndScreenshot-02-second_shot.png"} {
		b, err := os.ReadFile(filepath.Join(artifacts, "browser", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("%s is not a PNG", name)
		}
	}
}

func TestArtifactsDirDefault(t *testing.T) {
	t.Setenv("INVITED_ARTIFACTS", "")
	dir, err := artifactsDir()
	if err != nil {
		t.Fatal(err)
	}
	// The package sits at internal/testutil/browser under the root.
	want, err := filepath.Abs("../../../artifacts/browser")
	if err != nil {
		t.Fatal(err)
	}
	if dir != want {
		t.Fatalf("artifacts dir %s, want %s", dir, want)
	}
}
