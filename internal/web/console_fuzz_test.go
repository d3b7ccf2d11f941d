package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
)

// consoleForm is a form of the console that a fuzz target posts: where it
// posts to, given the path value the fuzzer chose, and how its fields are
// sent.
type consoleForm struct {
	path      func(value string) string
	multipart string // the file field, for a form that uploads; "" for an urlencoded form
}

// FuzzConsoleForms posts any fields to each form of the signed-in console
// (chosen by the first value; the second is the path's last parameter, the
// third the urlencoded fields or the uploaded file), with the form's CSRF
// token: whatever they are, the answer is a page or a redirect, never a
// server error, with the headers every page carries and none of the
// private strings (site.send's checks).
func FuzzConsoleForms(f *testing.F) {
	c := newConsole(f)
	org := c.org(f, "Acme", invited.OrgSettingsPatch{})
	inv, _ := c.inviteTo(f, org, "invitee@example.com")
	user := c.member(f, org, "member@example.com")
	c.signIn(f, c.adminKey)
	esc := func(v string) string {
		// A browser resolves dot segments before it sends a path, and no
		// page posts to an empty one.
		if v == "" || v == "." || v == ".." {
			v = "x"
		}
		return url.PathEscape(v)
	}
	forms := []consoleForm{
		{path: func(string) string { return "/console/sign-in" }},
		{path: func(string) string { return "/console/orgs/" + org.ID + "/invitations" }},
		{path: func(v string) string { return "/console/invitations/" + inv.ID + "/" + esc(v) }},
		{path: func(v string) string { return "/console/orgs/" + org.ID + "/members/" + esc(v) }},
		{path: func(v string) string { return "/console/orgs/" + org.ID + "/members/" + user }},
		{path: func(v string) string { return "/console/sessions/" + esc(v) + "/end" }},
		{path: func(string) string { return "/console/orgs/" + org.ID + "/invitations/upload" }, multipart: "csv"},
	}
	f.Fuzz(func(t *testing.T, sel uint8, value, fields string) {
		form := forms[int(sel)%len(forms)]
		var body bytes.Buffer
		contentType := "application/x-www-form-urlencoded"
		if form.multipart != "" {
			mw := multipart.NewWriter(&body)
			mw.WriteField(csrfField, c.csrf)
			fw, err := mw.CreateFormFile(form.multipart, "people.csv")
			if err != nil {
				t.Fatal(err)
			}
			fw.Write([]byte(fields))
			mw.Close()
			contentType = mw.FormDataContentType()
		} else {
			body.WriteString(fields + "&" + csrfField + "=" + c.csrf)
		}
		req, err := http.NewRequest("POST", c.srv.URL+form.path(value), &body)
		if err != nil {
			return // no browser could post there
		}
		req.Header.Set("Content-Type", contentType)
		a := c.do(t, req)
		if a.status >= 500 {
			t.Fatalf("POST %s with %q: status %d:\n%s", req.URL.Path, fields, a.status, a.body)
		}
		if a.status >= 400 && !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
			t.Fatalf("POST %s with %q: status %d as %q, not a page", req.URL.Path, fields, a.status, a.header.Get("Content-Type"))
		}
	})
}

// sendable reports whether a browser or a platform's redirect could put s
// in a request line as it is: no space and no control character.
func sendable(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f })
}
