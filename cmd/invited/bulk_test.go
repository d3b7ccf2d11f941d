package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
)

// bulkRows is how many good rows the bulk tests invite: more than
// one batch, and a last batch that is not full.
const bulkRows = 3000

// writeCSV writes a file of bulkRows good rows, with bad added after the
// good row whose number names them, and returns its path.
func writeCSV(t *testing.T, name string, bad map[int]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("email,first_name,roles,send\n")
	for i := range bulkRows {
		fmt.Fprintf(&b, "person%04d@example.com,Person %d,member,false\n", i, i)
		if line, ok := bad[i]; ok {
			b.WriteString(line + "\n")
		}
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readReport reads a --report file into its rows by row number.
func readReport(t *testing.T, path string) map[int]rowResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(records[0], ",") != strings.Join(reportHeader, ",") {
		t.Fatalf("report header %v", records[0])
	}
	rows := map[int]rowResult{}
	for _, r := range records[1:] {
		var row int
		fmt.Sscan(r[0], &row)
		rows[row] = rowResult{Row: row, Invitee: r[1], Outcome: r[2], InvitationID: r[3], ErrorCode: r[4], Message: r[5]}
	}
	return rows
}

// TestInviteCSV invites a file of thousands of rows with bad ones among
// them, then the same file again, and checks that the bad rows are named
// by line, that the others are created once, and the exit codes.
func TestInviteCSV(t *testing.T) {
	env := startCLIServer(t, map[string]string{"INVITED_RATE_LIMIT_CREATE": "off"})
	org := jsonID(t, invitedCLI(env, "orgs", "create", "Acme", "-o", "json"))

	// A good row i is on line i+2; each bad row is on the line after the
	// good one it follows, and shifts the ones after it down.
	bad := map[int]string{
		10:   `bare"quote@example.com,Bad,member,false`,      // line 13
		700:  "extra@example.com,Bad,member,false,surplus",   // line 704
		1200: "badsend@example.com,Bad,member,maybe",         // line 1205
		1800: "wizard@example.com,Bad,wizard,false",          // line 1806: refused by the service
		2400: "person0001@example.com,Person 1,admin,false",  // line 2407: another invitation to row 3's invitee
		2450: ",Nobody,member,false",                         // line 2458: no invitee
		2499: "person0002@example.com,Person 2,member,false", // line 2508: the same as row 4
	}
	wantFailed := map[int]string{
		13:   codeMalformedRow,
		704:  codeMalformedRow,
		1205: codeMalformedRow,
		1806: invited.EINVALID,
		2407: invited.EINVITATIONEXISTS,
		2458: invited.EINVALID,
	}
	file := writeCSV(t, "people.csv", bad)
	report := filepath.Join(t.TempDir(), "report.csv")

	check := func(t *testing.T, r cliResult, wantCode, wantCreated, wantExists int) {
		t.Helper()
		if r.code() != wantCode {
			t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code(), wantCode, r.stdout, r.stderr)
		}
		rows := readReport(t, report)
		if len(rows) != bulkRows+len(bad) {
			t.Errorf("report has %d rows, want %d", len(rows), bulkRows+len(bad))
		}
		counts := map[string]int{}
		for line, row := range rows {
			counts[row.Outcome]++
			code, failed := wantFailed[line]
			switch {
			case failed && (row.Outcome != outcomeFailed || row.ErrorCode != code || row.Message == ""):
				t.Errorf("line %d: %+v, want failed with %s and a reason", line, row, code)
			case !failed && row.Outcome == outcomeFailed:
				t.Errorf("line %d failed: %+v", line, row)
			case !failed && !strings.HasPrefix(row.InvitationID, "inv_"):
				t.Errorf("line %d: no invitation id: %+v", line, row)
			}
		}
		if counts[outcomeCreated] != wantCreated || counts[outcomeExists] != wantExists {
			t.Errorf("report counts %v, want %d created and %d exists", counts, wantCreated, wantExists)
		}
		summary := fmt.Sprintf("%d rows: %d created, %d exists, %d failed", len(rows), wantCreated, wantExists, len(wantFailed))
		if !strings.Contains(r.stdout, summary) {
			t.Errorf("stdout %q, want %q", r.stdout, summary)
		}
		if n := invitationCount(t, env, org); n != bulkRows {
			t.Errorf("the organization has %d invitations, want %d", n, bulkRows)
		}
	}

	t.Run("first run", func(t *testing.T) {
		r := invitedCLI(env, "invite", org, "--csv", file, "--report", report)
		// The duplicate of row 4 in the same file is what row 4 asked for.
		check(t, r, exitRowsFailed, bulkRows, 1)
		// Not a terminal: a plain line per batch.
		for _, line := range []string{"invite: 1000/", "invite: 2000/", fmt.Sprintf("invite: %d/%d rows", bulkRows+len(bad), bulkRows+len(bad))} {
			if !strings.Contains(r.stderr, line) {
				t.Errorf("stderr has no %q:\n%s", line, r.stderr)
			}
		}
	})
	t.Run("second run creates nothing", func(t *testing.T) {
		check(t, invitedCLI(env, "invite", org, "--csv", file, "--report", report), exitRowsFailed, 0, bulkRows+1)
	})
	t.Run("good rows only", func(t *testing.T) {
		good := writeCSV(t, "good.csv", nil)
		r := invitedCLI(env, "invite", org, "--csv", good, "--batch-size", "900", "-o", "json")
		if r.code() != exitOK {
			t.Fatalf("exit %d: %s", r.code(), r.stderr)
		}
		var out struct {
			Rows, Created, Exists, Failed int
			Results                       []rowResult
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatal(err)
		}
		if out.Rows != bulkRows || out.Exists != bulkRows || len(out.Results) != bulkRows || out.Results[0].Row != 2 {
			t.Errorf("rows %d, created %d, exists %d, failed %d, %d results; want all %d exists",
				out.Rows, out.Created, out.Exists, out.Failed, len(out.Results), bulkRows)
		}
	})
	t.Run("without a report, failed rows on stderr", func(t *testing.T) {
		r := invitedCLI(env, "invite", org, "--csv", file)
		if r.code() != exitRowsFailed {
			t.Fatalf("exit %d: %s", r.code(), r.stderr)
		}
		for line, code := range wantFailed {
			if want := fmt.Sprintf("row %d: %s: ", line, code); !strings.Contains(r.stderr, want) {
				t.Errorf("stderr has no %q", want)
			}
		}
		if !strings.Contains(r.stderr, "invited: 6 of ") {
			t.Errorf("stderr does not end with the count of failed rows:\n%s", r.stderr[max(0, len(r.stderr)-300):])
		}
	})
}

func TestInviteCSVFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, stderr string
	}{
		{"empty", "", "the file is empty"},
		{"unknown column", "email,role\nann@example.com,member\n", `a column "role"`},
		{"twice", "email,email\n", "the column email twice"},
		{"unnamed column", "email,roles,\nann@example.com,member,\n", "leaves column 3 unnamed"},
	}
	env := map[string]string{"INVITED_URL": closedURL(t), "INVITED_API_KEY": cliAdminKey}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".csv")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			r := invitedCLI(env, "invite", "org_x", "--csv", path)
			if r.code() != exitFailure || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code(), r.stderr, exitFailure, tt.stderr)
			}
		})
	}
}

// TestInviteCSVRateLimited runs a file into an organization whose
// allowance runs out after the first batch. When the limit asks for a
// short wait the run sits it out and goes on; when it asks for longer than
// --max-wait, the run stops with the rate limit's exit code, the rows not
// sent say so, and a malformed row among them still says what is wrong
// with it.
func TestInviteCSVRateLimited(t *testing.T) {
	var b strings.Builder
	b.WriteString("email,roles\n")
	for i := range 9 {
		fmt.Fprintf(&b, "person%d@example.com,member\n", i)
	}
	b.WriteString("bad\"quote@example.com,member\n") // line 11, in the second batch
	file := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		limit   string // five invitations, then a wait of a whole period
		code    int
		stderr  string
		created int
		notSent string // the error code of lines 7 to 10, or "" when created
	}{
		{"5/2s", exitRowsFailed, "invite: rate_limited: waiting 2s\n", 9, ""},
		{"5/1h", exitRateLimited, "invited: rate_limited: ", 5, invited.ERATELIMITED},
	}
	for _, tt := range tests {
		t.Run(tt.limit, func(t *testing.T) {
			env := startCLIServer(t, map[string]string{"INVITED_RATE_LIMIT_CREATE": tt.limit})
			org := jsonID(t, invitedCLI(env, "orgs", "create", "Acme", "-o", "json"))
			report := filepath.Join(t.TempDir(), "report.csv")
			r := invitedCLI(env, "invite", org, "--csv", file, "--report", report, "--batch-size", "5", "--max-wait", "10s")
			if r.code() != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", r.code(), r.stderr, tt.code, tt.stderr)
			}
			rows := readReport(t, report)
			for line := 2; line <= 11; line++ {
				row := rows[line]
				switch {
				case (line <= 6 || line < 11 && tt.notSent == "") && row.Outcome != outcomeCreated:
					t.Errorf("line %d: %+v, want created", line, row)
				case line > 6 && line < 11 && tt.notSent != "" && (row.ErrorCode != tt.notSent || !strings.HasPrefix(row.Message, "not done: ")):
					t.Errorf("line %d: %+v, want failed, not done: %s", line, row, tt.notSent)
				case line == 11 && row.ErrorCode != codeMalformedRow:
					t.Errorf("line %d: %+v, want malformed", line, row)
				}
			}
			if n := invitationCount(t, env, org); n != tt.created {
				t.Errorf("%d invitations, want %d", n, tt.created)
			}
		})
	}
}

