package openapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/spec.golden.json")

// Types exercising the reflection rules.
type (
	Address struct {
		Line1 string `json:"line1"`
		City  string `json:"city,omitempty"`
	}
	Base struct {
		ID        string    `json:"id"`
		CreatedAt time.Time `json:"created_at"`
	}
	Extra struct {
		Note string `json:"note"`
	}
	Node struct {
		Name     string `json:"name"`
		Children []Node `json:"children,omitempty"`
		Parent   *Node  `json:"parent,omitempty"`
	}
	Page[T any] struct {
		Items []T `json:"items"`
	}
	stringish struct{} // marshals as a JSON string through its own MarshalJSON
	Sample    struct {
		Base          // embedded: flattened
		*Extra        // embedded pointer: flattened, fields optional
		ID     int    `json:"id"` // shadows Base.ID: shallower wins
		Name   string `json:"name" doc:"Display name"`
		Nick   *string
		Role   string            `json:"role" enum:"admin,member"`
		Roles  []string          `json:"roles" enum:"admin,member"`
		Level  *int              `json:"level,omitempty" enum:"1,2"`
		Tags   []string          `json:"tags"`
		Home   Address           `json:"home"`
		Prev   []Address         `json:"previous,omitempty"`
		Shared []*Address        `json:"shared,omitempty"`
		Maybe  *Address          `json:"maybe" doc:"absent when unknown"`
		Labels map[string]string `json:"labels,omitempty"`
		Meta   map[string]any    `json:"meta,omitempty"`
		Raw    json.RawMessage   `json:"raw,omitempty"`
		Any    any               `json:"any"`
		TTL    time.Duration     `json:"ttl"`
		When   *time.Time        `json:"when"`
		Secret string            `json:"-"`
		Forced string            `json:"forced,omitempty" required:"true"`
		Zero   string            `json:"zero,omitzero"`
		Blob   []byte            `json:"blob"`
		Score  float64           `json:"score"`
		Custom stringish         `json:"custom"`
		Inline struct {
			A bool `json:"a"`
		} `json:"inline"`
		//lint:ignore U1000 present to prove unexported fields stay out of the schema
		hidden string
	}
)

func (stringish) MarshalJSON() ([]byte, error) { return []byte(`"x"`), nil }

