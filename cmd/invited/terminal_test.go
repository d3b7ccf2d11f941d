package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmux runs the program in a real terminal: a detached tmux session on a
// server of the test's own, which the test ends.
type tmux struct {
	t      *testing.T
	socket string
	lines  int // typed so far
}

// startTmux starts a session of 120×30 running sh with env, or skips the
// test when tmux is not installed (fails under CI=true).
func startTmux(t *testing.T, env map[string]string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed (apt-get install tmux), and CI=true")
		}
		t.Skip("tmux is not installed (apt-get install tmux): skipping the terminal test")
	}
	tm := &tmux{t: t, socket: filepath.Join(t.TempDir(), "tmux.sock")}
	args := []string{"new-session", "-d", "-s", "cli", "-x", "120", "-y", "30"}
	for k, v := range env {
		args = append(args, "-e", k+"="+v)
	}
	tm.run(append(args, "sh")...)
	t.Cleanup(func() { tm.run("kill-server") })
	return tm
}

func (tm *tmux) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// typeLine types line into the shell on a clear screen, and returns the
// screen once the line has run: the shell then says "exit=STATUS end-N",
// N the count of lines typed, which the line typed does not show.
func (tm *tmux) typeLine(line string) string {
	tm.t.Helper()
	tm.lines++
	done := fmt.Sprintf("end-%d", tm.lines)
	tm.run("send-keys", "-t", "cli", fmt.Sprintf("clear; %s; echo exit=$? end-$((%d+1))", line, tm.lines-1), "Enter")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		screen := tm.run("capture-pane", "-p", "-t", "cli")
		if strings.Contains(screen, done) {
			return screen
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the screen never showed %q:\n%s", done, screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestInviteCSVProgress runs invite --csv in a terminal, where it draws a
// progress bar, then with standard error in a pipe, where it writes plain
// lines instead.
func TestInviteCSVProgress(t *testing.T) {
	env := startCLIServer(t, map[string]string{"INVITED_RATE_LIMIT_CREATE": "off"})
	org := jsonID(t, invitedCLI(env, "orgs", "create", "Acme", "-o", "json"))
	file := writeCSV(t, "people.csv", nil)
	tm := startTmux(t, env)
	bin := filepath.Join(t.TempDir(), "invited")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	invite := fmt.Sprintf("%s invite %s --csv %s", bin, org, file)
	screen := tm.typeLine(invite)
	for _, want := range []string{
		fmt.Sprintf("inviting 100%% |%s| (%d/%d", strings.Repeat("█", 40), bulkRows, bulkRows),
		fmt.Sprintf("%d rows: %d created, 0 exists, 0 failed", bulkRows, bulkRows),
		"exit=0 end-1",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the terminal does not show %q:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "invite: ") {
		t.Errorf("the terminal shows plain progress lines:\n%s", screen)
	}

	screen = tm.typeLine(invite + " 2>&1 | cat")
	for i := 1000; i <= bulkRows; i += 1000 {
		if want := fmt.Sprintf("invite: %d/%d rows: 0 created, %d exists, 0 failed", i, bulkRows, i); !strings.Contains(screen, want) {
			t.Errorf("a pipe does not get %q:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "█") {
		t.Errorf("a pipe gets a progress bar:\n%s", screen)
	}
}
