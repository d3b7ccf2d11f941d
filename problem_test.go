package invited_test

import (
	"errors"
	"testing"

	"github.com/invitedhq/invited"
)

// TestProblem: a field problem keeps its code and arguments for a
// transport that translates it, and its English, arguments filled in, is
// the error's Fields, as the API writes them.
func TestProblem(t *testing.T) {
	f := invited.FieldErrors{}
	f.Add("roles", invited.Problemf("unknown_role", "role", `"wizard"`))
	f.Add("roles", invited.Problemf("no_roles")) // the first problem stays
	f.Add("name", invited.Problemf("too_long", "n", 200))
	var e *invited.Error
	if !errors.As(f.Err(), &e) || e.Code != invited.EINVALID {
		t.Fatalf("Err() = %v", f.Err())
	}
	if e.Fields["roles"] != `unknown role "wizard"` || e.Fields["name"] != "at most 200 characters" || len(e.Fields) != 2 {
		t.Errorf("fields %v", e.Fields)
	}
	if p := e.Problems["roles"]; p.Code != "unknown_role" {
		t.Errorf("problems %v", e.Problems)
	}
	if n, ok := e.Problems["name"].Arg("n"); !ok || n != 200 {
		t.Errorf("n = %v, %v", n, ok)
	}
	if (invited.FieldErrors{}).Err() != nil {
		t.Error("no problems, yet an error")
	}
	for _, code := range invited.ProblemCodes() {
		if (invited.Problem{Code: code}).Text() == "" {
			t.Errorf("%s has no English", code)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a problem without a text was made")
		}
	}()
	invited.Problemf("no_such_problem")
}
