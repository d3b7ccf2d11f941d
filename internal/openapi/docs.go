package openapi

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// DocsAssetsPattern is the mux pattern to register DocsAssets under: the
// page loads its scripts and styles from there.
const DocsAssetsPattern = "GET " + docsAssetsPath + "{file}"

const (
	docsAssetsPath = "/docs/assets/"
	// specURL is where the page's Swagger UI reads the spec, on the server
	// that serves the page.
	specURL = "/openapi.json"
)

// docsCSP lets the page run only its own assets and talk only to its own
// server. Swagger UI needs no 'unsafe-inline' for styles: React sets
// element styles through the DOM, which CSP allows, and the bundle adds no
// <style> element or style attribute in markup. Its icons are data: URLs
// in its CSS; it loads no fonts.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

//go:embed docs.html
var docsHTML string

// docsFiles are what the page loads: Swagger UI, vendored as
// swaggerui/README.md tells, and docs.js, which starts it.
//
//go:embed docs.js swaggerui/swagger-ui-bundle.js swaggerui/swagger-ui.css
var docsFiles embed.FS

// assetTypes are the content types of docsFiles by extension, fixed here
// rather than read from the system's MIME table, which varies.
var assetTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

type asset struct {
	name, hash, contentType string
	body                    []byte
}

// docsAssets are docsFiles by the name they are served under, and
// docsAssetURLs their URLs by file name. A served name carries a hash of
// the content ("swagger-ui.0123456789ab.css"), so that one URL always
// answers the same bytes and browsers may keep them for good.
var docsAssets, docsAssetURLs = loadDocsAssets()

func loadDocsAssets() (map[string]asset, map[string]string) {
	byName, urls := map[string]asset{}, map[string]string{}
	err := fs.WalkDir(docsFiles, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := docsFiles.ReadFile(p)
		if err != nil {
			return err
		}
		file := path.Base(p)
		ext := path.Ext(file)
		sum := sha256.Sum256(body)
		a := asset{hash: hex.EncodeToString(sum[:6]), contentType: assetTypes[ext], body: body}
		if a.contentType == "" {
			panic("openapi: no content type for docs asset " + p)
		}
		a.name = strings.TrimSuffix(file, ext) + "." + a.hash + ext
		byName[a.name] = a
		urls[file] = docsAssetsPath + a.name
		return nil
	})
	if err != nil {
		panic("openapi: reading docs assets: " + err.Error())
	}
	return byName, urls
}

var docsTemplate = template.Must(template.New("docs").Funcs(template.FuncMap{
	"asset": func(file string) (string, error) {
		if u, ok := docsAssetURLs[file]; ok {
			return u, nil
		}
		return "", fmt.Errorf("no docs asset %q", file)
	},
}).Parse(docsHTML))

// DocsHandler serves the interactive reference of spec: Swagger UI, which
// reads the spec from /openapi.json and sends "Try it out" requests to the
// same server. The page is rendered once here, so that a rendering error
// shows at startup rather than on a request.
func DocsHandler(spec *Document) http.Handler {
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, docsPage{Info: spec.Info, SpecURL: specURL}); err != nil {
		panic("openapi: rendering docs: " + err.Error())
	}
	page := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", docsCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		// The page names its assets by content: a new release must be
		// seen at once.
		h.Set("Cache-Control", "no-cache")
		w.Write(page)
	})
}

type docsPage struct {
	Info    Info
	SpecURL string
}

// DocsAssets serves the files of the docs page; register it under
// DocsAssetsPattern. A name the page does not use answers 404.
func DocsAssets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := docsAssets[r.PathValue("file")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("ETag", `"`+a.hash+`"`)
		http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
	})
}
