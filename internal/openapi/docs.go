package openapi

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"unicode"
)

//go:embed docs.html
var docsHTML string

var docsTemplate = template.Must(template.New("docs").Parse(docsHTML))

// DocsHandler serves a page describing spec, rendered once here: the
// document does not change while the server runs, and a rendering error then
// shows at startup rather than on a request. It needs no JavaScript or
// external assets, so it works offline and under a strict CSP.
func DocsHandler(spec *Document) http.Handler {
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, newDocsPage(spec)); err != nil {
		panic("openapi: rendering docs: " + err.Error())
	}
	page := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
}

// The view model: the template only loops and prints, every decision about
// what to show is made here in Go where it can be tested.
type (
	docsPage struct {
		Info    Info
		SpecURL string
		Groups  []opGroup
		Schemas []schemaView
	}
	opGroup struct {
		Tag, Anchor string
		Ops         []opView
	}
	opView struct {
		Anchor, Method, Path, Summary, Description, Auth, OperationID string
		Params                                                        []Parameter
		Request                                                       *bodyView
		Responses                                                     []responseView
	}
	responseView struct {
		Status, Description string
		Body                *bodyView
	}
	// bodyView is a schema shown as a type label plus, for objects, a field
	// table; a $ref is resolved one level so the fields show in place.
	bodyView struct {
		Type    typeLabel
		Caption string
		Fields  []fieldView
	}
	typeLabel struct{ Text, Anchor string }
	fieldView struct {
		Name        string
		Type        typeLabel
		Required    bool
		Description string
		Enum        []string
	}
	schemaView struct {
		Name, Anchor, Description, Caption string
		Fields                             []fieldView
	}
)

func newDocsPage(d *Document) docsPage {
	p := docsPage{Info: d.Info, SpecURL: "/openapi.json"}
	byTag := map[string][]opView{}
	for _, path := range sortedKeys(d.Paths) {
		for _, method := range methodOrder {
			op := d.Paths[path][method]
			if op == nil {
				continue
			}
			v := newOpView(d, path, method, op)
			tags := op.Tags
			if len(tags) == 0 {
				tags = []string{"Other"}
			}
			for _, t := range tags {
				byTag[t] = append(byTag[t], v)
			}
		}
	}
	for _, t := range sortedKeys(byTag) {
		p.Groups = append(p.Groups, opGroup{Tag: t, Anchor: anchor("tag", t), Ops: byTag[t]})
	}
	for _, name := range sortedKeys(d.Components.Schemas) {
		s := d.Components.Schemas[name]
		p.Schemas = append(p.Schemas, schemaView{
			Name: name, Anchor: schemaAnchor(name), Description: s.Description,
			Caption: name + " fields", Fields: fields(s, ""),
		})
	}
	return p
}

// resolveParams replaces references to components.parameters by what they
// refer to.
func resolveParams(d *Document, ps []Parameter) []Parameter {
	out := make([]Parameter, 0, len(ps))
	for _, p := range ps {
		if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok && d.Components.Parameters[name] != nil {
			p = *d.Components.Parameters[name]
		}
		out = append(out, p)
	}
	return out
}

// methodOrder lists an endpoint's methods in reading order, not alphabetically.
var methodOrder = []string{"get", "post", "put", "patch", "delete", "head", "options", "trace"}

func newOpView(d *Document, path, method string, op *Operation) opView {
	v := opView{
		Method: strings.ToUpper(method), Path: path,
		Summary: op.Summary, Description: op.Description, OperationID: op.OperationID,
		Auth: op.Auth, Params: resolveParams(d, op.Parameters),
	}
	v.Anchor = anchor("op", op.OperationID)
	if op.OperationID == "" {
		v.Anchor = anchor("op", method+path)
	}
	switch {
	case len(op.Security) == 0:
		v.Auth = "public"
	case v.Auth == "":
		v.Auth = "bearer"
	}
	if op.RequestBody != nil {
		v.Request = newBodyView(d, op.RequestBody.Content[jsonType].Schema, "Request fields")
	}
	for _, code := range sortedKeys(op.Responses) {
		r := op.Responses[code]
		rv := responseView{Status: code, Description: r.Description}
		if mt, ok := r.Content[jsonType]; ok {
			rv.Body = newBodyView(d, mt.Schema, code+" response fields")
		}
		v.Responses = append(v.Responses, rv)
	}
	return v
}

func newBodyView(d *Document, s *Schema, caption string) *bodyView {
	b := &bodyView{Type: labelOf(s), Caption: caption}
	target := s
	if s.Items != nil {
		target = s.Items // a list body: show the fields of its elements
	}
	if name, ok := strings.CutPrefix(target.Ref, refPrefix); ok {
		target = d.Components.Schemas[name]
	}
	// The shared Error body is documented once, in the schemas section.
	if target != nil && s.Ref != refPrefix+errorSchema {
		b.Fields = fields(target, "")
	}
	return b
}

// fields lists the properties of an object schema, in declaration order when
// known. Inline objects are expanded as "parent.child" rows, since they have
// no schema section of their own to link to.
func fields(s *Schema, prefix string) []fieldView {
	names := s.order
	if len(names) != len(s.Properties) {
		names = sortedKeys(s.Properties)
	}
	var out []fieldView
	for _, name := range names {
		p := s.Properties[name]
		out = append(out, fieldView{
			Name:        prefix + name,
			Type:        labelOf(p),
			Required:    slices.Contains(s.Required, name),
			Description: p.Description,
			Enum:        enumText(p.Enum),
		})
		if len(p.Properties) > 0 {
			out = append(out, fields(p, prefix+name+".")...)
		}
	}
	return out
}

// labelOf names a schema's type for people: "array of Invitation",
// "string (date-time) or null". Anchor links the named schema it involves.
func labelOf(s *Schema) typeLabel {
	if name, ok := strings.CutPrefix(s.Ref, refPrefix); ok {
		return typeLabel{Text: name, Anchor: schemaAnchor(name)}
	}
	if len(s.AnyOf) > 0 {
		var l typeLabel
		var parts []string
		for _, a := range s.AnyOf {
			al := labelOf(a)
			parts = append(parts, al.Text)
			if l.Anchor == "" {
				l.Anchor = al.Anchor
			}
		}
		l.Text = strings.Join(parts, " or ")
		return l
	}
	var l typeLabel
	var parts []string
	for _, t := range s.Type {
		switch {
		case t == "array" && s.Items != nil:
			il := labelOf(s.Items)
			t, l.Anchor = "array of "+il.Text, il.Anchor
		case t == "object" && s.AdditionalProperties != nil:
			al := labelOf(s.AdditionalProperties)
			t, l.Anchor = "map of "+al.Text, al.Anchor
		case t != "null" && s.Format != "":
			t += " (" + s.Format + ")"
		}
		parts = append(parts, t)
	}
	l.Text = strings.Join(parts, " or ")
	if l.Text == "" {
		l.Text = "any"
	}
	return l
}

func enumText(vals []any) []string {
	var out []string
	for _, v := range vals {
		if v == nil {
			out = append(out, "null")
		} else {
			out = append(out, fmt.Sprint(v))
		}
	}
	return out
}

func schemaAnchor(name string) string { return anchor("schema", name) }

// anchor makes an id that is the same in the page and in links to it, with
// anything but letters, digits, '-' and '_' folded to '-'.
func anchor(prefix, s string) string {
	return prefix + "-" + strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return '-'
	}, s)
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
