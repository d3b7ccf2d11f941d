// Package openapi generates the OpenAPI 3.1 description of the HTTP API
// from the same route table that registers its handlers, so the spec cannot
// drift from what the server serves, and serves Swagger UI over it (/docs).
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Route describes one endpoint. The HTTP layer registers handlers from a
// []Route and the spec is generated from the same slice.
type Route struct {
	Method, Path                      string // Path in net/http pattern syntax, e.g. "/v1/invitations/{id}"
	OperationID, Summary, Description string
	Tags                              []string
	Auth                              string // AuthPublic renders as security: []; anything else requires the bearer scheme
	Request                           any    // nil, or a zero value of the request body type
	Response                          any    // nil, or a zero value of the success body type
	Status                            int    // success status; 0 means 200
	Query                             []Param
	Errors                            []int // error statuses, each answered with the shared Error schema
	// ErrorBody, when not nil, is a zero value of the body every status of
	// Errors answers instead of the shared Error schema (a readiness probe's
	// 503 answers its usual body).
	ErrorBody any
	// ContentType is the media type of the success answer when it is not
	// JSON described by Response ("text/html"); "" means application/json.
	ContentType string
	// OptionalBody says the request body may be left out.
	OptionalBody bool
	// Idempotent says the operation honours the Idempotency-Key header and
	// may answer a replay (IdempotentReplayedHeader).
	Idempotent bool
	// RequestExample and ResponseExample, when not nil, are examples of the
	// request body and the success answer, of the types of Request and
	// Response.
	RequestExample, ResponseExample any
	Handler                         http.Handler
}

// AuthPublic is the Auth of a route that needs no credentials.
const AuthPublic = "public"

// Pattern is the http.ServeMux pattern of r, so registration and the spec
// read the method and path from one place.
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Param is a query parameter.
type Param struct {
	Name, Description string
	Type              string // JSON Schema type: "string", "integer", "boolean"; "" means "string"
	Required          bool
	Enum              []string // the closed set of values, if any
	Minimum, Maximum  int      // bounds of an integer; 0 means none
	MaxLength         int      // bound of a string's length; 0 means none
	Pattern           string   // regular expression of a string, if any
}

// Info is the spec's info object.
type Info struct {
	Title       string   `json:"title"`
	Version     string   `json:"version"`
	Description string   `json:"description,omitempty"`
	License     *License `json:"license,omitempty"`
}

// License is the API's license: an SPDX identifier, or a name and a URL.
type License struct {
	Name       string `json:"name"`
	Identifier string `json:"identifier,omitempty"`
	URL        string `json:"url,omitempty"`
}

// Tag names a group of operations. A Document lists its tags in the order
// the docs should show them.
type Tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Document is an OpenAPI 3.1 document. Maps marshal with sorted keys, which
// keeps the output deterministic.
type Document struct {
	OpenAPI    string              `json:"openapi"`
	Info       Info                `json:"info"`
	Servers    []Server            `json:"servers,omitempty"`
	Tags       []Tag               `json:"tags,omitempty"`
	Paths      map[string]PathItem `json:"paths"`
	Components Components          `json:"components"`
}

type Server struct {
	URL string `json:"url"`
}

// PathItem maps a lower-case method ("get", "post") to its operation.
type PathItem map[string]*Operation

type Operation struct {
	Tags        []string             `json:"tags,omitempty"`
	Summary     string               `json:"summary,omitempty"`
	Description string               `json:"description,omitempty"`
	OperationID string               `json:"operationId,omitempty"`
	Parameters  []Parameter          `json:"parameters,omitempty"`
	RequestBody *RequestBody         `json:"requestBody,omitempty"`
	Responses   map[string]*Response `json:"responses"`
	// Security is never omitted: an empty list is how a public operation
	// says it needs no credentials.
	Security []SecurityRequirement `json:"security"`
	// Auth keeps the route's finer-grained requirement ("api_key_or_user"),
	// which the single bearer scheme cannot express.
	Auth string `json:"x-auth,omitempty"`
}

