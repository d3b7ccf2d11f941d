package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/i18n"
)

const (
	// uploadChunk is how many invitations of an upload are created in one
	// CreateInvitations call: one step of the streamed report.
	uploadChunk = 50
	// uploadStepTimeout is how long one step may take to create and write:
	// each step extends the write deadline by it, so that a long upload
	// outlives the server's WriteTimeout while a stalled browser does not.
	uploadStepTimeout = time.Minute
)

// uploadColumns are the columns an upload may have, in the order the form
// describes them; email and roles are required.
var uploadColumns = []string{"email", "first_name", "last_name", "roles"}

// uploadPage is the upload form.
type uploadPage struct {
	frame
	Problem string
	MaxRows int
}

// uploadForm shows the upload form.
func (c *console) uploadForm(w http.ResponseWriter, r *http.Request, org *invited.Organization) {
	c.showUploadForm(w, r, org, http.StatusOK, "")
}

func (c *console) showUploadForm(w http.ResponseWriter, r *http.Request, org *invited.Organization, status int, problem string) {
	c.render(w, r, page{Status: status, Template: "console/upload", Title: readerLocale(r).T("console.upload.title"), Brand: brandOf(org),
		Data: uploadPage{frame: orgPage(org, "invitations"), Problem: problem, MaxRows: invited.MaxBatchSize}})
}

// uploadReport is the page that reports an upload while it happens.
type uploadReport struct {
	frame
	FileName string
	Total    int
	// Steps creates the invitations as the page is written, a chunk a
	// step, and counts them into Created and Failed for the summary that
	// follows.
	Steps           iter.Seq[reportStep]
	Created, Failed int
}

// reportStep is one chunk of an upload: its rows' outcomes, and how far
// the upload has come.
type reportStep struct {
	Rows        []reportRow
	Done, Total int
}

// reportRow is the outcome of one row of the file: Error is empty when the
// invitation was created.
type reportRow struct {
	Line  int
	Email string
	Error string
}

// upload creates the invitations of a CSV file and streams the report:
// each chunk's rows appear as soon as they are created. A file that cannot
// be read brings the form back with what is wrong, before anything is
// created.
func (c *console) upload(w http.ResponseWriter, r *http.Request, org *invited.Organization) {
	// Asked before streaming starts, so that it can still be an error page.
	if err := invited.ActorFromContext(r.Context()).Authorize(org.ID, invited.PermInvitationsCreate); err != nil {
		c.fail(w, r, brandOf(org), err)
		return
	}
	file, header, err := r.FormFile("csv")
	if err != nil {
		c.showUploadForm(w, r, org, http.StatusBadRequest, readerLocale(r).T("console.upload.choose"))
		return
	}
	defer file.Close()
	rows, err := readUpload(readerLocale(r), file)
	if err != nil {
		status, _ := httpkit.ErrorStatus(err)
		c.showUploadForm(w, r, org, status, c.problem(r, err))
		return
	}
	report := &uploadReport{frame: orgPage(org, "invitations"), FileName: header.Filename, Total: len(rows)}
	report.Steps = c.createSteps(w, r, org.ID, rows, report)
	c.stream(w, r, page{Template: "console/report", Title: readerLocale(r).T("console.report.title"), Brand: brandOf(org), Data: report, Wide: true})
	// The deadlines were this response's; the connection may serve more.
	http.NewResponseController(w).SetWriteDeadline(time.Time{})
}

// createSteps returns the steps of an upload of rows into orgID. Each step
// first sends the browser what the page has so far, then creates a chunk
// and counts its outcomes into report.
func (c *console) createSteps(w http.ResponseWriter, r *http.Request, orgID string, rows []uploadRow, report *uploadReport) iter.Seq[reportStep] {
	rc := http.NewResponseController(w)
	return func(yield func(reportStep) bool) {
		for done := 0; done < len(rows); {
			rc.Flush()
			rc.SetWriteDeadline(time.Now().Add(uploadStepTimeout))
			if r.Context().Err() != nil {
				return // the browser left: create no more
			}
			chunk := rows[done:min(done+uploadChunk, len(rows))]
			done += len(chunk)
			step := reportStep{Rows: c.createChunk(r, orgID, chunk), Done: done, Total: len(rows)}
			for _, row := range step.Rows {
				if row.Error == "" {
					report.Created++
				} else {
					report.Failed++
				}
			}
			if !yield(step) {
				return
			}
		}
	}
}