func TestSchemaProperties(t *testing.T) {
	g := newGenerator()
	g.schema(reflect.TypeFor[Sample]())
	s := g.schemas["Sample"]

	tests := []struct {
		prop string
		want string // JSON of the property schema
	}{
		{"id", `{"type":"integer"}`},
		{"created_at", `{"type":"string","format":"date-time"}`},
		{"note", `{"type":"string"}`},
		{"name", `{"type":"string","description":"Display name"}`},
		{"Nick", `{"type":["string","null"]}`},
		{"role", `{"type":"string","enum":["admin","member"]}`},
		{"roles", `{"type":"array","items":{"type":"string","enum":["admin","member"]}}`},
		{"level", `{"type":["integer","null"],"enum":[1,2,null]}`},
		{"tags", `{"type":"array","items":{"type":"string"}}`},
		{"home", `{"$ref":"#/components/schemas/Address"}`},
		{"previous", `{"type":"array","items":{"$ref":"#/components/schemas/Address"}}`},
		{"shared", `{"type":"array","items":{"$ref":"#/components/schemas/Address"}}`}, // pointer elements are never null
		{"maybe", `{"description":"absent when unknown","anyOf":[{"$ref":"#/components/schemas/Address"},{"type":"null"}]}`},
		{"labels", `{"type":"object","additionalProperties":{"type":"string"}}`},
		{"meta", `{"type":"object"}`},
		{"raw", `{}`},
		{"any", `{}`},
		{"ttl", `{"type":"string"}`},
		{"when", `{"type":["string","null"],"format":"date-time"}`},
		{"forced", `{"type":"string"}`},
		{"zero", `{"type":"string"}`},
		{"blob", `{"type":"string","format":"byte"}`},
		{"score", `{"type":"number","format":"double"}`},
		{"custom", `{"type":"string"}`},
		{"inline", `{"type":"object","properties":{"a":{"type":"boolean"}},"required":["a"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.prop, func(t *testing.T) {
			p, ok := s.Properties[tt.prop]
			if !ok {
				t.Fatalf("no property %q", tt.prop)
			}
			if got := mustJSON(t, p); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}

	for _, name := range []string{"Secret", "hidden", "Base", "Extra"} {
		if _, ok := s.Properties[name]; ok {
			t.Errorf("property %q should not be present", name)
		}
	}
	if len(s.Properties) != len(tests) {
		t.Errorf("got %d properties, want %d: %v", len(s.Properties), len(tests), slices.Sorted(maps.Keys(s.Properties)))
	}

	// omitempty, omitzero and fields behind an embedded pointer are optional;
	// required:"true" overrides omitempty.
	wantRequired := []string{"created_at", "id", "name", "Nick", "role", "roles", "tags", "home", "maybe",
		"any", "ttl", "when", "forced", "blob", "score", "custom", "inline"}
	if got := s.Required; !slices.Equal(got, wantRequired) {
		t.Errorf("required\ngot  %v\nwant %v", got, wantRequired)
	}
	if got := mustJSON(t, g.schemas["Address"]); got != `{"type":"object","properties":{"city":{"type":"string"},"line1":{"type":"string"}},"required":["line1"]}` {
		t.Errorf("Address = %s", got)
	}
}

func TestSchemaTopLevel(t *testing.T) {
	tests := []struct {
		name    string
		v       any
		want    string
		schemas []string // component names that must exist afterwards
	}{
		{"named struct", Address{}, `{"$ref":"#/components/schemas/Address"}`, []string{"Address"}},
		{"pointer body is not nullable", &Address{}, `{"$ref":"#/components/schemas/Address"}`, []string{"Address"}},
		{"slice of structs", []Address{}, `{"type":"array","items":{"$ref":"#/components/schemas/Address"}}`, []string{"Address"}},
		{"map of structs", map[string]Address{}, `{"type":"object","additionalProperties":{"$ref":"#/components/schemas/Address"}}`, []string{"Address"}},
		{"free object", map[string]any{}, `{"type":"object"}`, nil},
		{"generic", Page[Address]{}, `{"$ref":"#/components/schemas/PageAddress"}`, []string{"PageAddress", "Address"}},
		{"anonymous struct", struct {
			OK bool `json:"ok"`
		}{}, `{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGenerator()
			if got := mustJSON(t, g.bodySchema(tt.v)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			for _, name := range tt.schemas {
				if g.schemas[name] == nil {
					t.Errorf("missing component %q", name)
				}
			}
			if len(g.schemas) != len(tt.schemas) {
				t.Errorf("components %v, want %v", slices.Sorted(maps.Keys(g.schemas)), tt.schemas)
			}
		})
	}
}

func TestSchemaRecursion(t *testing.T) {
	g := newGenerator()
	g.schema(reflect.TypeFor[Node]())
	want := `{"type":"object","properties":{` +
		`"children":{"type":"array","items":{"$ref":"#/components/schemas/Node"}},` +
		`"name":{"type":"string"},` +
		`"parent":{"anyOf":[{"$ref":"#/components/schemas/Node"},{"type":"null"}]}},` +
		`"required":["name"]}`
	if got := mustJSON(t, g.schemas["Node"]); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestSchemaNameCollision(t *testing.T) {
	type Address struct{ X int } // same name as the package-level Address
	defer func() {
		if recover() == nil {
			t.Error("two types named Address did not panic")
		}
	}()
	Spec(Info{}, nil, []Route{
		{Method: "GET", Path: "/a", Response: Address{}},
		{Method: "GET", Path: "/b", Response: Sample{}},
	})
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		pattern, path string
		params        []string
	}{
		{"/v1/orgs", "/v1/orgs", nil},
		{"/v1/invitations/{id}", "/v1/invitations/{id}", []string{"id"}},
		{"/v1/orgs/{org}/members/{user}", "/v1/orgs/{org}/members/{user}", []string{"org", "user"}},
		{"/files/{path...}", "/files/{path}", []string{"path"}},
		{"/v1/{$}", "/v1/", nil},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			path, params := parsePath(tt.pattern)
			if path != tt.path {
				t.Errorf("path = %q, want %q", path, tt.path)
			}
			var names []string
			for _, p := range params {
				names = append(names, p.Name)
				if p.In != "path" || !p.Required || p.Schema.Type[0] != "string" {
					t.Errorf("param %+v is not a required string path parameter", p)
				}
			}
			if !slices.Equal(names, tt.params) {
				t.Errorf("params = %v, want %v", names, tt.params)
			}
		})
	}
}

