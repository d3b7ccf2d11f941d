package api

import (
	"net/http"
	"slices"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/openapi"
)

// endpoint adapts a typed handler function to http.Handler: it reads and
// decodes the body into In, calls fn, and encodes Out or the error. In and
// Out are also what the route table's spec entry says the endpoint reads
// and answers (describe), so the spec describes the code that runs.
type endpoint[In, Out any] struct {
	s  *server
	fn func(*http.Request, In) (Out, error)
	endpointOptions
}

type endpointOptions struct {
	status       int   // success status; default 200, or 204 for noContent
	maxBody      int64 // default maxBodySize
	optionalBody bool  // an empty body decodes as the zero In
	idempotent   bool  // honour Idempotency-Key
}

// noBody is the In of endpoints that read no body.
type noBody struct{}

// noContent is the Out of endpoints that answer 204 without a body.
type noContent struct{}

// withoutSecrets returns the copy of an answer that Idempotency-Key replays
// repeat, and whether it differs from out: an answer that carries a secret
// (a key's secret, an invitation link) is kept without it, because secrets
// exist in plaintext only in the one answer that issues them (DESIGN.md
// §3), never in the database. Every wire type with a secret is listed here.
func withoutSecrets(out any) (any, bool) {
	switch o := out.(type) {
	case client.InvitationWithURL:
		o.URL = ""
		return o, true
	case client.BatchResponse:
		results := slices.Clone(o.Results)
		for i := range results {
			results[i].URL = ""
		}
		return client.BatchResponse{Results: results}, true
	case client.APIKeyWithSecret:
		o.Secret = ""
		return o, true
	case client.AppInviteWithCode:
		o.Code, o.URL = "", ""
		return o, true
	case client.WebhookWithSecret:
		o.Secret = ""
		return o, true
	}
	return out, false
}

// wireDescribed is a request type that decodes in a way of its own the
// client type it returns, which is what the spec shows.
type wireDescribed interface {
	describedAs() any
}

// handle returns the endpoint for fn, which reads a JSON body.
func handle[In, Out any](s *server, fn func(*http.Request, In) (Out, error), o endpointOptions) *endpoint[In, Out] {
	if o.status == 0 {
		o.status = http.StatusOK
		if _, ok := any(*new(Out)).(noContent); ok {
			o.status = http.StatusNoContent
		}
	}
	if o.maxBody == 0 {
		o.maxBody = maxBodySize
	}
	return &endpoint[In, Out]{s: s, fn: fn, endpointOptions: o}
}

// bodyless returns the endpoint for fn, which reads no body.
func bodyless[Out any](s *server, fn func(*http.Request) (Out, error)) *endpoint[noBody, Out] {
	return handle(s, func(r *http.Request, _ noBody) (Out, error) { return fn(r) }, endpointOptions{})
}

func (e *endpoint[In, Out]) readsBody() bool {
	_, none := any(*new(In)).(noBody)
	return !none
}

// describe fills in what rt reads and answers: the request and response
// bodies (zero values, or nil for none), the success status, and the
// options the spec shows.
func (e *endpoint[In, Out]) describe(rt *openapi.Route) {
	if e.readsBody() {
		rt.Request = *new(In)
		if w, ok := rt.Request.(wireDescribed); ok {
			rt.Request = w.describedAs()
		}
	}
	if e.status != http.StatusNoContent {
		rt.Response = *new(Out)
	}
	rt.Status, rt.OptionalBody, rt.Idempotent = e.status, e.optionalBody, e.idempotent
	// Every endpoint holds its query to checkQuery, even one that reads
	// no parameter, and answers 400 to a value that breaks it.
	if !slices.Contains(rt.Errors, http.StatusBadRequest) {
		rt.Errors = append([]int{http.StatusBadRequest}, rt.Errors...)
	}
}

func (e *endpoint[In, Out]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r); err != nil {
		e.s.writeError(w, r, err)
		return
	}
	var data []byte
	if e.readsBody() {
		var err error
		if data, err = readBody(w, r, e.maxBody); err != nil {
			e.s.writeError(w, r, err)
			return
		}
	}
	if e.idempotent && r.Header.Get(idempotencyKeyHeader) != "" {
		e.s.idempotently(w, r, data, e.answer)
		return
	}
	status, body, _ := e.answer(w, r, data)
	writeRaw(w, status, body)
}

// answer runs the endpoint on the body read already. It returns the status
// and the encoded answer, and the answer as a replay may repeat it.
func (e *endpoint[In, Out]) answer(w http.ResponseWriter, r *http.Request, data []byte) (status int, body, replay []byte) {
	out, err := e.call(r, data)
	if err == nil && e.status == http.StatusNoContent {
		return e.status, nil, nil
	}
	if err == nil {
		body, err = encodeJSON(out)
	}
	if err == nil {
		replay = body
		if clean, ok := withoutSecrets(out); ok {
			replay, err = encodeJSON(clean)
		}
	}
	if err != nil {
		status, body = e.s.errorAnswer(w, r, err)
		return status, body, body
	}
	return e.status, body, replay
}

func (e *endpoint[In, Out]) call(r *http.Request, data []byte) (Out, error) {
	var in In
	if e.readsBody() {
		switch {
		case data != nil:
			if err := decodeJSON(data, &in); err != nil {
				return *new(Out), err
			}
		case !e.optionalBody:
			return *new(Out), invited.Errorf(invited.EINVALID, "this request needs a JSON body")
		}
	}
	return e.fn(r, in)
}
