package specvalidate

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// spec is a small document: GET /things/{id} answers a Thing whose kind is
// "a" or "b"; POST /things takes a Thing.
const spec = `{
  "openapi": "3.1.0",
  "info": {"title": "t", "version": "1"},
  "paths": {
    "/things/{id}": {"get": {
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {
        "200": {"description": "ok",
          "headers": {"X-Request-Id": {"required": true, "schema": {"type": "string"}}},
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
        "404": {"description": "not found", "content": {"application/json": {"schema": {"type": "object"}}}},
        "default": {"description": "error", "content": {"application/json": {"schema": {"type": "object"}}}}
      }}},
    "/things": {"post": {
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
      "responses": {"201": {"description": "created"}, "400": {"description": "bad"}}
    }}
  },
  "components": {"schemas": {"Thing": {
    "type": "object", "required": ["kind"],
    "properties": {"kind": {"type": "string", "enum": ["a", "b"]}, "note": {"type": ["string", "null"], "maxLength": 3}}
  }}}
}`

// recorder is a testing.TB that keeps what is reported.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Helper() {}

func TestWrap(t *testing.T) {
	tests := []struct {
		name         string
		method, path string
		body         string
		status       int
		header       bool   // answer X-Request-Id
		answer       string // the answer's JSON body
		want         string // in the report; "" for none
		invalid      bool   // sent with ExpectInvalid
	}{
		{"valid", "GET", "/things/1", "", 200, true, `{"kind":"a","note":null}`, "", false},
		{"enum", "GET", "/things/1", "", 200, true, `{"kind":"c"}`, "does not match", false},
		{"bound", "GET", "/things/1", "", 200, true, `{"kind":"a","note":"long"}`, "does not match", false},
		{"required header", "GET", "/things/1", "", 200, false, `{"kind":"a"}`, "X-Request-Id", false},
		{"status only by default", "GET", "/things/1", "", 418, true, `{}`, "not declared", false},
		{"500 by default", "GET", "/things/1", "", 500, true, `{}`, "", false},
		{"undeclared status", "POST", "/things", `{"kind":"a"}`, 500, false, "", "does not match", false},
		{"declared error", "GET", "/things/1", "", 404, true, `{}`, "", false},
		{"bad request refused", "POST", "/things", `{"kind":"z"}`, 400, false, "", "", false},
		{"bad request accepted", "POST", "/things", `{"kind":"z"}`, 201, false, "", "accepted a request", false},
		{"bad request expected", "POST", "/things", `{"kind":"z"}`, 201, false, "", "", true},
		{"good request", "POST", "/things", `{"kind":"b"}`, 201, false, "", "", false},
		{"unknown path answered 404", "GET", "/nothing", "", 404, false, "", "", false},
		{"unknown path served", "GET", "/nothing", "", 200, false, "", "not in the document", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.header {
					w.Header().Set("X-Request-Id", "r1")
				}
				if tt.answer != "" {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.answer))
			}))
			defer srv.Close()
			rec := &recorder{TB: t}
			client := &http.Client{Transport: New(rec, []byte(spec)).Wrap(nil)}
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.invalid {
				req = req.WithContext(ExpectInvalid(req.Context()))
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			switch got := strings.Join(rec.errs, "\n"); {
			case tt.want == "" && got != "":
				t.Errorf("reported %s", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Errorf("reported %q, want a report of %q", got, tt.want)
			}
		})
	}
}
