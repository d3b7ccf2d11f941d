package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/invitedhq/invited"
)

// Values are stored in the plainest types every database has: times as
// INTEGER unix milliseconds, lists and settings as JSON text, absent strings
// as NULL (so that UNIQUE columns allow many of them). The helpers below
// convert in both directions.

func ms(t time.Time) int64 { return t.UnixMilli() }

func nullMS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// jsonText encodes v for a JSON text column. Only plain data (string lists,
// permission lists, settings) is stored this way, which cannot fail to
// encode.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("sqlstore: encoding JSON column: " + err.Error())
	}
	return string(b)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// timeCol scans INTEGER milliseconds into a time.Time.
type timeCol struct{ p *time.Time }

func (c timeCol) Scan(v any) error {
	n, ok := v.(int64)
	if !ok {
		return fmt.Errorf("time column holds %T", v)
	}
	*c.p = time.UnixMilli(n).UTC()
	return nil
}

// nullTimeCol scans nullable INTEGER milliseconds into a *time.Time.
type nullTimeCol struct{ p **time.Time }

func (c nullTimeCol) Scan(v any) error {
	if v == nil {
		*c.p = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(v); err != nil {
		return err
	}
	*c.p = &t
	return nil
}

// textCol scans nullable text into a string, NULL as "".
// nullIntCol scans a nullable integer into an *int, nil for NULL.
type nullIntCol struct{ p **int }

func (c nullIntCol) Scan(v any) error {
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	*c.p = nil
	if n.Valid {
		i := int(n.Int64)
		*c.p = &i
	}
	return nil
}

type textCol struct{ p *string }

func (c textCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.p = ""
	case string:
		*c.p = v
	case []byte:
		*c.p = string(v)
	default:
		return fmt.Errorf("text column holds %T", v)
	}
	return nil
}

// jsonCol decodes a nullable JSON text column into p; NULL leaves p alone.
type jsonCol struct{ p any }

func (c jsonCol) Scan(v any) error {
	var s string
	if err := (textCol{&s}).Scan(v); err != nil || s == "" {
		return err
	}
	return json.Unmarshal([]byte(s), c.p)
}

// queryList runs a query and scans each row into a T.
func queryList[T any](ctx context.Context, tx *Tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.query(ctx, query, args...)
	return scanList(rows, err, scan)
}

// scanList scans each of rows into a T, where err is the query's error.
func scanList[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{} // an empty list, not null, in JSON
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// errNotFound is the not_found of a missing thing, and of one the actor may
// not know exists: the two must look alike.
func errNotFound(what string) error { return invited.Errorf(invited.ENOTFOUND, "%s not found", what) }

// notFound turns sql.ErrNoRows into not_found for what, and leaves other
// errors alone.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound(what)
	}
	return err
}

// isNotFound reports whether err is the domain's not_found.
func isNotFound(err error) bool { return invited.ErrorCode(err) == invited.ENOTFOUND }

// checkStatus refuses a list's status filter that is none of statuses;
// "" filters nothing.
func checkStatus[S ~string](status S, statuses []S) error {
	if status != "" && !slices.Contains(statuses, status) {
		return invited.FieldErrors{"status": invited.Problemf("status")}.Err()
	}
	return nil
}

// where collects the conditions of a query and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds "col IN (?, ...)" for vals, which must not be empty.
func (w *where) in(col string, vals []string) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	w.add(col+" IN (?"+strings.Repeat(", ?", len(vals)-1)+")", args...)
}

// join returns the conditions joined by op ("AND", "OR"), in parentheses.
func (w *where) join(op string) string {
	return "(" + strings.Join(w.conds, " "+op+" ") + ")"
}

// any returns the conditions joined by OR, in parentheses, or one that
// holds for nothing when there are none.
func (w *where) any() string {
	if len(w.conds) == 0 {
		return "(1 = 0)"
	}
	return w.join("OR")
}

// String is the WHERE clause of AND-ed conditions, or "" when there are
// none.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + w.join("AND")
}