type (
	CreateInvitationRequest struct {
		Email   string   `json:"email,omitempty"`
		Roles   []string `json:"roles" doc:"role names"`
		Message string   `json:"message,omitempty" doc:"shown to the invitee"`
		Channel string   `json:"channel,omitempty" enum:"email,sms"`
	}
	Invitation struct {
		ID        string     `json:"id"`
		Status    string     `json:"status" enum:"draft,pending,accepted"`
		ExpiresAt time.Time  `json:"expires_at"`
		SentAt    *time.Time `json:"sent_at"`
		Roles     []string   `json:"roles"`
		Metadata  map[string]any
	}
	InvitationList struct {
		Invitations   []Invitation `json:"invitations"`
		NextPageToken string       `json:"next_page_token"`
	}
)

func testRoutes() []Route {
	return []Route{
		{
			Method: "POST", Path: "/v1/orgs/{org}/invitations", OperationID: "createInvitation",
			Summary: "Create an invitation", Description: "Sends it unless \"send\" is false.",
			Tags: []string{"Invitations"}, Auth: "api_key_or_user",
			Request: CreateInvitationRequest{}, Response: Invitation{}, Status: http.StatusCreated,
			Errors: []int{400, 401, 403, 409},
		},
		{
			Method: "GET", Path: "/v1/invitations", OperationID: "listInvitations",
			Summary: "List invitations", Tags: []string{"Invitations"}, Auth: "api_key_or_user",
			Response: InvitationList{},
			Query: []Param{
				{Name: "org_id", Description: "only this organization"},
				{Name: "page_size", Type: "integer", Description: "at most 200"},
			},
			Errors: []int{400, 401},
		},
		{
			Method: "GET", Path: "/v1/invitations/{id}", OperationID: "getInvitation",
			Summary: "Get an invitation", Tags: []string{"Invitations"}, Auth: "api_key_or_user",
			Response: Invitation{}, Errors: []int{401, 404},
		},
		{
			Method: "DELETE", Path: "/v1/invitations/{id}", OperationID: "revokeInvitation",
			Summary: "Revoke an invitation", Tags: []string{"Invitations"}, Auth: "api_key_or_user",
			Status: http.StatusNoContent, Errors: []int{401, 404, 409},
		},
		{
			Method: "POST", Path: "/v1/invitation-tokens/{token}/decline", OperationID: "declineInvitation",
			Summary: "Decline <script>alert(1)</script>", Description: "Anyone holding the link & token.",
			Tags: []string{"Invitee"}, Auth: "public", Errors: []int{404, 410},
		},
		{Method: "GET", Path: "/healthz", Summary: "Health check", Auth: "public"},
	}
}

