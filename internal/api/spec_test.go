package api

import (
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/invitedhq/invited/internal/metrics"
	"github.com/invitedhq/invited/internal/openapi"
)

// fullRoutes is the route table of a server with every optional route.
func fullRoutes() []openapi.Route {
	return Routes(Deps{Metrics: metrics.New(prometheus.NewRegistry())})
}

// TestOperationTexts checks operations.md against the route table: every
// operation has a summary there, and every entry names an operation.
func TestOperationTexts(t *testing.T) {
	ids := map[string]bool{}
	for _, rt := range fullRoutes() {
		ids[rt.OperationID] = true
		if _, ok := operationTexts[rt.OperationID]; !ok {
			t.Errorf("%s (%s) has no entry in operations.md", rt.OperationID, rt.Pattern())
		}
	}
	for id := range operationTexts {
		if !ids[id] {
			t.Errorf("operations.md: %s is no operation", id)
		}
	}
}

func TestParseOperations(t *testing.T) {
	got := parseOperations("# Intro\n\ntext\n\n## a\nSummary A\n\nLine one\nline two.\n\nSecond.\n\n## b\nSummary B\n")
	want := map[string]operationText{
		"a": {"Summary A", "Line one line two.\n\nSecond."},
		"b": {"Summary B", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %+v, want %+v", id, got[id], w)
		}
	}
}

// TestTags checks that every operation has one tag of the document's list,
// and that every tag of the list is used.
func TestTags(t *testing.T) {
	var names []string
	for _, tag := range tags {
		names = append(names, tag.Name)
	}
	used := map[string]bool{}
	for _, rt := range fullRoutes() {
		if len(rt.Tags) != 1 || !slices.Contains(names, rt.Tags[0]) {
			t.Errorf("%s: tags %q, want one of %q", rt.OperationID, rt.Tags, names)
			continue
		}
		used[rt.Tags[0]] = true
	}
	for _, n := range names {
		if !used[n] {
			t.Errorf("tag %s has no operation", n)
		}
	}
}