// Parameter is a parameter, or with Ref a reference to one of
// components.parameters.
type Parameter struct {
	Ref         string `json:"$ref,omitempty"`
	Name        string `json:"name,omitempty"`
	In          string `json:"in,omitempty"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
	// AllowEmptyValue says that the parameter may be sent empty
	// (?status=), which reads as leaving it out.
	AllowEmptyValue bool    `json:"allowEmptyValue,omitempty"`
	Schema          *Schema `json:"schema,omitempty"`
}

type RequestBody struct {
	Required bool                 `json:"required"`
	Content  map[string]MediaType `json:"content"`
}

type Response struct {
	Description string               `json:"description"`
	Headers     map[string]*Header   `json:"headers,omitempty"`
	Content     map[string]MediaType `json:"content,omitempty"`
}

// Header is a response header, or with Ref a reference to one of
// components.headers.
type Header struct {
	Ref         string `json:"$ref,omitempty"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
	// AllowEmptyValue says that the parameter may be sent empty
	// (?status=), which reads as leaving it out.
	AllowEmptyValue bool    `json:"allowEmptyValue,omitempty"`
	Schema          *Schema `json:"schema,omitempty"`
}

type MediaType struct {
	Schema  *Schema `json:"schema"`
	Example any     `json:"example,omitempty"`
}

type Components struct {
	Schemas         map[string]*Schema        `json:"schemas"`
	Parameters      map[string]*Parameter     `json:"parameters,omitempty"`
	Headers         map[string]*Header        `json:"headers,omitempty"`
	SecuritySchemes map[string]SecurityScheme `json:"securitySchemes"`
}

type SecurityScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme,omitempty"`
	Description string `json:"description,omitempty"`
}

// SecurityRequirement maps a scheme name to its scopes (none, for bearer).
type SecurityRequirement map[string][]string

// ErrorRef references the shared Error schema that error answers use.
const ErrorRef = refPrefix + errorSchema

const (
	// JSONType is the media type of JSON bodies.
	JSONType    = "application/json"
	bearer      = "bearer"
	errorSchema = "Error"
)

// Headers the document declares once, in components, and refers to.
const (
	// IdempotencyKeyHeader is the request header of Route.Idempotent
	// operations: a retry with the same key and body replays the first
	// answer instead of acting again.
	IdempotencyKeyHeader = "Idempotency-Key"
	// IdempotentReplayedHeader marks an answer that is a replay.
	IdempotentReplayedHeader = "Idempotent-Replayed"
	// RetryAfterHeader is on every 429 and 503 answer: seconds to wait.
	RetryAfterHeader = "Retry-After"
	// WWWAuthenticateHeader is on every 401 answer: the scheme to use.
	WWWAuthenticateHeader = "WWW-Authenticate"
	// RequestIDHeader is on every answer: the request's id, the caller's
	// own when it sent a plain one (MaxRequestID). Every operation takes
	// it as an optional request header.
	RequestIDHeader = "X-Request-Id"
	// MaxRequestID bounds the length of a caller's X-Request-Id that is
	// kept; a longer one, or one of other characters, is replaced.
	MaxRequestID = 64
	// MaxIdempotencyKey bounds the length of an Idempotency-Key.
	MaxIdempotencyKey = 255
)

// component keys of the shared parameters and headers.
const (
	idempotencyKeyParam = "IdempotencyKey"
	replayedRef         = "IdempotentReplayed"
	retryAfterRef       = "RetryAfter"
	wwwAuthenticateRef  = "WWWAuthenticate"
	requestIDRef        = "RequestId"
)

func newComponentHeaders() map[string]*Header {
	return map[string]*Header{
		replayedRef: {
			Description: `"true" when this answer is the stored answer of an earlier request with the same Idempotency-Key and body; nothing was done again.`,
			Schema:      &Schema{Type: SchemaType{"string"}, Enum: []any{"true"}},
		},
		retryAfterRef: {
			Description: "Seconds to wait before trying again.",
			Required:    true,
			Schema:      &Schema{Type: SchemaType{"integer"}, Minimum: 1},
		},
		wwwAuthenticateRef: {
			Description: "The authentication scheme the operation takes.",
			Required:    true,
			Schema:      &Schema{Type: SchemaType{"string"}, Enum: []any{"Bearer"}},
		},
		requestIDRef: {
			Description: "The request's id, also in the server's log: the caller's X-Request-Id when it sent a plain one, otherwise a new one.",
			Required:    true,
			Schema:      &Schema{Type: SchemaType{"string"}},
		},
	}
}

