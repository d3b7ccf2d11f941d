package web

import (
	"net/http"
	"time"

	"github.com/invitedhq/invited"
)

// sessionList is the page of the console sessions of the signed-in key or
// user.
type sessionList struct {
	frame
	Notice string
	// Current is the session of this browser.
	Current  *invited.ConsoleSession
	Sessions []*invited.ConsoleSession
	// Idle and Lifetime say when sessions end.
	Idle, Lifetime string
}

// sessions lists the console sessions of the signed-in key or user, this
// one marked, each with a button to end it.
func (c *console) sessions(w http.ResponseWriter, r *http.Request) {
	r = c.keyOrgLocale(r)
	loc := readerLocale(r)
	data := sessionList{
		frame: frame{SignedIn: true, Section: "sessions"}, Notice: notice(r), Current: currentSession(r.Context()),
		Idle:     loc.N("console.minutes", int(invited.ConsoleSessionIdle/time.Minute)),
		Lifetime: loc.N("console.hours", int(invited.ConsoleSessionLifetime/time.Hour)),
	}
	var err error
	if data.Sessions, err = c.deps.Sessions.FindConsoleSessions(r.Context()); err != nil {
		c.fail(w, r, defaultBrand, err)
		return
	}
	c.render(w, r, page{Template: "console/sessions", Title: loc.T("console.nav.sessions"), Data: data, Wide: true})
}

// endSession ends one of the credential's sessions: this browser's signs
// it out.
func (c *console) endSession(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := c.deps.Sessions.EndConsoleSession(r.Context(), id); err != nil {
		c.fail(w, r, defaultBrand, err)
		return
	}
	if currentSession(r.Context()).ID == id {
		c.setSession(w, "", -1)
		seeOther(w, sessionPath)
		return
	}
	seeOther(w, "/console/sessions?done=ended")
}
