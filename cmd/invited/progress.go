package main

import (
	"fmt"
	"io"
	"os"
	"time"

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

const barDescription = "inviting"

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total, counts: map[string]int{}}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(barDescription),
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
		p.bar.Describe(barDescription)
		p.bar.Add(len(results))
		return
	}
	fmt.Fprintf(p.w, "invite: %d/%d rows: %d created, %d exists, %d failed\n",
		p.done, p.total, p.counts[outcomeCreated], p.counts[outcomeExists], p.counts[outcomeFailed])
}

// wait says that the next batch waits d, because the service answered
// code.
func (p *progress) wait(code string, d time.Duration) {
	msg := fmt.Sprintf("%s: waiting %s", code, d)
	if p.bar != nil {
		p.bar.Describe(msg)
		return
	}
	fmt.Fprintf(p.w, "invite: %s\n", msg)
}
