package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/invitedhq/invited"
)

// Request and response bodies are read and written here and nowhere else.

// Body size limits. A batch carries up to invited.MaxBatchSize invitations,
// each with up to 8 KiB of metadata in principle; 4 MiB is ample for real
// batches and still bounds what one request can make the server hold.
const (
	maxBodySize  = 64 << 10
	maxBatchSize = 4 << 20
)

// readBody reads the request body, at most limit bytes. An oversized body is
// invalid_request (400), not 413, so that every error code keeps exactly one
// status. The body is parsed as JSON whatever Content-Type says: `curl -d`
// declares form encoding, and refusing it would protect nothing, because
// every state-changing endpoint needs an Authorization header that browsers
// never attach cross-site (and the public decline needs the secret token).
// An empty body is returned as nil for the caller to judge.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, errInvalid(fmt.Sprintf("the request body is larger than the limit of %d KiB", limit>>10))
		}
		return nil, errInvalid("could not read the request body")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	if !utf8.Valid(data) {
		// encoding/json would quietly turn each invalid byte into U+FFFD.
		return nil, errInvalid("the request body is not valid UTF-8")
	}
	return data, nil
}

// decodeJSON decodes one JSON object from data into v, strictly: fields v
// does not have, values of the wrong type and anything after the object are
// all invalid_request, each explained well enough to fix the request.
func decodeJSON(data []byte, v any) error {
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '{' {
		// Also catches null, which encoding/json would quietly accept as an
		// empty object.
		return errInvalid("expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(data, reflect.TypeOf(v), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errInvalid(fmt.Sprintf("unexpected data after the JSON object at %s", position(data, dec.InputOffset())))
	}
	if path, want := miscased(data, reflect.TypeOf(v), ""); path != "" {
		return errField(path, fmt.Sprintf("unknown field: names are case-sensitive, did you mean %s?", want))
	}
	return nil
}

// miscased finds the first object member in data that encoding/json
// matched to a field of t only case-insensitively ("Name" for "name"), and
// returns its path and the field's name; "" when there is none. Such a
// member is refused like any unknown field: the spec names fields exactly,
// and a reader that does, as the spec's validators do, would see another
// request than the service (FuzzIdempotencyKey: {"naMe":"Globex"} created
// an organization whose create the spec refuses).
func miscased(data []byte, t reflect.Type, path string) (string, string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return "", ""
	}
	switch t.Kind() {
	case reflect.Struct:
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) != nil {
			return "", ""
		}
		fields := jsonFields(t)
		for k, raw := range members {
			ft, ok := fields[k]
			if !ok {
				for name := range fields {
					if strings.EqualFold(k, name) {
						return joinPath(path, k), name
					}
				}
				continue
			}
			if p, want := miscased(raw, ft, joinPath(path, k)); p != "" {
				return p, want
			}
		}
	case reflect.Slice, reflect.Array, reflect.Map:
		var items []json.RawMessage
		if t.Kind() == reflect.Map {
			var m map[string]json.RawMessage
			if json.Unmarshal(data, &m) != nil {
				return "", ""
			}
			for k, raw := range m {
				if p, want := miscased(raw, t.Elem(), joinPath(path, k)); p != "" {
					return p, want
				}
			}
			return "", ""
		}
		if json.Unmarshal(data, &items) != nil {
			return "", ""
		}
		for i, raw := range items {
			if p, want := miscased(raw, t.Elem(), path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p, want
			}
		}
	}
	return "", ""
}

// jsonFields are the JSON names of t's fields, those of embedded structs
// included, with their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-", !f.IsExported() && !f.Anonymous:
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			for n, ft := range jsonFields(f.Type) {
				out[n] = ft
			}
		case name == "":
			out[f.Name] = f.Type
		default:
			out[name] = f.Type
		}
	}
	return out
}

