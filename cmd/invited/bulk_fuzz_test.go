package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/invitedhq/invited"
)

// FuzzReadCSV reads any bytes as an invite --csv file: either the file is
// refused as a whole with a message, or each row it reads is an invitation
// or a clear error of its own, on a line after the header and after the
// row before, and what a row reads is what its cells said (roles without
// empty names, metadata only as valid JSON).
func FuzzReadCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, file []byte) {
		rows, err := readCSV(bytes.NewReader(file), invited.InvitationCreate{Roles: []string{invited.RoleMember}})
		if err != nil {
			if rows != nil || err.Error() == "" {
				t.Fatalf("refused with %d rows and %q", len(rows), err)
			}
			return
		}
		line := 1 // the header's
		for _, r := range rows {
			if r.line <= line {
				t.Fatalf("a row on line %d after line %d", r.line, line)
			}
			line = r.line
			if r.err != nil {
				if r.err.Error() == "" {
					t.Fatalf("line %d: an empty error", r.line)
				}
				continue
			}
			if slices.Contains(r.create.Roles, "") {
				t.Fatalf("line %d: an empty role in %q", r.line, r.create.Roles)
			}
			if r.create.Metadata != nil && !json.Valid(r.create.Metadata) {
				t.Fatalf("line %d: metadata %q is not JSON", r.line, r.create.Metadata)
			}
			if r.create.ExpiresIn != nil && r.create.ExpiresAt != nil {
				t.Fatalf("line %d: both expires_in and expires_at", r.line)
			}
		}
	})
}
