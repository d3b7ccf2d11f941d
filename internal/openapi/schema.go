package openapi

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Schema is a JSON Schema 2020-12 object, the dialect OpenAPI 3.1 uses.
type Schema struct {
	Ref                  string             `json:"$ref,omitempty"`
	Type                 SchemaType         `json:"type,omitempty"`
	Format               string             `json:"format,omitempty"`
	Pattern              string             `json:"pattern,omitempty"`
	Description          string             `json:"description,omitempty"`
	Enum                 []any              `json:"enum,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	AdditionalProperties *Schema            `json:"additionalProperties,omitempty"`
	AnyOf                []*Schema          `json:"anyOf,omitempty"`

	// Bounds; 0 means none (a lower bound of 0 is the default anyway).
	MinLength     int `json:"minLength,omitempty"`
	MaxLength     int `json:"maxLength,omitempty"`
	Minimum       int `json:"minimum,omitempty"`
	Maximum       int `json:"maximum,omitempty"`
	MinItems      int `json:"minItems,omitempty"`
	MaxItems      int `json:"maxItems,omitempty"`
	MaxProperties int `json:"maxProperties,omitempty"`
}

// SchemaType is the JSON Schema "type" keyword. It marshals as a plain string
// when it has one entry and as an array otherwise, e.g. ["string","null"]
// for nullable values: 3.1 dropped 3.0's "nullable" in favour of this form.
type SchemaType []string

func (t SchemaType) MarshalJSON() ([]byte, error) {
	if len(t) == 1 {
		return json.Marshal(t[0])
	}
	return json.Marshal([]string(t))
}

func (t *SchemaType) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = SchemaType{s}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(t))
}

const refPrefix = "#/components/schemas/"

var (
	timeType      = reflect.TypeFor[time.Time]()
	durationType  = reflect.TypeFor[time.Duration]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
)

// generator turns Go types into schemas, collecting named structs into
// components so each is described once and recursion ends at a $ref.
type generator struct {
	schemas map[string]*Schema
	types   map[string]reflect.Type // name → type, to catch two types with one name
}

func newGenerator() *generator {
	return &generator{schemas: map[string]*Schema{}, types: map[string]reflect.Type{}}
}

// bodySchema describes a request or response body given as a zero value. A
// pointer is dereferenced: a body is never JSON null.
func (g *generator) bodySchema(v any) *Schema {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return g.schema(t)
}

func (g *generator) schema(t reflect.Type) *Schema {
	switch t {
	case timeType:
		return &Schema{Type: SchemaType{"string"}, Format: "date-time"}
	case durationType:
		// encoding/json writes time.Duration as integer nanoseconds; the
		// API wraps durations in a string-marshalling type, so describe
		// what clients actually exchange.
		return &Schema{Type: SchemaType{"string"}}
	case rawType:
		return &Schema{} // any JSON value
	}
	if t.Kind() == reflect.Pointer {
		return nullable(g.schema(t.Elem()))
	}
	// Custom marshalers decide their own shape; mirror encoding/json, which
	// prefers MarshalJSON over MarshalText.
	if implements(t, marshalerType) {
		return marshalerSchema(t)
	}
	if implements(t, textType) {
		return &Schema{Type: SchemaType{"string"}}
	}

	switch t.Kind() {
	case reflect.Bool:
		return &Schema{Type: SchemaType{"boolean"}}
	case reflect.Int32, reflect.Uint32:
		return &Schema{Type: SchemaType{"integer"}, Format: "int32"}
	case reflect.Int64, reflect.Uint64:
		return &Schema{Type: SchemaType{"integer"}, Format: "int64"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uintptr:
		return &Schema{Type: SchemaType{"integer"}}
	case reflect.Float32:
		return &Schema{Type: SchemaType{"number"}, Format: "float"}
	case reflect.Float64:
		return &Schema{Type: SchemaType{"number"}, Format: "double"}
	case reflect.String:
		return &Schema{Type: SchemaType{"string"}}
	case reflect.Interface:
		return &Schema{}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !implements(t.Elem(), marshalerType) && !implements(t.Elem(), textType) {
			return &Schema{Type: SchemaType{"string"}, Format: "byte"} // encoding/json base64-encodes []byte
		}
		elem := t.Elem()
		if elem.Kind() == reflect.Pointer {
			// []*T holds pointers to share values, not to say "null": no
			// list the API answers has null elements.
			elem = elem.Elem()
		}
		return &Schema{Type: SchemaType{"array"}, Items: g.schema(elem)}
	case reflect.Array:
		return &Schema{Type: SchemaType{"array"}, Items: g.schema(t.Elem())}
	case reflect.Map:
		s := &Schema{Type: SchemaType{"object"}}
		if t.Elem().Kind() != reflect.Interface {
			s.AdditionalProperties = g.schema(t.Elem())
		}
		return s
	case reflect.Struct:
		if t.Name() == "" {
			return g.structSchema(t)
		}
		return g.ref(t)
	}
	panic(fmt.Sprintf("openapi: %v cannot be represented in JSON", t))
}

// ref registers a named struct as a component and returns a reference to
// it. The name is claimed before the fields are walked, so a type that
// refers to itself finds the reference and recursion stops there.
func (g *generator) ref(t reflect.Type) *Schema {
	name := schemaName(t)
	if prev, ok := g.types[name]; ok {
		if prev != t {
			panic(fmt.Sprintf("openapi: schema name %q used by both %v and %v", name, prev, t))
		}
	} else {
		g.types[name] = t
		g.schemas[name] = g.structSchema(t)
	}
	return &Schema{Ref: refPrefix + name}
}

// schemaName is the Go type name, with the package paths of generic type
// arguments dropped ("Page[github.com/x/y.Invitation]" → "PageInvitation")
// so that it is a valid component key.
func schemaName(t reflect.Type) string {
	var b strings.Builder
	for part := range strings.FieldsFuncSeq(t.Name(), func(r rune) bool { return r == '[' || r == ']' || r == ',' }) {
		if i := strings.LastIndexAny(part, "./"); i >= 0 {
			part = part[i+1:]
		}
		b.WriteString(strings.TrimLeft(part, "*"))
	}
	return b.String()
}

func (g *generator) structSchema(t reflect.Type) *Schema {
	s := &Schema{Type: SchemaType{"object"}}
	for _, f := range structFields(t) {
		p := g.schema(f.typ)
		if f.enum != "" {
			setEnum(p, f.typ, f.enum)
		}
		// Each call returns a fresh schema (components are only referenced),
		// so annotating it cannot leak into another property.
		p.Description = f.doc
		if s.Properties == nil {
			s.Properties = map[string]*Schema{}
		}
		s.Properties[f.name] = p
		if f.required {
			s.Required = append(s.Required, f.name)
		}
	}
	return s
}

type field struct {
	name      string
	typ       reflect.Type
	doc, enum string
	required  bool
	tagged    bool // named by a json tag; wins ties like in encoding/json
	depth     int
}

// structFields lists the JSON fields of t as encoding/json sees them:
// untagged embedded structs are flattened and, of fields sharing a name, the
// shallowest wins (a tagged one on a tie; on a remaining tie none does).
func structFields(t reflect.Type) []field {
	var all []field
	collectFields(t, 0, false, &all)

	byName := map[string][]field{}
	for _, f := range all {
		byName[f.name] = append(byName[f.name], f)
	}
	var out []field
	for _, f := range all {
		if dominant(byName[f.name]) == f {
			out = append(out, f)
		}
	}
	return out
}

func dominant(fs []field) (best field) {
	if len(fs) == 1 {
		return fs[0]
	}
	slices.SortStableFunc(fs, func(a, b field) int { return a.depth - b.depth })
	var top []field
	for _, f := range fs {
		if f.depth == fs[0].depth {
			top = append(top, f)
		}
	}
	var tagged []field
	for _, f := range top {
		if f.tagged {
			tagged = append(tagged, f)
		}
	}
	switch {
	case len(top) == 1:
		return top[0]
	case len(tagged) == 1:
		return tagged[0]
	}
	return field{} // ambiguous: encoding/json omits it
}

// collectFields appends t's fields; viaPointer marks fields promoted through
// an embedded pointer, which vanish from the output when it is nil.
func collectFields(t reflect.Type, depth int, viaPointer bool, out *[]field) {
	for sf := range t.Fields() {
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			et, ptr := sf.Type, false
			if et.Kind() == reflect.Pointer {
				et, ptr = et.Elem(), true
			}
			if et.Kind() == reflect.Struct {
				collectFields(et, depth+1, viaPointer || ptr, out)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		f := field{name: name, typ: sf.Type, doc: sf.Tag.Get("doc"), enum: sf.Tag.Get("enum"), tagged: name != "", depth: depth}
		if f.name == "" {
			f.name = sf.Name
		}
		optional := viaPointer
		for o := range strings.SplitSeq(opts, ",") {
			optional = optional || o == "omitempty" || o == "omitzero"
		}
		f.required = !optional
		if r, err := strconv.ParseBool(sf.Tag.Get("required")); err == nil {
			f.required = r
		}
		*out = append(*out, f)
	}
}

// setEnum applies an `enum:"a,b"` tag to s, or to its items for a slice, with
// values typed like the field so integer enums stay integers.
func setEnum(s *Schema, t reflect.Type, tag string) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		if t.Kind() != reflect.Pointer {
			s = s.Items
		}
		t = t.Elem()
	}
	for v := range strings.SplitSeq(tag, ",") {
		v = strings.TrimSpace(v)
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				panic(fmt.Sprintf("openapi: enum value %q is not an integer for %v", v, t))
			}
			s.Enum = append(s.Enum, n)
		default:
			s.Enum = append(s.Enum, v)
		}
	}
	if slices.Contains(s.Type, "null") {
		s.Enum = append(s.Enum, nil) // enum is checked after type, so null must be listed too
	}
}

// nullable admits JSON null besides s, as a nil pointer marshals to null.
func nullable(s *Schema) *Schema {
	switch {
	case s.Ref != "":
		return &Schema{AnyOf: []*Schema{s, {Type: SchemaType{"null"}}}}
	case len(s.Type) == 0 && len(s.AnyOf) == 0, slices.Contains(s.Type, "null"):
		return s // already admits null
	case len(s.AnyOf) > 0:
		s.AnyOf = append(s.AnyOf, &Schema{Type: SchemaType{"null"}})
		return s
	}
	s.Type = append(slices.Clip(s.Type), "null")
	return s
}

func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || reflect.PointerTo(t).Implements(iface)
}

// marshalerSchema describes a type with its own MarshalJSON by the JSON kind
// its zero value produces: reflection cannot see through the method, and
// this keeps e.g. a string-encoded duration type a "string" in the spec.
func marshalerSchema(t reflect.Type) (s *Schema) {
	defer func() {
		if recover() != nil {
			s = &Schema{} // a MarshalJSON that cannot handle its zero value: shape unknown
		}
	}()
	m, ok := reflect.Zero(t).Interface().(json.Marshaler)
	if !ok {
		m = reflect.New(t).Interface().(json.Marshaler)
	}
	b, err := m.MarshalJSON()
	if err != nil || len(b) == 0 {
		return &Schema{}
	}
	switch b[0] {
	case '"':
		return &Schema{Type: SchemaType{"string"}}
	case '{':
		return &Schema{Type: SchemaType{"object"}}
	case '[':
		return &Schema{Type: SchemaType{"array"}}
	case 't', 'f':
		return &Schema{Type: SchemaType{"boolean"}}
	case 'n':
		return &Schema{}
	}
	return &Schema{Type: SchemaType{"number"}}
}
