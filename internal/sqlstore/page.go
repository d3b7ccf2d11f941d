package sqlstore

import (
	"encoding/base64"
	"fmt"

	"github.com/invitedhq/invited"
)

// Every list pages the same way: ordered by an id column descending (ids
// sort by creation time, so newest first), seeking past the last id of the
// previous page. A seek costs the same on page 1000 as on page 1, where an
// OFFSET would read and discard every row before the page.

// pageTokenV1 leads every page token, so that the format can change without
// old tokens being misread.
const pageTokenV1 = 1

// keyset is one page request: its size and the last id of the page before.
type keyset struct {
	size  int
	after string // "" on the first page
}

// newKeyset validates p for a list of ids starting with prefix.
func newKeyset(p invited.Page, prefix string) (keyset, error) {
	size, err := p.Size()
	if err != nil {
		return keyset{}, err
	}
	k := keyset{size: size}
	if p.PageToken == "" {
		return k, nil
	}
	// A token is accepted only as pageToken writes it, naming an id of the
	// list's kind: base64 that decodes despite a line break or stray bits,
	// or bytes that are no id (a NUL, which a PostgreSQL text parameter
	// cannot hold), are refused before any query (FuzzPageToken).
	b, err := base64.RawURLEncoding.DecodeString(p.PageToken)
	if err != nil || len(b) == 0 || b[0] != pageTokenV1 ||
		!invited.ValidID(string(b[1:]), prefix) || pageToken(string(b[1:])) != p.PageToken {
		return keyset{}, invited.FieldErrors{"page_token": invited.Problemf("page_token")}.Errorf(invited.EINVALID, "the page_token is not valid")
	}
	k.after = string(b[1:])
	return k, nil
}

// seek adds the condition that skips past the previous page to w and
// returns the ORDER BY and LIMIT that end the query. It fetches one row
// more than the page holds: that row's presence is how page() knows another
// page follows.
//
// The last id is bound as CAST(? AS TEXT), the same value to both
// databases. A bare parameter compared with an indexed column lets SQLite's
// planner look its value up in the samples ANALYZE keeps (STAT4), and a
// statement planned with a parameter's value is prepared again each time it
// runs with a new binding: on a database that was ever analyzed, every page
// after the first cost a fifth more than the first (and than a cached
// statement should), recompiling the query (BenchmarkFindInvitationsPage).
// The cast hides the value from the planner and keeps the index seek.
func (k keyset) seek(w *where, col string) string {
	if k.after != "" {
		w.add(col+" < CAST(? AS TEXT)", k.after)
	}
	return fmt.Sprintf(" ORDER BY %s DESC LIMIT %d", col, k.size+1)
}

// page cuts rows fetched with seek down to the page and returns the token of
// the next page, "" on the last.
func page[T any](k keyset, rows []T, id func(T) string) ([]T, string) {
	if len(rows) <= k.size {
		return rows, ""
	}
	rows = rows[:k.size]
	return rows, pageToken(id(rows[len(rows)-1]))
}

func pageToken(lastID string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{pageTokenV1}, lastID...))
}
