package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// csvColumns are the columns invite --csv reads, as docs/cli.md lists
// them. A header row names those a file has, in any order.
var csvColumns = []string{
	"email", "phone", "user_id", "roles", "first_name", "last_name", "message",
	"expires_in", "expires_at", "channel", "send", "redirect_url", "audience", "locale", "metadata",
}

// The outcomes of a row.
const (
	outcomeCreated = "created" // invited now
	outcomeExists  = "exists"  // invited before, as the row says, or a member already
	outcomeFailed  = "failed"  // not invited: see the code and message
)

// codeMalformedRow is the error code of a row refused before it was sent:
// the CSV record, or one of its cells, cannot be read.
const codeMalformedRow = "malformed_row"

const utf8BOM = "\ufeff"

// csvRow is one record of the file: the invitation it asks for, or why it
// cannot be read.
type csvRow struct {
	line   int // the line of the file it starts on; the header is line 1
	create invited.InvitationCreate
	err    error
}

// rowResult is the outcome of a row: a line of the report.
type rowResult struct {
	Row          int    `json:"row"`
	Invitee      string `json:"invitee,omitempty"`
	Outcome      string `json:"outcome"`
	InvitationID string `json:"invitation_id,omitempty"`
	ErrorCode    string `json:"error_code,omitempty"`
	Message      string `json:"message,omitempty"`
}

// reportHeader is the first line of a --report file.
var reportHeader = []string{"row", "invitee", "outcome", "invitation_id", "error_code", "message"}

func (r rowResult) record() []string {
	return []string{strconv.Itoa(r.Row), r.Invitee, r.Outcome, r.InvitationID, r.ErrorCode, r.Message}
}

// readCSV reads the rows of an invite --csv file. Each row starts from
// base, the flags, and its non-empty cells replace base's fields. A file
// whose header cannot be read is an error; a row that cannot be read is
// returned with its error, and the rows after it are read on.
func readCSV(r io.Reader, base invited.InvitationCreate) ([]csvRow, error) {
	// A spreadsheet's byte order mark goes before csv reads the header, whose
	// first name may be quoted ("\ufeff\"email\"" is a bare quote to csv).
	br := bufio.NewReader(r)
	if bom, err := br.Peek(len(utf8BOM)); err == nil && string(bom) == utf8BOM {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: its first line names the columns, e.g. email,roles")
	}
	if err != nil {
		return nil, fmt.Errorf("the header line: %w", err)
	}
	columns := make([]string, len(header))
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			return nil, fmt.Errorf("the header line leaves column %d unnamed (a stray comma?): name it, one of %s, or delete it", i+1, strings.Join(csvColumns, ", "))
		}
		if !slices.Contains(csvColumns, name) {
			return nil, fmt.Errorf("the header line names a column %q, which is not one of %s", name, strings.Join(csvColumns, ", "))
		}
		if slices.Contains(columns, name) {
			return nil, fmt.Errorf("the header line names the column %s twice", name)
		}
		columns[i] = name
	}
	var rows []csvRow
	for {
		record, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if pe, ok := errors.AsType[*csv.ParseError](err); ok {
			rows = append(rows, csvRow{line: pe.StartLine, err: pe.Err})
			continue
		}
		if err != nil {
			return nil, err
		}
		// Spreadsheets write empty rows as a line of commas.
		if !slices.ContainsFunc(record, func(s string) bool { return strings.TrimSpace(s) != "" }) {
			continue
		}
		line, _ := cr.FieldPos(0)
		c, err := parseRow(columns, record, base)
		rows = append(rows, csvRow{line: line, create: c, err: err})
	}
}

