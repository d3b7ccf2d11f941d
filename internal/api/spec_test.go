package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/metrics"
	"github.com/invitedhq/invited/internal/openapi"
)

// fullRoutes is the route table of a server with every optional route.
func fullRoutes() []openapi.Route {
	return Routes(Deps{Metrics: metrics.New(prometheus.NewRegistry())})
}

// TestOperationTexts checks operations.md against the route table: every
// operation has a summary there, and every entry names an operation.
func TestOperationTexts(t *testing.T) {
	ids := map[string]bool{}
	for _, rt := range fullRoutes() {
		ids[rt.OperationID] = true
		if _, ok := operationTexts[rt.OperationID]; !ok {
			t.Errorf("%s (%s) has no entry in operations.md", rt.OperationID, rt.Pattern())
		}
	}
	for id := range operationTexts {
		if !ids[id] {
			t.Errorf("operations.md: %s is no operation", id)
		}
	}
}

func TestParseOperations(t *testing.T) {
	got := parseOperations("# Intro\n\ntext\n\n## a\nSummary A\n\nLine one\nline two.\n\nSecond.\n\n## b\nSummary B\n")
	want := map[string]operationText{
		"a": {"Summary A", "Line one line two.\n\nSecond."},
		"b": {"Summary B", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %+v, want %+v", id, got[id], w)
		}
	}
}

// TestTags checks that every operation has one tag of the document's list,
// and that every tag of the list is used.
func TestTags(t *testing.T) {
	var names []string
	for _, tag := range tags {
		names = append(names, tag.Name)
	}
	used := map[string]bool{}
	for _, rt := range fullRoutes() {
		if len(rt.Tags) != 1 || !slices.Contains(names, rt.Tags[0]) {
			t.Errorf("%s: tags %q, want one of %q", rt.OperationID, rt.Tags, names)
			continue
		}
		used[rt.Tags[0]] = true
	}
	for _, n := range names {
		if !used[n] {
			t.Errorf("tag %s has no operation", n)
		}
	}
}

// specJSON is the document the server generates with every optional
// route: what docs/openapi.json holds.
func specJSON(t testing.TB) []byte {
	t.Helper()
	h := NewServer(Deps{Metrics: metrics.New(prometheus.NewRegistry())})
	rec := httptestDo(h, "GET", "/openapi.json", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d", rec.Code)
	}
	return rec.Body.Bytes()
}

