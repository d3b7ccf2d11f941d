package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// PreferColorScheme has the tab's pages see prefers-color-scheme as
// scheme, "light" or "dark", as if the reader's system were set so.
func PreferColorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// IsDark reports whether a computed CSS colour, rgb(r, g, b), is dark:
// its channels' mean under a fifth of the way to white.
func IsDark(rgb string) bool {
	var r, g, b int
	if _, err := fmt.Sscanf(rgb, "rgb(%d, %d, %d)", &r, &g, &b); err != nil {
		return false
	}
	return r+g+b < 3*255/5
}

// Roles counts the roles in the accessibility tree of the page in the
// tab, as a screen reader is told them, ignored nodes left out.
func Roles(t testing.TB, ctx context.Context) map[string]int {
	t.Helper()
	tree := Run(t, ctx, chromedp.Action[accessibility.GetFullAXTreeResult](func(ctx context.Context, t *chromedp.Target) (accessibility.GetFullAXTreeResult, error) {
		return cdp.Call(ctx, t, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	}))
	roles := map[string]int{}
	for _, n := range tree.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		var role string
		if err := json.Unmarshal(n.Role.Value, &role); err == nil {
			roles[role]++
		}
	}
	return roles
}
