package openapi

import (
	"bytes"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docsServer serves the docs page and its assets as internal/api does.
func docsServer(t *testing.T) http.Handler {
	t.Helper()
	d := Spec(Info{Title: "invited <b>", Version: "1.0.0"}, nil, testRoutes())
	mux := http.NewServeMux()
	mux.Handle("GET /docs", DocsHandler(d))
	mux.Handle(DocsAssetsPattern, DocsAssets())
	return mux
}

// serve answers one request, with header given as name and value pairs.
func serve(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var assetRef = regexp.MustCompile(`(?:src|href)="(/docs/assets/[^"]+)"`)

func TestDocsHandler(t *testing.T) {
	rec := serve(docsServer(t), "GET", "/docs")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	for name, want := range map[string]string{
		"Content-Type":               "text/html; charset=utf-8",
		"X-Content-Type-Options":     "nosniff",
		"X-Frame-Options":            "DENY",
		"Referrer-Policy":            "no-referrer",
		"Cache-Control":              "no-cache",
		"Cross-Origin-Opener-Policy": "same-origin",
	} {
		if got := rec.Header().Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}

	csp := map[string]string{}
	for d := range strings.SplitSeq(rec.Header().Get("Content-Security-Policy"), ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		csp[name] = value
	}
	wantCSP := map[string]string{
		"default-src":     "'none'",
		"script-src":      "'self'",
		"style-src":       "'self'",
		"img-src":         "'self' data:",
		"connect-src":     "'self'",
		"frame-ancestors": "'none'",
		"base-uri":        "'none'",
		"form-action":     "'none'",
	}
	if !maps.Equal(csp, wantCSP) {
		t.Errorf("Content-Security-Policy %v, want %v", csp, wantCSP)
	}

	body := rec.Body.String()
	for _, want := range []string{
		`<title>invited &lt;b&gt; 1.0.0 – API reference</title>`,
		`data-spec-url="/openapi.json"`,
		`<a href="/openapi.json">`,
		`<link rel="icon" href="/favicon.ico" sizes="32x32">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// Under script-src 'self' an inline script would not run.
	if n, m := strings.Count(body, "<script"), strings.Count(body, "<script src="); n != m {
		t.Errorf("page has %d scripts, %d of them from a file", n, m)
	}

	// The page uses every embedded asset, each under its hashed name.
	var used []string
	for _, m := range assetRef.FindAllStringSubmatch(body, -1) {
		used = append(used, m[1])
	}
	var files []string
	fs.WalkDir(docsFiles, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path.Base(p))
		}
		return err
	})
	if len(used) != len(files) {
		t.Errorf("page loads %v, want one URL for each of %v", used, files)
	}
	for _, f := range files {
		ext := path.Ext(f)
		pattern := regexp.MustCompile(`^/docs/assets/` + regexp.QuoteMeta(strings.TrimSuffix(f, ext)) + `\.[0-9a-f]{12}` + regexp.QuoteMeta(ext) + `$`)
		if !slices.ContainsFunc(used, pattern.MatchString) {
			t.Errorf("page does not load %s under a hashed name: %v", f, used)
		}
	}
}

func TestDocsAssets(t *testing.T) {
	h := docsServer(t)
	url := func(file string) string {
		u, ok := docsAssetURLs[file]
		if !ok {
			t.Fatalf("no URL for %s", file)
		}
		return u
	}

	for _, tt := range []struct {
		file, embedded, contentType string
	}{
		{"swagger-ui-bundle.js", "swaggerui/swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
		{"swagger-ui.css", "swaggerui/swagger-ui.css", "text/css; charset=utf-8"},
		{"docs.js", "docs.js", "text/javascript; charset=utf-8"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			rec := serve(h, "GET", url(tt.file))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			for name, want := range map[string]string{
				"Content-Type":           tt.contentType,
				"Cache-Control":          "public, max-age=31536000, immutable",
				"X-Content-Type-Options": "nosniff",
			} {
				if got := rec.Header().Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			want, err := docsFiles.ReadFile(tt.embedded)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rec.Body.Bytes(), want) {
				t.Errorf("body is %d bytes, not %s (%d)", rec.Body.Len(), tt.embedded, len(want))
			}
			// A browser that revalidates anyway is told nothing changed.
			if rec := serve(h, "GET", url(tt.file), "If-None-Match", rec.Header().Get("ETag")); rec.Code != http.StatusNotModified {
				t.Errorf("revalidation: status %d, want 304", rec.Code)
			}
		})
	}

	bundle := url("swagger-ui-bundle.js")
	for _, target := range []string{
		"/docs/assets/swagger-ui-bundle.js",               // a name without its hash
		strings.Replace(bundle, "bundle.", "bundle.0", 1), // another hash
		"/docs/assets/update.sh",                          // beside the assets, not one of them
		"/docs/assets/LICENSE",
		"/docs/assets/",
	} {
		if rec := serve(h, "GET", target); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", target, rec.Code)
		}
	}
	if rec := serve(h, "POST", bundle); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: status %d, want 405", bundle, rec.Code)
	}
}

// TestSwaggerUIVersion keeps swaggerui/VERSION, which the docs name as the
// pinned version, true to the bundle that is embedded.
func TestSwaggerUIVersion(t *testing.T) {
	version, err := os.ReadFile("swaggerui/VERSION")
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := docsFiles.ReadFile("swaggerui/swagger-ui-bundle.js")
	if err != nil {
		t.Fatal(err)
	}
	want := `PACKAGE_VERSION:"` + strings.TrimSpace(string(version)) + `"`
	if !bytes.Contains(bundle, []byte(want)) {
		t.Errorf("swagger-ui-bundle.js lacks %s: VERSION and the bundle disagree", want)
	}
}