// TestSpecValid validates the document with kin-openapi.
func TestSpecValid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(specJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

var update = flag.Bool("update", false, "rewrite docs/openapi.json from the route table")

// specFile is the committed document, from this package's directory.
const specFile = "../../docs/openapi.json"

// TestSpecFile checks that docs/openapi.json is what the server generates;
// go test ./internal/api -run TestSpecFile -update rewrites it.
func TestSpecFile(t *testing.T) {
	got := specJSON(t)
	if *update {
		if err := os.WriteFile(specFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/openapi.json differs from the route table's document; if intended, run go test ./internal/api -run TestSpecFile -update")
	}
}

// TestSpecLint lints the document with Redocly CLI's recommended rules
// (redocly.yaml) and fails on any error or warning. The CLI is pinned in
// tools/package.json and installed by npm ci --prefix tools; without it
// the test skips, except under CI=true, where that is a failure.
func TestSpecLint(t *testing.T) {
	redocly, err := filepath.Abs("../../tools/node_modules/.bin/redocly")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(redocly); err != nil {
		msg := "Redocly CLI is not installed (npm ci --prefix tools): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true and " + msg)
		}
		t.Skip(msg)
	}
	config, err := filepath.Abs("../../redocly.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(spec, specJSON(t), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(redocly, "lint", "--config="+config, "--format=json", spec)
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var report struct {
		Totals   struct{ Errors, Warnings, Ignored int }
		Problems []struct {
			RuleID, Severity, Message string
			Location                  []struct{ Pointer string }
		}
	}
	if jerr := json.Unmarshal(out, &report); jerr != nil {
		t.Fatalf("redocly lint: %v (%v)\nstdout: %s\nstderr: %s", err, jerr, out, stderr.Bytes())
	}
	for _, p := range report.Problems {
		where := ""
		if len(p.Location) > 0 {
			where = p.Location[0].Pointer
		}
		t.Errorf("%s %s at %s: %s", p.Severity, p.RuleID, where, p.Message)
	}
	if report.Totals.Errors+report.Totals.Warnings > 0 || err != nil {
		t.Errorf("redocly lint: %d errors, %d warnings (%v)", report.Totals.Errors, report.Totals.Warnings, err)
	}
}

// TestClientErrors checks that the error statuses of each operation
// include those that its input alone makes possible: 400 for a body or a
// query (malformed), 401 for credentials (missing, bad), 400 for the
// Invited-Acting-User header that goes with them (sent with a user token),
// 404 for a path parameter (unknown id), 403 for an org_id filter (an
// organization the caller sees without the permission), 409 for an
// Idempotency-Key (reused with another body). It also stands in for redocly's
// operation-4xx-response (redocly.yaml): the operations without input are
// the only ones without a 4xx, as none is possible.
func TestClientErrors(t *testing.T) {
	for _, rt := range fullRoutes() {
		rules := []struct {
			applies bool
			status  int
			why     string
		}{
			{rt.Request != nil || len(rt.Query) > 0, http.StatusBadRequest, "it reads a body or a query"},
			{rt.Auth != authPublic, http.StatusUnauthorized, "it needs credentials"},
			{rt.Auth != authPublic, http.StatusBadRequest, "it reads Invited-Acting-User"},
			{strings.Contains(rt.Path, "{"), http.StatusNotFound, "it names a resource in its path"},
			{slices.ContainsFunc(rt.Query, func(p openapi.Param) bool { return p.Name == "org_id" }),
				http.StatusForbidden, "it filters by an organization, where the caller may lack the permission"},
			{rt.Idempotent, http.StatusConflict, "it honours Idempotency-Key, which another body reuses"},
		}
		for _, r := range rules {
			if r.applies && !slices.Contains(rt.Errors, r.status) {
				t.Errorf("%s does not declare %d, though %s", rt.Pattern(), r.status, r.why)
			}
		}
	}
}

// TestExamples checks examples.go: every body of the route table has an
// example, of the type its handler reads or answers, that is valid against
// its schema in the document; and every example names an operation.
func TestExamples(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(specJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, rt := range fullRoutes() {
		ids[rt.OperationID] = true
		op := doc.Paths.Find(specPath(rt.Path)).GetOperation(rt.Method)
		bodies := []struct {
			what         string
			typ, example any
			content      openapi3.Content
		}{
			{"request", rt.Request, rt.RequestExample, nil},
			{"answer", rt.Response, rt.ResponseExample, nil},
		}
		if op.RequestBody != nil {
			bodies[0].content = op.RequestBody.Value.Content
		}
		if ok := op.Responses.Status(cmp.Or(rt.Status, http.StatusOK)); ok != nil {
			bodies[1].content = ok.Value.Content
		}
		for _, b := range bodies {
			switch {
			case b.typ == nil && b.example == nil:
				continue
			case b.example == nil:
				t.Errorf("%s: no %s example", rt.OperationID, b.what)
				continue
			case b.typ == nil:
				t.Errorf("%s: a %s example, but no %s", rt.OperationID, b.what, b.what)
				continue
			case deref(reflect.TypeOf(b.example)) != deref(reflect.TypeOf(b.typ)):
				t.Errorf("%s: %s example is a %T, want a %T", rt.OperationID, b.what, b.example, b.typ)
			}
			data, err := json.Marshal(b.example)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatal(err)
			}
			if err := b.content.Get("application/json").Schema.Value.VisitJSON(v); err != nil {
				t.Errorf("%s: %s example %s does not match its schema: %v", rt.OperationID, b.what, data, err)
			}
		}
	}
	for id := range examples {
		if !ids[id] {
			t.Errorf("examples.go: %s is no operation", id)
		}
	}
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// specPath is the spec's path of a route pattern's path.
func specPath(path string) string { return strings.ReplaceAll(path, "...}", "}") }

// TestErrorExamples holds every example error answer to a code of its
// status, and checks that the document shows them: each error answer of
// the shared schema carries the example of its status.
func TestErrorExamples(t *testing.T) {
	for status, e := range errorExamples {
		want := cmp.Or(status, http.StatusInternalServerError)
		if got, ok := httpkit.Statuses[e.Code]; !ok || got != want {
			t.Errorf("the example of %d has code %q, which answers %d", status, e.Code, got)
		}
	}
	var doc openapi.Document
	if err := json.Unmarshal(specJSON(t), &doc); err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths {
		for method, op := range item {
			for code, resp := range op.Responses {
				mt, ok := resp.Content[openapi.JSONType]
				if !ok || mt.Schema.Ref != openapi.ErrorRef {
					continue
				}
				raw, _ := json.Marshal(mt.Example)
				var ex client.ErrorResponse
				if err := json.Unmarshal(raw, &ex); err != nil || ex.Error.Code == "" {
					t.Errorf("%s %s %s: error example %s", method, path, code, raw)
					continue
				}
				if code != "default" && strconv.Itoa(httpkit.Statuses[ex.Error.Code]) != code {
					t.Errorf("%s %s %s: example code %s answers %d", method, path, code, ex.Error.Code, httpkit.Statuses[ex.Error.Code])
				}
			}
		}
	}
}