// parseRow reads one record's cells over base.
func parseRow(columns, record []string, base invited.InvitationCreate) (invited.InvitationCreate, error) {
	c := base
	text := map[string]*string{
		"email": &c.Email, "phone": &c.Phone, "user_id": &c.UserID, "first_name": &c.FirstName, "last_name": &c.LastName,
		"message": &c.Message, "channel": &c.Channel, "redirect_url": &c.RedirectURL, "audience": &c.Audience,
		"locale": &c.Locale,
	}
	var expiry string // the expiry cell seen, which excludes the other
	for i, name := range columns {
		v := strings.TrimSpace(record[i])
		if v == "" {
			continue
		}
		if p, ok := text[name]; ok {
			*p = v
			continue
		}
		if name == "expires_in" || name == "expires_at" {
			if expiry != "" {
				return c, fmt.Errorf("%s and %s: give one of them, not both", expiry, name)
			}
			expiry = name
		}
		var err error
		switch name {
		case "roles":
			c.Roles = strings.FieldsFunc(v, func(r rune) bool { return r == ';' || unicode.IsSpace(r) })
		case "expires_in":
			var d invited.Duration
			if d, err = invited.ParseDuration(v); err == nil {
				c.ExpiresIn, c.ExpiresAt = &d, nil
			}
		case "expires_at":
			if t, perr := time.Parse(time.RFC3339, v); perr != nil {
				err = fmt.Errorf("%q is not an RFC 3339 time, e.g. 2026-12-31T18:00:00Z", v)
			} else {
				c.ExpiresAt, c.ExpiresIn = &t, nil
			}
		case "send":
			if send, perr := strconv.ParseBool(v); perr != nil {
				err = fmt.Errorf("%q is not true or false", v)
			} else {
				c.Send = &send
			}
		case "metadata":
			if !json.Valid([]byte(v)) {
				err = errors.New("not JSON")
			}
			c.Metadata = json.RawMessage(v)
		}
		if err != nil {
			return c, fmt.Errorf("%s: %v", name, err)
		}
	}
	return c, nil
}

// rowsFailedError is the error of a bulk invite in which some rows failed
// and none stopped the rest.
type rowsFailedError struct{ failed, rows int }

func (e rowsFailedError) Error() string {
	return fmt.Sprintf("%d of %d rows failed", e.failed, e.rows)
}

// inviteCSV invites the rows of the file f.csv names into org.
func (c *cli) inviteCSV(ctx context.Context, org string, base invited.InvitationCreate, f inviteFlags) error {
	if f.batchSize < 1 || f.batchSize > invited.MaxBatchSize {
		return usageErrorf("--batch-size must be 1 to %d", invited.MaxBatchSize)
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	file, err := os.Open(f.csv)
	if err != nil {
		return err
	}
	defer file.Close()
	rows, err := readCSV(file, base)
	if err != nil {
		return fmt.Errorf("%s: %w", f.csv, err)
	}
	var report *csv.Writer
	var reportFile *os.File
	if f.report != "" {
		if reportFile, err = os.Create(f.report); err != nil {
			return err
		}
		defer reportFile.Close() // on an early return; the error is checked below
		report = csv.NewWriter(reportFile)
		report.Write(reportHeader)
	}

	b := &bulk{api: api, org: org, known: map[string]*invited.Invitation{}}
	progress := newProgress(c.stderr, len(rows))
	var results []rowResult
	var stop error // the error that ended the run early
	for chunk := range slices.Chunk(rows, f.batchSize) {
		done := refuseMalformed(chunk)
		if stop == nil {
			stop = b.invite(ctx, chunk, done, f.maxWait, progress)
		}
		if stop != nil {
			notSent(done, stop)
		}
		results = append(results, done...)
		progress.step(done)
		if report != nil {
			for _, r := range done {
				report.Write(r.record())
			}
			report.Flush()
		}
	}
	if report != nil {
		if err := cmp.Or(report.Error(), reportFile.Close()); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
	}
	return c.summarize(results, report == nil, stop)
}

// summarize tells the outcome of a bulk invite: on standard output, the
// counts, or with --output json every row's result; on standard error,
// when there is no report file, the rows that failed.
func (c *cli) summarize(results []rowResult, failedToStderr bool, stop error) error {
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Outcome]++
		if r.Outcome == outcomeFailed && failedToStderr {
			fmt.Fprintf(c.stderr, "row %d: %s: %s\n", r.Row, r.ErrorCode, r.Message)
		}
	}
	if c.output == "json" {
		if err := writeJSON(c.stdout, map[string]any{
			"rows": len(results), outcomeCreated: counts[outcomeCreated], outcomeExists: counts[outcomeExists],
			outcomeFailed: counts[outcomeFailed], "results": results,
		}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.stdout, "%d rows: %d created, %d exists, %d failed\n",
			len(results), counts[outcomeCreated], counts[outcomeExists], counts[outcomeFailed])
	}
	switch {
	case stop != nil:
		return stop
	case counts[outcomeFailed] > 0:
		return rowsFailedError{counts[outcomeFailed], len(results)}
	}
	return nil
}