// decodeError explains why data did not decode into a value of type t.
func decodeError(data []byte, t reflect.Type, err error) error {
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return errInvalid(fmt.Sprintf("malformed JSON at %s: %s", position(data, e.Offset), strings.TrimPrefix(e.Error(), "json: ")))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errInvalid("malformed JSON: the body ends in the middle of a value")
	}
	if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		return errField(strings.TrimSuffix(name, `"`), "unknown field")
	}
	if path, msg := blame(data, t, ""); path != "" {
		return errField(path, msg)
	}
	return errInvalid("the body does not have the expected shape")
}

// position describes a byte offset of data as a line and column, which is
// what people look for in their editor.
func position(data []byte, offset int64) string {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d (byte %d)", line, col, offset)
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// blame finds the first value in data that does not decode into t and
// returns its JSON path ("settings.invitation_ttl", "roles[1]") and what it
// must be. encoding/json names the field only for its own type errors, not
// for those of UnmarshalJSON methods (invited.Duration, time.Time), so the
// value is decoded again one member at a time. It returns "" when it cannot
// tell.
func blame(data []byte, t reflect.Type, path string) (string, string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	err := json.Unmarshal(data, reflect.New(t).Interface())
	if err == nil {
		return "", ""
	}
	custom := reflect.PointerTo(t).Implements(unmarshalerType)
	switch {
	case t.Kind() == reflect.Struct && !custom:
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) != nil {
			break
		}
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			raw, ok := member(members, name)
			if !ok {
				continue
			}
			if p, msg := blame(raw, f.Type, joinPath(path, name)); p != "" {
				return p, msg
			}
		}
	case t.Kind() == reflect.Slice && !custom:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			break
		}
		for i, raw := range items {
			if p, msg := blame(raw, t.Elem(), path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p, msg
			}
		}
	}
	return path, mustBe(t, err)
}

