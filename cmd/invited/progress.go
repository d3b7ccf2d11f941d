package main

import (
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a bulk invite has come on w: a bar when w is a
// terminal, else a plain line per batch, for logs.
type progress struct {
	w      io.Writer
	bar    *progressbar.ProgressBar // nil when w is not a terminal
	total  int
	done   int
	counts map[string]int
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total, counts: map[string]int{}}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("inviting"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(40),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	}
	return p
}

// step counts the outcomes of a batch of rows.
func (p *progress) step(results []rowResult) {
	for _, r := range results {
		p.counts[r.Outcome]++
	}
	p.done += len(results)
	if p.bar != nil {
		p.bar.Add(len(results))
		return
	}
	fmt.Fprintf(p.w, "invite: %d/%d rows: %d created, %d exists, %d failed\n",
		p.done, p.total, p.counts[outcomeCreated], p.counts[outcomeExists], p.counts[outcomeFailed])
}