func newComponentParameters() map[string]*Parameter {
	return map[string]*Parameter{
		idempotencyKeyParam: {
			Name: IdempotencyKeyHeader, In: "header",
			Description: "Makes a retry safe: the first request with a key acts and its answer is kept for 24 hours; " +
				"a request with the same key and body answers that again (with Idempotent-Replayed: true), " +
				"the same key with another body answers 409. Keys are the caller's own: another caller's key never collides.",
			Schema: &Schema{Type: SchemaType{"string"}, MinLength: 1, MaxLength: MaxIdempotencyKey},
		},
		requestIDRef: {
			Name: RequestIDHeader, In: "header",
			Description: fmt.Sprintf("The caller's id for this request, to find it in the server's log: answered in X-Request-Id "+
				"when it is letters, digits, - and _, at most %d; anything else is replaced by a new id, not refused.", MaxRequestID),
			Schema: &Schema{Type: SchemaType{"string"}},
		},
	}
}

func headerRef(name string) *Header { return &Header{Ref: "#/components/headers/" + name} }

// Spec builds the document for routes. Like http.ServeMux with a bad
// pattern, it panics on a table that cannot be described (unknown method,
// duplicate path or operationId, two types sharing a schema name): those are
// programming errors that the first test run reveals.
func Spec(info Info, servers []string, routes []Route) *Document {
	g := newGenerator()
	// Claim "Error" up front so a Go type of that name collides loudly
	// instead of silently replacing the shared error body.
	g.types[errorSchema] = nil
	g.schemas[errorSchema] = newErrorSchema()

	d := &Document{
		OpenAPI: "3.1.0",
		Info:    info,
		Paths:   map[string]PathItem{},
		Components: Components{
			Schemas:    g.schemas,
			Parameters: newComponentParameters(),
			Headers:    newComponentHeaders(),
			SecuritySchemes: map[string]SecurityScheme{bearer: {
				Type:        "http",
				Scheme:      "bearer",
				Description: "API key (ik_…) or user access token (JWT)",
			}},
		},
	}
	for _, s := range servers {
		d.Servers = append(d.Servers, Server{URL: s})
	}

	ids := map[string]bool{}
	for _, r := range routes {
		method := strings.ToLower(r.Method)
		if !validMethods[method] {
			panic(fmt.Sprintf("openapi: %q: method %q cannot be described", r.Path, r.Method))
		}
		path, params := parsePath(r.Path)
		item := d.Paths[path]
		if item == nil {
			item = PathItem{}
			d.Paths[path] = item
		}
		if item[method] != nil {
			panic(fmt.Sprintf("openapi: duplicate route %s %s", r.Method, path))
		}
		if r.OperationID != "" {
			if ids[r.OperationID] {
				panic(fmt.Sprintf("openapi: duplicate operationId %q", r.OperationID))
			}
			ids[r.OperationID] = true
		}
		item[method] = operation(g, r, params)
	}
	return d
}

var validMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true,
	"options": true, "head": true, "patch": true, "trace": true,
}

func operation(g *generator, r Route, params []Parameter) *Operation {
	op := &Operation{
		Tags:        r.Tags,
		Summary:     r.Summary,
		Description: r.Description,
		OperationID: r.OperationID,
		Responses:   map[string]*Response{},
		Security:    []SecurityRequirement{{bearer: {}}},
		Auth:        r.Auth,
	}
	if r.Auth == AuthPublic {
		op.Security = []SecurityRequirement{}
	}
	for _, q := range r.Query {
		typ := q.Type
		if typ == "" {
			typ = "string"
		}
		schema := &Schema{Type: SchemaType{typ}, Minimum: q.Minimum, Maximum: q.Maximum, MaxLength: q.MaxLength, Pattern: q.Pattern}
		for _, v := range q.Enum {
			schema.Enum = append(schema.Enum, v)
		}
		// Every query reader takes an empty optional value for an absent
		// one (FuzzQueryFilters): the spec says so rather than refuse it.
		params = append(params, Parameter{
			Name: q.Name, In: "query", Description: q.Description, Required: q.Required,
			AllowEmptyValue: !q.Required, Schema: schema,
		})
	}
	if r.Idempotent {
		params = append(params, Parameter{Ref: "#/components/parameters/" + idempotencyKeyParam})
	}
	op.Parameters = append(params, Parameter{Ref: "#/components/parameters/" + requestIDRef})

	if r.Request != nil {
		op.RequestBody = &RequestBody{
			Required: !r.OptionalBody,
			Content:  content(JSONType, g.bodySchema(r.Request), r.RequestExample),
		}
	}
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	ok := &Response{Description: http.StatusText(status)}
	switch {
	case r.Response != nil:
		ok.Content = content(JSONType, g.bodySchema(r.Response), r.ResponseExample)
	case r.ContentType == JSONType:
		ok.Content = content(JSONType, &Schema{Type: SchemaType{"object"}}, nil)
	case r.ContentType != "":
		ok.Content = content(r.ContentType, &Schema{Type: SchemaType{"string"}}, nil)
	}
	op.Responses[strconv.Itoa(status)] = ok
	errBody := &Schema{Ref: refPrefix + errorSchema}
	if r.ErrorBody != nil {
		errBody = g.bodySchema(r.ErrorBody)
	}
	for _, code := range r.Errors {
		op.Responses[strconv.Itoa(code)] = &Response{
			Description: http.StatusText(code),
			Content:     jsonContent(errBody),
		}
	}
	op.Responses["default"] = &Response{
		Description: "An error: the code names it, the status follows from the code.",
		Content:     jsonContent(&Schema{Ref: refPrefix + errorSchema}),
	}
	for code, resp := range op.Responses {
		resp.Headers = map[string]*Header{RequestIDHeader: headerRef(requestIDRef)}
		switch code {
		case "401":
			resp.Headers[WWWAuthenticateHeader] = headerRef(wwwAuthenticateRef)
		case "429", "503":
			resp.Headers[RetryAfterHeader] = headerRef(retryAfterRef)
		}
		if r.Idempotent {
			resp.Headers[IdempotentReplayedHeader] = headerRef(replayedRef)
		}
	}
	return op
}

