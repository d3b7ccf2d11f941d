package browser

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core (axe/VERSION, MPL-2.0), vendored by
// axe/update.sh.
//
//go:embed axe/axe.min.js
var axeSource string

// violation is one rule axe-core finds broken, with where.
type violation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// runAxe checks the document with the options (%s) and returns the rules
// it breaks. It runs through the DevTools protocol, which the page's
// Content-Security-Policy does not govern: the pages themselves stay free
// of scripts.
const runAxe = `axe.run(document, %s).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help, targets: v.nodes.map(n => n.target.join(" ")),
})))`

// Accessible fails the test for every accessibility rule that axe-core
// finds the page in the tab to break, naming the page by name.
func Accessible(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	check(t, ctx, name, `{resultTypes: ["violations"]}`)
}

// Legible is Accessible with only axe-core's colour contrast rule, for a
// document that is not a page of its own, such as an email's HTML.
func Legible(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	check(t, ctx, name, `{runOnly: ["color-contrast"], resultTypes: ["violations"]}`)
}

func check(t testing.TB, ctx context.Context, name, options string) {
	t.Helper()
	// A page that navigated has lost it; the source's value is "true".
	if !Run(t, ctx, chromedp.Evaluate[bool](`typeof axe === "object"`)) {
		Run(t, ctx, chromedp.Evaluate[bool](axeSource+"\ntrue"))
	}
	for _, v := range Run(t, ctx, chromedp.Evaluate[[]violation](fmt.Sprintf(runAxe, options), chromedp.EvalAwaitPromise)) {
		t.Errorf("%s: axe-core %s (%s): %s, at %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Targets, "; "))
	}
}