func TestSpec(t *testing.T) {
	d := Spec(Info{Title: "invited", Version: "1.0.0"}, []string{"http://localhost:8080"}, testRoutes())

	create := d.Paths["/v1/orgs/{org}/invitations"]["post"]
	if create == nil {
		t.Fatal("createInvitation missing")
	}
	if got := mustJSON(t, create.Parameters); got != `[{"name":"org","in":"path","required":true,"schema":{"type":"string"}},{"$ref":"#/components/parameters/RequestId"}]` {
		t.Errorf("parameters = %s", got)
	}
	if got := mustJSON(t, create.RequestBody); got != `{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/CreateInvitationRequest"}}}}` {
		t.Errorf("requestBody = %s", got)
	}
	if got := mustJSON(t, create.Responses["201"]); got != `{"description":"Created","headers":{"X-Request-Id":{"$ref":"#/components/headers/RequestId"}},"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Invitation"}}}}` {
		t.Errorf("201 = %s", got)
	}
	if got := mustJSON(t, create.Security); got != `[{"bearer":[]}]` {
		t.Errorf("security = %s", got)
	}

	t.Run("error refs", func(t *testing.T) {
		for _, code := range []string{"400", "401", "403", "409"} {
			r := create.Responses[code]
			if r == nil {
				t.Fatalf("no %s response", code)
			}
			if got := r.Content["application/json"].Schema.Ref; got != "#/components/schemas/Error" {
				t.Errorf("%s refers to %q", code, got)
			}
		}
		if got := create.Responses["409"].Description; got != "Conflict" {
			t.Errorf("409 description = %q", got)
		}
		want := `{"type":"object","properties":{"error":{"type":"object","properties":{` +
			`"code":{"type":"string","description":"Stable machine-readable error code, e.g. not_found."},` +
			`"existing_id":{"type":"string","description":"With invitation_exists: the id of the open invitation to the same invitee."},` +
			`"fields":{"type":"object","description":"Invalid request fields, each with what is wrong with it.","additionalProperties":{"type":"string"}},` +
			`"message":{"type":"string","description":"Human-readable explanation."}},` +
			`"required":["code","message"]}},"required":["error"]}`
		if got := mustJSON(t, d.Components.Schemas["Error"]); got != want {
			t.Errorf("Error schema\ngot  %s\nwant %s", got, want)
		}
	})

	t.Run("query", func(t *testing.T) {
		got := mustJSON(t, d.Paths["/v1/invitations"]["get"].Parameters)
		want := `[{"name":"org_id","in":"query","description":"only this organization","allowEmptyValue":true,"schema":{"type":"string"}},` +
			`{"name":"page_size","in":"query","description":"at most 200","allowEmptyValue":true,"schema":{"type":"integer"}},{"$ref":"#/components/parameters/RequestId"}]`
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})

	t.Run("no content", func(t *testing.T) {
		if got := mustJSON(t, d.Paths["/v1/invitations/{id}"]["delete"].Responses["204"]); got != `{"description":"No Content","headers":{"X-Request-Id":{"$ref":"#/components/headers/RequestId"}}}` {
			t.Errorf("204 = %s", got)
		}
	})

	t.Run("parses back", func(t *testing.T) {
		var doc struct {
			OpenAPI string `json:"openapi"`
			Paths   map[string]map[string]struct {
				Security *[]map[string][]string `json:"security"`
			} `json:"paths"`
			Components struct {
				Schemas         map[string]json.RawMessage `json:"schemas"`
				SecuritySchemes map[string]SecurityScheme  `json:"securitySchemes"`
			} `json:"components"`
		}
		if err := json.Unmarshal(d.JSON(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.OpenAPI != "3.1.0" {
			t.Errorf("openapi = %q", doc.OpenAPI)
		}
		// Public operations must carry an explicit empty list, not omit it.
		sec := doc.Paths["/v1/invitation-tokens/{token}/decline"]["post"].Security
		if sec == nil || len(*sec) != 0 {
			t.Errorf("public security = %v, want []", sec)
		}
		if got := doc.Components.SecuritySchemes["bearer"]; got.Type != "http" || got.Scheme != "bearer" || !strings.Contains(got.Description, "ik_") {
			t.Errorf("bearer scheme = %+v", got)
		}
		for _, name := range []string{"Error", "Invitation", "InvitationList", "CreateInvitationRequest"} {
			if doc.Components.Schemas[name] == nil {
				t.Errorf("missing schema %q", name)
			}
		}
	})
}

func TestSpecDeterministic(t *testing.T) {
	routes := testRoutes()
	a := Spec(Info{Title: "invited", Version: "1"}, nil, routes).JSON()
	b := Spec(Info{Title: "invited", Version: "1"}, nil, routes).JSON()
	if !bytes.Equal(a, b) {
		t.Fatal("two generations differ")
	}
	// The order of the route table does not matter either.
	slices.Reverse(routes)
	if c := Spec(Info{Title: "invited", Version: "1"}, nil, routes).JSON(); !bytes.Equal(a, c) {
		t.Fatal("reordering routes changed the document")
	}
}

func TestSpecGolden(t *testing.T) {
	got := Spec(Info{Title: "invited", Version: "1.0.0", Description: "Invitations & memberships."},
		[]string{"http://localhost:8080"}, testRoutes()).JSON()
	path := filepath.Join("testdata", "spec.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("spec differs from %s; if intended, run go test -run Golden -update", path)
	}
}

func TestSpecPanics(t *testing.T) {
	tests := []struct {
		name   string
		routes []Route
	}{
		{"no method", []Route{{Path: "/a"}}},
		{"duplicate route", []Route{{Method: "GET", Path: "/a/{x}"}, {Method: "GET", Path: "/a/{x...}"}}},
		{"duplicate operationId", []Route{{Method: "GET", Path: "/a", OperationID: "x"}, {Method: "GET", Path: "/b", OperationID: "x"}}},
		{"type named Error", []Route{{Method: "GET", Path: "/a", Response: Error{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			Spec(Info{}, nil, tt.routes)
		})
	}
}

type Error struct{ Msg string }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOperationExtras checks what a route's options add to its operation.
func TestOperationExtras(t *testing.T) {
	base := Route{Method: "POST", Path: "/x", OperationID: "x", Summary: "X", Auth: "public"}
	tests := []struct {
		name   string
		change func(*Route)
		part   func(*Operation) any
		want   string
	}{
		{"optional body", func(r *Route) { r.Request = Address{}; r.OptionalBody = true },
			func(o *Operation) any { return o.RequestBody },
			`{"required":false,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Address"}}}}`},
		{"examples", func(r *Route) {
			r.Request, r.RequestExample = Address{}, Address{Line1: "1 Main St"}
		}, func(o *Operation) any { return o.RequestBody.Content["application/json"].Example },
			`{"line1":"1 Main St"}`},
		{"idempotency key", func(r *Route) { r.Idempotent = true },
			func(o *Operation) any { return o.Parameters },
			`[{"$ref":"#/components/parameters/IdempotencyKey"},{"$ref":"#/components/parameters/RequestId"}]`},
		{"replay marker", func(r *Route) { r.Idempotent = true },
			func(o *Operation) any { return o.Responses["200"].Headers },
			`{"Idempotent-Replayed":{"$ref":"#/components/headers/IdempotentReplayed"},"X-Request-Id":{"$ref":"#/components/headers/RequestId"}}`},
		{"retry after on 429", func(r *Route) { r.Errors = []int{429} },
			func(o *Operation) any { return o.Responses["429"].Headers },
			`{"Retry-After":{"$ref":"#/components/headers/RetryAfter"},"X-Request-Id":{"$ref":"#/components/headers/RequestId"}}`},
		{"www-authenticate on 401", func(r *Route) { r.Errors = []int{401} },
			func(o *Operation) any { return o.Responses["401"].Headers[WWWAuthenticateHeader] },
			`{"$ref":"#/components/headers/WWWAuthenticate"}`},
		{"retry after on 503", func(r *Route) { r.Errors = []int{503} },
			func(o *Operation) any { return o.Responses["503"].Headers["Retry-After"] },
			`{"$ref":"#/components/headers/RetryAfter"}`},
		{"default", func(r *Route) {},
			func(o *Operation) any { return o.Responses["default"].Content },
			`{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}`},
		{"error body", func(r *Route) { r.Errors, r.ErrorBody = []int{503}, Address{} },
			func(o *Operation) any { return o.Responses["503"].Content },
			`{"application/json":{"schema":{"$ref":"#/components/schemas/Address"}}}`},
		{"content type", func(r *Route) { r.ContentType = "text/html" },
			func(o *Operation) any { return o.Responses["200"].Content },
			`{"text/html":{"schema":{"type":"string"}}}`},
		{"query enum and bounds", func(r *Route) {
			r.Query = []Param{{Name: "status", Enum: []string{"a", "b"}}, {Name: "n", Type: "integer", Minimum: 1, Maximum: 200}, {Name: "t", MaxLength: 9, Pattern: "^a"}}
		}, func(o *Operation) any { return o.Parameters },
			`[{"name":"status","in":"query","allowEmptyValue":true,"schema":{"type":"string","enum":["a","b"]}},` +
				`{"name":"n","in":"query","allowEmptyValue":true,"schema":{"type":"integer","minimum":1,"maximum":200}},` +
				`{"name":"t","in":"query","allowEmptyValue":true,"schema":{"type":"string","pattern":"^a","maxLength":9}},{"$ref":"#/components/parameters/RequestId"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.change(&r)
			op := Spec(Info{}, nil, []Route{r}).Paths["/x"]["post"]
			if got := mustJSON(t, tt.part(op)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
