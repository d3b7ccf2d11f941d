// Package specvalidate checks HTTP exchanges against an OpenAPI document,
// so that tests driving a real server also check that the document says
// what the server does.
//
// Wrap a client's transport, and every request and answer that passes is
// validated with kin-openapi's openapi3filter:
//
//	v := specvalidate.New(t, specJSON)
//	client := &http.Client{Transport: v.Wrap(http.DefaultTransport)}
//
// Mismatches are reported with t.Errorf, naming the method, path, status
// and the validation error; the exchange itself goes on unchanged.
//
// What is checked:
//   - every answer: its status is declared, and its headers and body match
//     the declared ones (bodies only for JSON). A "default" answer covers
//     500 alone: any other status must be listed, so that the document
//     names every status the server answers;
//   - a request the document rejects (a bad parameter or body) only when
//     the server accepted it (2xx): tests send invalid requests on purpose,
//     and a 4xx answer to them agrees with the document;
//   - a request to a path or method the document lacks, unless the server
//     answered it 404 or 405.
//
// A test that sends an invalid request the server is meant to accept (a
// batch whose bad items fail alone) says so with ExpectInvalid.
//
// Credentials are not checked: any security requirement passes, since
// authentication is tested elsewhere. The document's servers are ignored,
// so that a test server on any address matches.
package specvalidate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

type invalidKey struct{}

// ExpectInvalid returns ctx marking its request as invalid on purpose:
// the request is not checked, its answer still is.
func ExpectInvalid(ctx context.Context) context.Context {
	return context.WithValue(ctx, invalidKey{}, true)
}

// Validator validates exchanges against one document and reports to tb.
type Validator struct {
	tb     testing.TB
	router routers.Router
}

// New loads spec, an OpenAPI document in JSON or YAML. A document that
// does not load or validate fails tb at once. A document is loaded once
// per process, however many tests validate against it: loading one of
// this API's size takes a fifth of a second.
func New(tb testing.TB, spec []byte) *Validator {
	tb.Helper()
	router, err := load(spec)
	if err != nil {
		tb.Fatalf("specvalidate: %v", err)
	}
	return &Validator{tb: tb, router: router}
}

// loaded are the routers of the documents loaded so far, by the SHA-256
// of the document.
var (
	loadedMu sync.Mutex
	loaded   = map[[sha256.Size]byte]routers.Router{}
)

// load returns the router of spec, loading and validating it the first
// time.
func load(spec []byte) (routers.Router, error) {
	key := sha256.Sum256(spec)
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if r, ok := loaded[key]; ok {
		return r, nil
	}
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("loading the document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid document: %w", err)
	}
	doc.Servers = nil // match any host: tests serve on random addresses
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	loaded[key] = r
	return r, nil
}

// Wrap returns a RoundTripper that sends requests through next (nil means
// http.DefaultTransport) and checks each exchange.
func (v *Validator) Wrap(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		reqBody, err := readAll(&req.Body)
		if err != nil {
			return nil, err
		}
		resp, err := next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		respBody, err := readAll(&resp.Body)
		if err != nil {
			return nil, err
		}
		v.Check(req, reqBody, resp, respBody)
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Check validates one exchange: req with its body reqBody, and resp with
// its body respBody (the bodies of req and resp are not read).
func (v *Validator) Check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	v.tb.Helper()
	report := func(format string, args ...any) {
		v.tb.Helper()
		v.tb.Errorf("specvalidate: %s %s → %d: %s", req.Method, req.URL.Path, resp.StatusCode, fmt.Sprintf(format, args...))
	}
	ctx := context.Background()

	route, params, err := v.router.FindRoute(req)
	if err != nil {
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			report("not in the document: %v", err)
		}
		return
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{
		Request: withBody(req, reqBody), PathParams: params, Route: route, Options: opts,
	}
	expected, _ := req.Context().Value(invalidKey{}).(bool)
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && resp.StatusCode < 300 && !expected {
		report("the server accepted a request the document rejects: %v", err)
	}

	respOpts := *opts
	respOpts.ExcludeResponseBody = !isJSON(resp.Header.Get("Content-Type"))
	in.Options = &respOpts
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(respBody)),
		Options:                &respOpts,
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		report("the answer does not match the document: %v", err)
	}
	if resp.StatusCode != http.StatusInternalServerError && route.Operation.Responses.Status(resp.StatusCode) == nil {
		report("status %d is not declared (only the default answer covers it)", resp.StatusCode)
	}
}

// readAll reads *body whole and replaces it with a fresh reader of the
// same bytes, so that whoever reads it next reads it all.
func readAll(body *io.ReadCloser) ([]byte, error) {
	if *body == nil || *body == http.NoBody {
		return nil, nil
	}
	data, err := io.ReadAll(*body)
	(*body).Close()
	*body = io.NopCloser(bytes.NewReader(data))
	return data, err
}

// withBody is a shallow copy of req reading body.
func withBody(req *http.Request, body []byte) *http.Request {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	if body == nil {
		r.Body = http.NoBody
	}
	return r
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || mt == "application/problem+json")
}
