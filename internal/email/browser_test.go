package email

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/testutil/browser"
)

// TestBrowserLetterColourSchemes opens the HTML of each letter in
// Chromium, as a mail client that honours the reader's colour scheme
// would show it, light and dark: the background follows the scheme, and
// axe-core finds no text of too little contrast, so the dark styles reach
// every coloured part.
func TestBrowserLetterColourSchemes(t *testing.T) {
	tt := mustTemplates(t, "")
	letters := map[string]string{}
	for _, kind := range invited.LetterKinds {
		letters["/"+kind] = mustRender(t, tt, fullLetter(kind)).HTML
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, letters[r.URL.Path])
	}))
	defer srv.Close()

	ctx := browser.Start(t)
	for _, scheme := range []struct {
		name string
		dark bool
	}{{"light", false}, {"dark", true}} {
		browser.Do(t, ctx, browser.PreferColorScheme(scheme.name))
		for _, kind := range invited.LetterKinds {
			t.Run(scheme.name+"/"+kind, func(t *testing.T) {
				browser.Do(t, ctx, chromedp.Navigate(srv.URL+"/"+kind), chromedp.WaitVisible(chromedp.CSS("body > div")))
				browser.Screenshot(t, ctx, kind)
				if bg := browser.Run(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`)); browser.IsDark(bg) != scheme.dark {
					t.Errorf("background %s in the %s scheme", bg, scheme.name)
				}
				browser.Legible(t, ctx, kind)
			})
		}
	}
}