func content(mediaType string, s *Schema, example any) map[string]MediaType {
	return map[string]MediaType{mediaType: {Schema: s, Example: example}}
}

func jsonContent(s *Schema) map[string]MediaType {
	return map[string]MediaType{JSONType: {Schema: s}}
}

// parsePath turns a ServeMux pattern path into an OpenAPI path template and
// its path parameters. The braces are kept as they are; only the wildcard
// suffix "..." is dropped, as OpenAPI names the parameter without it, and
// "{$}" (ServeMux's end-of-path anchor) is removed, since OpenAPI paths
// are always matched exactly.
func parsePath(pattern string) (string, []Parameter) {
	var params []Parameter
	segs := strings.Split(pattern, "/")
	for i, seg := range segs {
		if seg == "{$}" {
			segs[i] = ""
			continue
		}
		name, ok := strings.CutPrefix(seg, "{")
		if !ok {
			continue
		}
		name, ok = strings.CutSuffix(name, "}")
		if !ok {
			continue
		}
		p := Parameter{Name: name, In: "path", Required: true, Schema: &Schema{Type: SchemaType{"string"}}}
		if base, rest := strings.CutSuffix(name, "..."); rest {
			p.Name = base
			p.Description = "The rest of the path; may contain slashes."
		}
		segs[i] = "{" + p.Name + "}"
		params = append(params, p)
	}
	return strings.Join(segs, "/"), params
}

// newErrorSchema is the body of every error answer:
// {"error":{"code":…,"message":…,"fields":{…}?,"existing_id":…?}}.
func newErrorSchema() *Schema {
	str := func(desc string) *Schema { return &Schema{Type: SchemaType{"string"}, Description: desc} }
	detail := &Schema{
		Type: SchemaType{"object"},
		Properties: map[string]*Schema{
			"code":        str("Stable machine-readable error code, e.g. not_found."),
			"message":     str("Human-readable explanation."),
			"existing_id": str("With invitation_exists: the id of the open invitation to the same invitee."),
			"fields": {
				Type:                 SchemaType{"object"},
				AdditionalProperties: &Schema{Type: SchemaType{"string"}},
				Description:          "Invalid request fields, each with what is wrong with it.",
			},
		},
		Required: []string{"code", "message"},
	}
	return &Schema{
		Type:       SchemaType{"object"},
		Properties: map[string]*Schema{"error": detail},
		Required:   []string{"error"},
	}
}

// JSON returns the document as indented JSON. It is deterministic: maps
// marshal with sorted keys and everything else follows the route table.
func (d *Document) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // descriptions stay readable; this is not embedded in HTML
	if err := enc.Encode(d); err != nil {
		// Only the package's own types with strings, ints and nil are
		// encoded, so this is a bug, not a runtime condition.
		panic("openapi: encoding document: " + err.Error())
	}
	return buf.Bytes()
}
