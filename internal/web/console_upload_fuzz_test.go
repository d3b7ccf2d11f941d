package web

import (
	"bytes"
	"slices"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/i18n"
)

// FuzzReadUpload reads any bytes as a console CSV upload: either the file
// is refused as a whole with an invalid_request whose message is written
// for the person who uploaded it, or it holds 1 to MaxBatchSize rows, each
// on a line after the header and after the row before, with no empty role.
func FuzzReadUpload(f *testing.F) {
	f.Fuzz(func(t *testing.T, file []byte) {
		rows, err := readUpload(i18n.English(), bytes.NewReader(file))
		if err != nil {
			if e, ok := err.(*invited.Error); !ok || e.Code != invited.EINVALID || e.Message == "" || rows != nil {
				t.Fatalf("refused with %d rows and %#v, want an invalid_request", len(rows), err)
			}
			return
		}
		if len(rows) == 0 || len(rows) > invited.MaxBatchSize {
			t.Fatalf("%d rows", len(rows))
		}
		line := 1 // the header's
		for _, r := range rows {
			if r.Line <= line {
				t.Fatalf("a row on line %d after line %d", r.Line, line)
			}
			line = r.Line
			if slices.Contains(r.Create.Roles, "") {
				t.Fatalf("line %d: an empty role in %q", r.Line, r.Create.Roles)
			}
		}
	})
}
