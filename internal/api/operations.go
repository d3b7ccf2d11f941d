package api

import (
	_ "embed"
	"fmt"
	"strings"
)

// operationsMarkdown holds the texts of the route table's operations: a
// "## operationId" heading each, its first line the summary and the rest
// the description.
//
//go:embed operations.md
var operationsMarkdown string

// operationText is an operation's summary and description.
type operationText struct{ summary, description string }

// operationTexts is operations.md by operationId.
var operationTexts = parseOperations(operationsMarkdown)

// parseOperations reads the "## operationId" sections of md; what precedes
// the first is the file's own introduction. A section without a summary,
// or a second section for one operationId, is a mistake in the file, which
// the first test run reveals.
func parseOperations(md string) map[string]operationText {
	texts := map[string]operationText{}
	sections := strings.Split("\n"+md, "\n## ")
	for _, sec := range sections[1:] {
		id, body, _ := strings.Cut(sec, "\n")
		id = strings.TrimSpace(id)
		summary, description, _ := strings.Cut(strings.TrimSpace(body), "\n")
		if summary == "" {
			panic(fmt.Sprintf("operations.md: %s has no summary", id))
		}
		if _, dup := texts[id]; dup {
			panic(fmt.Sprintf("operations.md: %s twice", id))
		}
		texts[id] = operationText{
			summary:     strings.TrimSpace(summary),
			description: unwrap(description),
		}
	}
	return texts
}

// unwrap joins the lines of each paragraph of s, so the file can be wrapped
// for reading; paragraphs stay apart.
func unwrap(s string) string {
	var paras []string
	for p := range strings.SplitSeq(strings.TrimSpace(s), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			paras = append(paras, p)
		}
	}
	return strings.Join(paras, "\n\n")
}
