package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/testutil/browser"
)

// TestBrowserDocs uses the API reference at /docs (Swagger UI) as a
// developer would: a deep link opens one tag, "Try it out" calls the
// public token lookup, and after Authorize with the admin key it lists
// invitations, all under the page's Content-Security-Policy.
func TestBrowserDocs(t *testing.T) {
	srv, _ := browserServe(t)
	org := newOrg(t, srv, "Initech", nil)
	inv := invite(t, srv, org, "", invited.InvitationCreate{Email: "peter@initech.example", Roles: []string{"member"}})
	ctx := browser.Start(t)
	failOnPageProblems(t, ctx)

	// A tag's deep link opens that tag and no other.
	browser.Do(t, ctx,
		load(srv.URL+"/docs#/invitations"),
		chromedp.WaitVisible(chromedp.ID("operations-invitations-listInvitations")),
	)
	browser.Screenshot(t, ctx, "invitations")
	open := browser.Run(t, ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll(".opblock-tag-section.is-open .opblock-tag")].map(e => e.dataset.tag)`))
	if len(open) != 1 || open[0] != "invitations" {
		t.Errorf("open tags %q, want only invitations", open)
	}

	// The public lookup needs no key: a made-up token is not found. The
	// page is opened under another name than the public URL (localhost,
	// not 127.0.0.1), as behind a published container port: "Try it out"
	// still calls the server that served the page.
	other := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	browser.Do(t, ctx, load(other+"/docs#/invitation-links/previewInvitation"))
	status, body := tryOut(t, ctx, "#operations-invitation-links-previewInvitation", map[string]string{"token": "made-up-token"})
	browser.Screenshot(t, ctx, "preview-404")
	if status != "404" {
		t.Errorf("preview answered %s, want 404", status)
	}
	mustContain(t, "preview answer", body, `"not_found"`)

	// Listing needs a key: Authorize with the admin key, then call; the
	// invitation made above is in the answer.
	browser.Do(t, ctx,
		load(srv.URL+"/docs#/invitations/listInvitations"),
		press(".scheme-container .btn.authorize"),
		chromedp.SendKeys(chromedp.CSS(".modal-ux input"), browserAdminKey),
		press(`.modal-ux button[aria-label="Apply credentials"]`),
		chromedp.WaitVisible(chromedp.CSS(`.modal-ux button[aria-label="Remove authorization"]`)),
	)
	browser.Screenshot(t, ctx, "authorized")
	browser.Do(t, ctx, press(".modal-ux .btn-done"))
	status, body = tryOut(t, ctx, "#operations-invitations-listInvitations", nil)
	browser.Screenshot(t, ctx, "list-200")
	if status != "200" {
		t.Errorf("list answered %s, want 200", status)
	}
	mustContain(t, "list answer", body, `"invitations"`, inv.ID, `"next_page_token"`)

	// persistAuthorization is off: the key is not kept in the browser.
	if stored := browser.Run(t, ctx, chromedp.Evaluate[string](`JSON.stringify(localStorage)`)); strings.Contains(stored, browserAdminKey) {
		t.Errorf("the API key is in localStorage: %s", stored)
	}
}

// load opens url in a fresh page: a navigation that changes only the
// fragment would keep the page, and what was typed into it.
func load(url string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Navigate("about:blank"), chromedp.Navigate(url))
}

// press clicks the element sel, once visible, through the DOM: a mouse
// click at its place could miss while Swagger UI scrolls smoothly to a
// deep-linked operation.
func press(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).click()`, sel)),
	)
}

// tryOut presses "Try it out" on the open operation op (a selector), fills
// in params by name, executes, and returns the status and the body of the
// answer the page shows.
func tryOut(t *testing.T, ctx context.Context, op string, params map[string]string) (status, body string) {
	t.Helper()
	steps := []chromedp.Action[chromedp.Void]{press(op + " .try-out__btn")}
	for name, value := range params {
		// Swagger UI takes a parameter's value after a pause in the
		// typing, or at once when the field loses focus.
		input := chromedp.CSS(op + ` tr[data-param-name="` + name + `"] input`)
		steps = append(steps, chromedp.SendKeys(input, value), chromedp.Blur(input))
	}
	answer := op + " .live-responses-table .response"
	steps = append(steps, press(op+" .btn.execute"), chromedp.WaitVisible(chromedp.CSS(answer)))
	browser.Do(t, ctx, steps...)
	status = browser.Run(t, ctx, chromedp.Text(chromedp.CSS(answer+" .response-col_status")))
	body = browser.Run(t, ctx, chromedp.Text(chromedp.CSS(answer+" .response-col_description")))
	return strings.TrimSpace(status), body
}

// failOnPageProblems fails t for every Content-Security-Policy violation
// (a browser log entry from source "security") and uncaught exception that
// the tab reports until the test ends.
func failOnPageProblems(t *testing.T, ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	messages := chromedp.Console(ctx)
	problems := make(chan []string)
	go func() {
		var found []string
		for m, err := range messages {
			if err != nil {
				break
			}
			if m.Source == "security" || m.IsException() {
				found = append(found, m.String())
			}
		}
		problems <- found
	}()
	t.Cleanup(func() {
		cancel()
		for _, p := range <-problems {
			t.Errorf("browser reported: %s", p)
		}
	})
}
