package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/invitedhq/invited/internal/testutil/browser"
)

// TestBrowserDocs uses the API reference at /docs (Swagger UI) as a
// developer would: a deep link opens one tag, "Try it out" calls the
// public token lookup, and after Authorize with the admin key it lists
// invitations, all under the page's Content-Security-Policy.
func TestBrowserDocs(t *testing.T) {
	srv, _ := browserServe(t)
	ctx := browser.Start(t)
	failOnPageProblems(t, ctx)

	// A tag's deep link opens that tag and no other.
	browser.Do(t, ctx,
		chromedp.Navigate(srv.URL+"/docs#/invitations"),
		chromedp.WaitVisible(chromedp.ID("operations-invitations-listInvitations")),
	)
	browser.Screenshot(t, ctx, "invitations")
	open := browser.Run(t, ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll(".opblock-tag-section.is-open .opblock-tag")].map(e => e.dataset.tag)`))
	if len(open) != 1 || open[0] != "invitations" {
		t.Errorf("open tags %q, want only invitations", open)
	}

	// The public lookup needs no key: a made-up token is not found.
	op := tryOperation(t, ctx, srv.URL+"/docs#/invitation-links/previewInvitation", "operations-invitation-links-previewInvitation",
		map[string]string{"token": "made-up-token"})
	browser.Screenshot(t, ctx, "preview-404")
	if status := responseStatus(t, ctx, op); status != "404" {
		t.Errorf("preview answered %s, want 404", status)
	}
	mustContain(t, "preview answer", responseBody(t, ctx, op), `"not_found"`)

	// Listing needs a key: Authorize with the admin key, then call.
	browser.Do(t, ctx,
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(srv.URL+"/docs#/invitations/listInvitations"),
		chromedp.Click(chromedp.CSS(".scheme-container .btn.authorize")),
		chromedp.SendKeys(chromedp.CSS(".modal-ux input"), browserAdminKey),
		chromedp.Click(chromedp.CSS(`.modal-ux button[aria-label="Apply credentials"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.modal-ux button[aria-label="Remove authorization"]`)),
	)
	browser.Screenshot(t, ctx, "authorized")
	browser.Do(t, ctx, chromedp.Click(chromedp.CSS(".modal-ux .btn-done")))
	op = tryOperation(t, ctx, "", "operations-invitations-listInvitations", nil)
	browser.Screenshot(t, ctx, "list-200")
	if status := responseStatus(t, ctx, op); status != "200" {
		t.Errorf("list answered %s, want 200", status)
	}
	mustContain(t, "list answer", responseBody(t, ctx, op), `"invitations"`, `"next_page_token"`)

	// persistAuthorization is off: the key is not kept in the browser.
	if stored := browser.Run(t, ctx, chromedp.Evaluate[string](`JSON.stringify(localStorage)`)); strings.Contains(stored, browserAdminKey) {
		t.Errorf("the API key is in localStorage: %s", stored)
	}
}

// tryOperation opens the operation with id (navigating to url first
// unless it is empty), presses "Try it out", fills params by name,
// executes, waits for the answer, and returns the operation's selector.
func tryOperation(t *testing.T, ctx context.Context, url, id string, params map[string]string) string {
	t.Helper()
	op := "#" + id
	var steps []chromedp.Action[chromedp.Void]
	if url != "" {
		steps = append(steps, chromedp.Navigate("about:blank"), chromedp.Navigate(url))
	}
	steps = append(steps,
		chromedp.WaitVisible(chromedp.CSS(op+" .try-out__btn")),
		chromedp.Click(chromedp.CSS(op+" .try-out__btn")),
	)
	for name, value := range params {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(op+` tr[data-param-name="`+name+`"] input`), value))
	}
	steps = append(steps,
		chromedp.Click(chromedp.CSS(op+" .btn.execute")),
		chromedp.WaitVisible(chromedp.CSS(op+" .live-responses-table .response .response-col_status")),
	)
	browser.Do(t, ctx, steps...)
	return op
}

func responseStatus(t *testing.T, ctx context.Context, op string) string {
	t.Helper()
	return strings.TrimSpace(browser.Run(t, ctx, chromedp.Text(chromedp.CSS(op+" .live-responses-table .response .response-col_status"))))
}

func responseBody(t *testing.T, ctx context.Context, op string) string {
	t.Helper()
	return browser.Run(t, ctx, chromedp.Text(chromedp.CSS(op+" .live-responses-table .response .response-col_description")))
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
