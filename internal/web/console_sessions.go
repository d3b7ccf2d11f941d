package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/invitedhq/invited"
)

// sessionList is the page of the signed-in key's console sessions.
type sessionList struct {
	frame
	Notice string
	// Current is the session of this browser; nil when signed in with a
	// user access token, which has no console sessions.
	Current  *invited.ConsoleSession
	Sessions []*invited.ConsoleSession
	// Idle and Lifetime say when sessions end.
	Idle, Lifetime string
}

// sessions lists the console sessions of the signed-in key, this one
// marked, each with a button to end it.
func (c *console) sessions(w http.ResponseWriter, r *http.Request) {
	data := sessionList{
		frame: frame{SignedIn: true, Section: "sessions"}, Notice: notice(r), Current: currentSession(r.Context()),
		Idle:     fmt.Sprintf("%d minutes", invited.ConsoleSessionIdle/time.Minute),
		Lifetime: fmt.Sprintf("%d hours", invited.ConsoleSessionLifetime/time.Hour),
	}
	if data.Current != nil {
		var err error
		if data.Sessions, err = c.deps.Sessions.FindConsoleSessions(r.Context()); err != nil {
			c.fail(w, r, defaultBrand, err)
			return
		}
	}
	c.render(w, r, page{Template: "console/sessions", Title: "Sessions", Data: data, Wide: true})
}

// endSession ends one of the key's sessions: this browser's signs it out.
func (c *console) endSession(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := c.deps.Sessions.EndConsoleSession(r.Context(), id); err != nil {
		c.fail(w, r, defaultBrand, err)
		return
	}
	if s := currentSession(r.Context()); s != nil && s.ID == id {
		c.setSession(w, "", -1)
		seeOther(w, sessionPath)
		return
	}
	seeOther(w, "/console/sessions?done=ended")
}