// refuseMalformed returns the results of chunk with those of its
// malformed rows: failed, before anything is sent.
func refuseMalformed(chunk []csvRow) []rowResult {
	results := make([]rowResult, len(chunk))
	for i, row := range chunk {
		results[i] = rowResult{Row: row.line, Invitee: inviteeOf(row.create)}
		if row.err != nil {
			results[i].Outcome, results[i].ErrorCode, results[i].Message = outcomeFailed, codeMalformedRow, row.err.Error()
		}
	}
	return results
}

// notSent completes results with the rows that err left undecided: not
// sent, or sent and blocked by an invitation that could not be read.
func notSent(results []rowResult, err error) {
	code, msg := describe(err)
	if code == "" {
		code = "not_sent"
	}
	for i := range results {
		if results[i].Outcome == "" {
			results[i].Outcome, results[i].ErrorCode, results[i].Message = outcomeFailed, code, "not done: "+msg
		}
	}
}

// bulk is one run of invite --csv.
type bulk struct {
	api *client.Client
	org string
	// known are the open invitations of the organization, by id, to tell
	// whether one that blocks a row is what the row asks for: those
	// created in this run, and after the first invitation_exists also
	// those that were there before.
	known      map[string]*invited.Invitation
	listedOpen bool
}

// invite sends the rows of chunk that results leaves undecided in one
// batch request (sendWaiting), and completes their results. An error is
// the request's, which failed as a whole, or that of reading what blocks
// a row; the rows it left undecided stay so.
func (b *bulk) invite(ctx context.Context, chunk []csvRow, results []rowResult, maxWait time.Duration, p *progress) error {
	var creates []invited.InvitationCreate
	var at []int // at[j] is the index in chunk of creates[j]
	for i, row := range chunk {
		if results[i].Outcome == "" {
			creates = append(creates, row.create)
			at = append(at, i)
		}
	}
	if len(creates) == 0 {
		return nil
	}
	resp, err := b.sendWaiting(ctx, creates, maxWait, p)
	if err != nil {
		return err
	}
	if len(resp.Results) != len(creates) {
		return fmt.Errorf("the batch answered %d results for %d invitations", len(resp.Results), len(creates))
	}
	// Rows blocked by an open invitation are compared with it once the
	// others are done, as the invitation may be one of them.
	var blocked []int // indexes in creates
	for j, res := range resp.Results {
		r := &results[at[j]]
		switch {
		case res.Error == nil:
			r.Outcome, r.InvitationID = outcomeCreated, res.Invitation.ID
			b.known[res.Invitation.ID] = res.Invitation
		case res.Error.Code == invited.EINVITATIONEXISTS:
			blocked = append(blocked, j)
		case res.Error.Code == invited.EALREADYMEMBER:
			r.Outcome, r.ErrorCode, r.Message = outcomeExists, res.Error.Code, res.Error.Message
		default:
			r.Outcome, r.ErrorCode, r.Message = outcomeFailed, res.Error.Code, detailText(*res.Error)
		}
	}
	for _, j := range blocked {
		if err := b.compare(ctx, &results[at[j]], creates[j], resp.Results[j].Error); err != nil {
			return err
		}
	}
	return nil
}

// batchAttempts bounds the attempts of one batch request.
const batchAttempts = 5

