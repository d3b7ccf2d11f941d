package web

import (
	"regexp"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/i18n"
)

// TestProblemsInCatalogs fails when a field problem the service can
// report (invited.ProblemCodes) has no message field.<code> in a catalog,
// when a catalog's field.<code> names no problem, and when a message
// leaves out an argument of the problem or names one it does not have:
// each problem is written, in every language, with a stand-in for each
// argument its English names ({n} a count).
func TestProblemsInCatalogs(t *testing.T) {
	placeholder := regexp.MustCompile(`\{([a-z_]+)\}`)
	codes := invited.ProblemCodes()
	if len(codes) < 50 {
		t.Fatalf("only %d problem codes", len(codes))
	}
	for _, loc := range i18n.All() {
		t.Run(loc.Name(), func(t *testing.T) {
			for _, code := range codes {
				if !loc.Has("field." + code) {
					t.Errorf("no message field.%s", code)
					continue
				}
				var args, want []any
				for _, m := range placeholder.FindAllStringSubmatch((invited.Problem{Code: code}).Text(), -1) {
					v := any("«" + m[1] + "»")
					if m[1] == "n" {
						v = 7
					}
					args, want = append(args, m[1], v), append(want, v)
				}
				e := invited.FieldErrors{"f": invited.Problemf(code, args...)}.Errorf(invited.EINVALID, "invalid")
				got := fieldProblem(loc, e, "f")
				if placeholder.MatchString(got) || got == "" {
					t.Errorf("field.%s: %q names an argument the problem does not have", code, got)
				}
				for _, v := range want {
					if s, _ := v.(string); s != "" && !strings.Contains(got, s) || s == "" && !strings.Contains(got, "7") {
						t.Errorf("field.%s: %q leaves out %v", code, got, v)
					}
				}
			}
			for _, k := range loc.Keys() {
				if code, ok := strings.CutPrefix(k, "field."); ok && (invited.Problem{Code: code}).Text() == "" {
					t.Errorf("%s names no problem the service reports", k)
				}
			}
		})
	}
}