// member finds an object member by name the way encoding/json matches
// fields: exactly, or else case-insensitively.
func member(members map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if raw, ok := members[name]; ok {
		return raw, true
	}
	for k, raw := range members {
		if strings.EqualFold(k, name) {
			return raw, true
		}
	}
	return nil, false
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// mustBe says what a value of type t looks like in JSON.
func mustBe(t reflect.Type, err error) string {
	switch {
	case t == timeType:
		return `must be an RFC 3339 time such as "2030-01-02T15:04:05Z"`
	case reflect.PointerTo(t).Implements(unmarshalerType):
		// The domain's own types (invited.Duration) explain themselves.
		return err.Error()
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		_, many := jsonKind(t.Elem())
		return "must be an array of " + many
	}
	one, _ := jsonKind(t)
	return "must be " + one
}

// jsonKind names the JSON form of a Go type, once and in the plural.
func jsonKind(t reflect.Type) (one, many string) {
	switch t.Kind() {
	case reflect.String:
		return "a string", "strings"
	case reflect.Bool:
		return "true or false", "booleans"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer", "integers"
	case reflect.Float32, reflect.Float64:
		return "a number", "numbers"
	case reflect.Slice, reflect.Array:
		return "an array", "arrays"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object", "objects"
	}
	return "a valid value", "valid values"
}

// writeJSON answers v with status. The body is encoded before anything is
// written, so an encoding failure can still become a clean 500. Every JSON
// answer is per-credential, and several carry secrets or secret links, so
// none may be stored by a cache.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := encodeJSON(v)
	if err != nil {
		// Only the API's own types are encoded here; failing is a bug.
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`+"\n")
	}
	writeRaw(w, status, body)
}

// encodeJSON is the one JSON encoding of answers, so that a stored answer
// replays byte for byte.
func encodeJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	return append(b, '\n'), err
}

// The values of the headers of every answer, shared by all answers as
// net/http shares its own: Header.Set and Add replace or extend a value
// list, never write into it.
var (
	noStore         = []string{"no-store"}
	jsonContentType = []string{"application/json"}
)

// writeRaw answers an already encoded JSON body, or none when body is nil.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Cache-Control"] = noStore
	if body == nil {
		w.WriteHeader(status)
		return
	}
	h["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	w.Write(body)
}

// Query parameters and path ids are checked here too.

// checkQuery holds every query value to the text rule of invited.CheckText
// before any handler reads it: a value that breaks it is invalid_request
// naming the parameter. So is a parameter given twice: every one the API
// reads is a single value, and reading the first of several (url.Values.Get)
// while a proxy in front reads the last would let the two disagree about
// the request (FuzzQueryFilters). Path parameters need no such check: one
// that breaks the rule cannot be an id (pathID) nor a secret's hash, so it
// answers not_found like any unknown one.
func checkQuery(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil // most requests: nothing to parse
	}
	f := invited.FieldErrors{}
	for name, values := range r.URL.Query() {
		if len(values) > 1 {
			f.Add(name, invited.Problemf("given_twice"))
			continue
		}
		for _, v := range values {
			invited.CheckText(f, name, v, false)
		}
	}
	return f.Err()
}

// maxPageToken bounds page_token: tokens are short and opaque, and anything
// long is not one of ours.
const maxPageToken = 512

// pageOf reads page_size and page_token, recording problems in f.
func pageOf(q url.Values, f invited.FieldErrors) invited.Page {
	var p invited.Page
	if s := q.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > invited.MaxPageSize {
			f.Add("page_size", invited.Problemf("page_size_integer", "max", invited.MaxPageSize))
		}
		p.PageSize = n
	}
	p.PageToken = q.Get("page_token")
	if len(p.PageToken) > maxPageToken {
		f.Add("page_token", invited.Problemf("page_token_format"))
	}
	return p
}

// queryOrgID reads the optional org_id filter.
func queryOrgID(q url.Values, f invited.FieldErrors) string {
	id := q.Get("org_id")
	if id != "" && !invited.ValidID(id, invited.PrefixOrganization) {
		f.Add("org_id", invited.Problemf("org_id_format"))
	}
	return id
}

// queryStatus reads the status filter of a list whose things are in one
// of statuses.
func queryStatus[S ~string](q url.Values, f invited.FieldErrors, statuses []S) S {
	s := S(q.Get("status"))
	if s != "" && !slices.Contains(statuses, s) {
		f.Add("status", invited.Problemf("one_of", "values", strings.Join(invited.Strings(statuses), ", ")))
	}
	return s
}

// invitationFilterOf reads the filters of GET /v1/invitations.
func invitationFilterOf(q url.Values) (invited.InvitationFilter, error) {
	f := invited.FieldErrors{}
	filter := invited.InvitationFilter{OrgID: queryOrgID(q, f), Status: queryStatus(q, f, invited.Statuses), Page: pageOf(q, f)}
	if s := q.Get("email"); s != "" {
		email, ok := invited.NormalizeEmail(strings.TrimSpace(s))
		if !ok {
			f.Add("email", invited.Problemf("email_invalid"))
		}
		filter.Email = email
	}
	return filter, f.Err()
}

// pathID returns the path parameter called name when it has the shape of an
// id with prefix. Anything else cannot name a resource, so it answers
// not_found without asking the store, exactly as an unknown id would.
// onPath adapts fn, a method of the service svc answers, on the resource
// whose id (of prefix) is the path's {id}, to an endpoint. It asks svc per
// call, so that the route table can be built without services.
func onPath[S, T any](prefix string, svc func() S, fn func(S, context.Context, string) (T, error)) func(*http.Request) (T, error) {
	return func(r *http.Request) (T, error) {
		id, err := pathID(r, "id", prefix)
		if err != nil {
			var zero T
			return zero, err
		}
		return fn(svc(), r.Context(), id)
	}
}

func pathID(r *http.Request, name, prefix string) (string, error) {
	id := r.PathValue(name)
	if !invited.ValidID(id, prefix) {
		return "", errNotFound
	}
	return id, nil
}

// pageQuery reads the query of a list that has no filters.
func pageQuery(r *http.Request) (invited.Page, error) {
	f := invited.FieldErrors{}
	page := pageOf(r.URL.Query(), f)
	return page, f.Err()
}