// createChunk creates the invitations of rows in one call. Each row spends
// the organization's allowance first, as a row of an API batch does; a
// row refused there is reported as rate limited and not created.
func (c *console) createChunk(r *http.Request, orgID string, rows []uploadRow) []reportRow {
	out := make([]reportRow, len(rows))
	var creates []invited.InvitationCreate
	var at []int // at[j] is the row of creates[j]
	for i, row := range rows {
		out[i] = reportRow{Line: row.Line, Email: strings.TrimSpace(row.Create.Email)}
		if err := c.spendCreate(r, orgID); err != nil {
			out[i].Error = c.problem(r, err)
			continue
		}
		creates = append(creates, row.Create)
		at = append(at, i)
	}
	if len(creates) == 0 {
		return out
	}
	results, err := c.deps.Invitations.CreateInvitations(r.Context(), orgID, creates)
	if err == nil && len(results) != len(creates) {
		err = fmt.Errorf("batch create returned %d results for %d invitations", len(results), len(creates))
	}
	if err != nil {
		// The whole chunk failed, each row for the same reason.
		problem := c.problem(r, err)
		for _, i := range at {
			out[i].Error = problem
		}
		return out
	}
	for j, res := range results {
		if res.Err != nil {
			out[at[j]].Error = c.problem(r, res.Err)
		}
	}
	return out
}

// uploadRow is one invitation of an upload, with the line of the file it
// is on.
type uploadRow struct {
	Line   int
	Create invited.InvitationCreate
}

// readUpload reads a CSV upload: a header row naming its columns, in any
// order (email and roles are required), then at most invited.MaxBatchSize
// rows, roles separated by spaces or semicolons. Rows are validated by the
// service, each on its own; what is wrong with the file as a whole is an
// invalid_request, written in loc for the person who uploaded it.
func readUpload(loc *i18n.Locale, file io.Reader) ([]uploadRow, error) {
	cr := csv.NewReader(file)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, uploadProblem(loc, "console.upload.problem.empty")
	}
	if err != nil {
		return nil, csvProblem(loc, err)
	}
	columns, err := uploadHeader(loc, header)
	if err != nil {
		return nil, err
	}
	value := func(record []string, column string) string {
		if i, ok := columns[column]; ok {
			return record[i]
		}
		return ""
	}
	var rows []uploadRow
	for {
		record, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvProblem(loc, err)
		}
		// Spreadsheets write empty rows as a line of commas.
		if !slices.ContainsFunc(record, func(s string) bool { return strings.TrimSpace(s) != "" }) {
			continue
		}
		if len(rows) == invited.MaxBatchSize {
			return nil, uploadProblem(loc, "console.upload.problem.too_many", "max", invited.MaxBatchSize)
		}
		line, _ := cr.FieldPos(0)
		rows = append(rows, uploadRow{Line: line, Create: invited.InvitationCreate{
			Email:     value(record, "email"),
			FirstName: value(record, "first_name"),
			LastName:  value(record, "last_name"),
			Roles: strings.FieldsFunc(value(record, "roles"), func(r rune) bool {
				return r == ';' || unicode.IsSpace(r)
			}),
		}})
	}
	if len(rows) == 0 {
		return nil, uploadProblem(loc, "console.upload.problem.no_rows")
	}
	return rows, nil
}

// uploadHeader returns the index of each column the header row names. An
// unknown column is refused rather than ignored: it is most likely a
// misspelt one whose values would be lost.
func uploadHeader(loc *i18n.Locale, header []string) (map[string]int, error) {
	columns := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))) // the byte order mark some spreadsheets write
		if _, dup := columns[name]; dup {
			return nil, uploadProblem(loc, "console.upload.problem.twice", "column", name)
		}
		if !slices.Contains(uploadColumns, name) {
			if r := []rune(name); len(r) > 40 {
				name = string(r[:40]) + "…"
			}
			return nil, uploadProblem(loc, "console.upload.problem.unknown", "column", strconv.Quote(name))
		}
		columns[name] = i
	}
	for _, required := range []string{"email", "roles"} {
		if _, ok := columns[required]; !ok {
			return nil, uploadProblem(loc, "console.upload.problem.missing", "column", required)
		}
	}
	return columns, nil
}

// csvProblem explains a CSV reader's error in loc; one that is not about
// the file's content stays internal.
func csvProblem(loc *i18n.Locale, err error) error {
	if _, ok := errors.AsType[*csv.ParseError](err); ok {
		return uploadProblem(loc, "console.upload.problem.csv", "error", err)
	}
	return err
}

// uploadProblem is an invalid_request of the message key in loc.
func uploadProblem(loc *i18n.Locale, key string, args ...any) error {
	return invited.Errorf(invited.EINVALID, "%s", loc.T(key, args...))
}