// sendWaiting sends creates in one batch request, sent again after a 429
// or 503 that asks to wait at most maxWait, and saying so on p: a big
// batch can put the organization's allowance minutes into debt, which the
// client's own retries do not wait out. Every attempt carries the same
// Idempotency-Key and body, so the service answers one that it has done
// already with that answer instead of doing it again. Only this request
// is sent again: the reads of compare have the client's own retries.
func (b *bulk) sendWaiting(ctx context.Context, creates []invited.InvitationCreate, maxWait time.Duration, p *progress) (*client.BatchResponse, error) {
	// The key is new each run: a second run must not replay the first
	// run's answers, but meet its invitations (invitation_exists). The
	// waits are this loop's, not the client's.
	ctx = client.WithIdempotencyKey(ctx, rand.Text())
	api := b.api.With(client.WithRetry(client.RetryPolicy{}))
	for attempt := 1; ; attempt++ {
		resp, err := api.CreateInvitations(ctx, b.org, client.BatchRequest{Invitations: creates})
		e, ok := errors.AsType[*client.Error](err)
		if !ok || (e.StatusCode != http.StatusTooManyRequests && e.StatusCode != http.StatusServiceUnavailable) {
			return resp, err
		}
		wait := cmp.Or(e.RetryAfter, time.Second)
		if wait > maxWait || attempt == batchAttempts {
			return nil, err
		}
		p.wait(e.Code, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// compare completes the result r of a row refused because an open
// invitation to its invitee exists: "exists" when that invitation is what
// the row asks for, "failed" with what differs when it is not.
func (b *bulk) compare(ctx context.Context, r *rowResult, want invited.InvitationCreate, e *client.ErrorDetail) error {
	r.InvitationID = e.ExistingID
	got, err := b.open(ctx, e.ExistingID)
	if err != nil {
		return err
	}
	if diff := differences(want, got); len(diff) > 0 {
		r.Outcome, r.ErrorCode = outcomeFailed, e.Code
		r.Message = "an open invitation to this invitee differs in " + strings.Join(diff, ", ")
		return nil
	}
	r.Outcome = outcomeExists
	return nil
}

// open returns the open invitation id of the organization.
func (b *bulk) open(ctx context.Context, id string) (*invited.Invitation, error) {
	if inv, ok := b.known[id]; ok {
		return inv, nil
	}
	if !b.listedOpen {
		b.listedOpen = true
		for _, status := range []invited.Status{invited.StatusDraft, invited.StatusPending} {
			for inv, err := range b.api.Invitations(ctx, invited.InvitationFilter{OrgID: b.org, Status: status, Page: invited.Page{PageSize: invited.MaxPageSize}}) {
				if err != nil {
					return nil, err
				}
				b.known[inv.ID] = inv
			}
		}
		if inv, ok := b.known[id]; ok {
			return inv, nil
		}
	}
	// Made by someone else since the list.
	inv, err := b.api.GetInvitation(ctx, id)
	if err != nil {
		return nil, err
	}
	b.known[id] = inv
	return inv, nil
}

// differences names the fields in which the invitation got differs from
// want; a field want leaves to the service's default is not compared.
func differences(want invited.InvitationCreate, got *invited.Invitation) []string {
	var diff []string
	if len(want.Roles) > 0 && !sameSet(want.Roles, got.Roles) {
		diff = append(diff, fmt.Sprintf("roles (%s, not %s)", strings.Join(got.Roles, " "), strings.Join(want.Roles, " ")))
	}
	for _, f := range []struct{ name, want, got string }{
		{"first_name", want.FirstName, got.FirstName},
		{"last_name", want.LastName, got.LastName},
		{"message", want.Message, got.Message},
	} {
		if f.want != f.got {
			diff = append(diff, f.name)
		}
	}
	return diff
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// inviteeOf is whom a row invites: its email, phone and user id, of
// which the service accepts exactly one.
func inviteeOf(c invited.InvitationCreate) string {
	return strings.Join(slices.DeleteFunc([]string{c.Email, c.Phone, c.UserID}, func(s string) bool { return s == "" }), " ")
}