// TestReadCSV reads files into rows: the header's forms, cells over the
// flags' defaults, and the rows refused.
func TestReadCSV(t *testing.T) {
	send := false
	base := invited.InvitationCreate{Roles: []string{"member"}, Message: "Welcome"}
	tests := []struct {
		name, file string
		want       []csvRow // err compared by presence and text
	}{
		{"defaults", "email\nann@example.com\n", []csvRow{
			{line: 2, create: invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}, Message: "Welcome"}},
		}},
		{"header forms, cells over defaults", "\ufeffEMAIL, Roles ,send,message\nann@example.com,admin;owner  member,false,\n", []csvRow{
			{line: 2, create: invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"admin", "owner", "member"}, Send: &send, Message: "Welcome"}},
		}},
		{"byte order mark before a quoted header", "\ufeff\"email\",\"roles\"\r\nann@example.com,admin\r\n", []csvRow{
			{line: 2, create: invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"admin"}, Message: "Welcome"}},
		}},
		{"empty lines skipped", "phone,user_id\n,\n+14155550100,\n\n,usr_1\n", []csvRow{
			{line: 3, create: invited.InvitationCreate{Phone: "+14155550100", Roles: []string{"member"}, Message: "Welcome"}},
			{line: 5, create: invited.InvitationCreate{UserID: "usr_1", Roles: []string{"member"}, Message: "Welcome"}},
		}},
		{"bad cells", "email,expires_in,metadata,send,expires_at\na@example.com,soon,,,\nb@example.com,,{x,,\nc@example.com,,,maybe,\nd@example.com,,,,tomorrow\ne@example.com,7d,,,2026-12-31T18:00:00Z\n", []csvRow{
			{line: 2, err: errors.New(`expires_in: invalid duration "soon"`)},
			{line: 3, err: errors.New("metadata: not JSON")},
			{line: 4, err: errors.New(`send: "maybe" is not true or false`)},
			{line: 5, err: errors.New(`expires_at: "tomorrow" is not an RFC 3339 time`)},
			{line: 6, err: errors.New("expires_in and expires_at: give one of them, not both")},
		}},
		{"bad lines", "email,roles\na@example.com\n\"b@example.com\"x,member\nc@example.com,member\n", []csvRow{
			{line: 2, err: csv.ErrFieldCount},
			{line: 3, err: csv.ErrQuote},
			{line: 4, create: invited.InvitationCreate{Email: "c@example.com", Roles: []string{"member"}, Message: "Welcome"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := readCSV(strings.NewReader(tt.file), base)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(tt.want) {
				t.Fatalf("%d rows %+v, want %d", len(rows), rows, len(tt.want))
			}
			for i, got := range rows {
				want := tt.want[i]
				if got.line != want.line || (got.err == nil) != (want.err == nil) ||
					(got.err != nil && !strings.Contains(got.err.Error(), want.err.Error())) {
					t.Errorf("row %d: line %d, error %v; want line %d, error %v", i, got.line, got.err, want.line, want.err)
				}
				if want.err == nil && !reflect.DeepEqual(got.create, want.create) {
					t.Errorf("row %d: %+v, want %+v", i, got.create, want.create)
				}
			}
		})
	}
}

// TestInviteCSVMember runs a file naming someone who accepted an earlier
// invitation: the row is "exists", as the person is a member already.
func TestInviteCSVMember(t *testing.T) {
	env := startCLIServer(t, map[string]string{"INVITED_RATE_LIMIT_CREATE": "off"})
	org := jsonID(t, invitedCLI(env, "orgs", "create", "Acme", "-o", "json"))
	r := invitedCLI(env, "invite", org, "--email", "ann@example.com", "--role", "member", "-o", "json")
	link := jsonPath(t, r.stdout, "url")
	if r := invitedCLI(env, "invitations", "accept", link, "--external-id", "ann-1", "--email", "ann@example.com"); r.err != nil {
		t.Fatalf("accept: %s", r.stderr)
	}
	file := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(file, []byte("email\nann@example.com\nbob@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = invitedCLI(env, "invite", org, "--csv", file, "--role", "member", "-o", "json")
	if r.code() != exitOK {
		t.Fatalf("exit %d: %s", r.code(), r.stderr)
	}
	var out struct{ Results []rowResult }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	want := []string{outcomeExists + " " + invited.EALREADYMEMBER, outcomeCreated + " "}
	for i, row := range out.Results {
		if got := row.Outcome + " " + row.ErrorCode; got != want[i] {
			t.Errorf("row %d: %s, want %s", row.Row, got, want[i])
		}
	}
}
