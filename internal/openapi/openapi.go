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
	Auth                              string // "public" renders as security: []; anything else requires the bearer scheme
	Request                           any    // nil, or a zero value of the request body type
	Response                          any    // nil, or a zero value of the success body type
	Status                            int    // success status; 0 means 200
	Query                             []Param
	Errors                            []int // error statuses, each answered with the shared Error schema
	Handler                           http.Handler
}

// Pattern is the http.ServeMux pattern of r, so registration and the spec
// read the method and path from one place.
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Param is a query parameter.
type Param struct {
	Name, Description string
	Type              string // JSON Schema type: "string", "integer", "boolean"; "" means "string"
	Required          bool
}

// Info is the spec's info object.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

// Document is an OpenAPI 3.1 document. Maps marshal with sorted keys, which
// keeps the output deterministic.
type Document struct {
	OpenAPI    string              `json:"openapi"`
	Info       Info                `json:"info"`
	Servers    []Server            `json:"servers,omitempty"`
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

type Parameter struct {
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *Schema `json:"schema"`
}

type RequestBody struct {
	Required bool                 `json:"required"`
	Content  map[string]MediaType `json:"content"`
}

type Response struct {
	Description string               `json:"description"`
	Content     map[string]MediaType `json:"content,omitempty"`
}

type MediaType struct {
	Schema *Schema `json:"schema"`
}

type Components struct {
	Schemas         map[string]*Schema        `json:"schemas"`
	SecuritySchemes map[string]SecurityScheme `json:"securitySchemes"`
}

type SecurityScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme,omitempty"`
	Description string `json:"description,omitempty"`
}

// SecurityRequirement maps a scheme name to its scopes (none, for bearer).
type SecurityRequirement map[string][]string

const (
	jsonType    = "application/json"
	bearer      = "bearer"
	errorSchema = "Error"
)

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
			Schemas: g.schemas,
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
	if r.Auth == "public" {
		op.Security = []SecurityRequirement{}
	}
	for _, q := range r.Query {
		typ := q.Type
		if typ == "" {
			typ = "string"
		}
		params = append(params, Parameter{
			Name: q.Name, In: "query", Description: q.Description, Required: q.Required,
			Schema: &Schema{Type: SchemaType{typ}},
		})
	}
	op.Parameters = params

	if r.Request != nil {
		op.RequestBody = &RequestBody{Required: true, Content: jsonContent(g.bodySchema(r.Request))}
	}
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	ok := &Response{Description: http.StatusText(status)}
	if r.Response != nil {
		ok.Content = jsonContent(g.bodySchema(r.Response))
	}
	op.Responses[strconv.Itoa(status)] = ok
	for _, code := range r.Errors {
		op.Responses[strconv.Itoa(code)] = &Response{
			Description: http.StatusText(code),
			Content:     jsonContent(&Schema{Ref: refPrefix + errorSchema}),
		}
	}
	return op
}

func jsonContent(s *Schema) map[string]MediaType {
	return map[string]MediaType{jsonType: {Schema: s}}
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
