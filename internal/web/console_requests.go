package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/invitedhq/invited"
)

// JoinRequests is what the console needs of the join requests: the
// pending ones of an organization, and the decisions on them.
type JoinRequests interface {
	FindJoinRequests(ctx context.Context, f invited.JoinRequestFilter) ([]*invited.JoinRequest, string, error)
	FindJoinRequestByID(ctx context.Context, id string) (*invited.JoinRequest, error)
	DecideJoinRequest(ctx context.Context, id string, action invited.Action, d invited.JoinDecision) (*invited.JoinRequest, *invited.Membership, error)
}

// requestList is the page of an organization's pending join requests.
type requestList struct {
	frame
	Notice   string
	Requests []*invited.JoinRequest
	NextPage string
}

// joinRequests lists the organization's pending join requests, each with
// its approve and deny forms.
func (c *console) joinRequests(w http.ResponseWriter, r *http.Request, org *invited.Organization) {
	token := r.URL.Query().Get("page_token")
	requests, next, err := c.deps.JoinRequests.FindJoinRequests(r.Context(),
		invited.JoinRequestFilter{OrgID: org.ID, Status: invited.JoinRequestPending, Page: invited.Page{PageToken: token}})
	if err != nil {
		c.fail(w, r, brandOf(org), err)
		return
	}
	data := requestList{frame: orgPage(org, "requests"), Notice: notice(r), Requests: requests}
	if next != "" {
		data.NextPage = pageURL(orgPath(org.ID, "/join-requests"), url.Values{"page_token": {next}})
	}
	c.render(w, r, page{Template: "console/join-requests", Title: readerLocale(r).T("console.nav.requests"), Brand: brandOf(org), Data: data, Wide: true})
}

// decisions are the console's words for the decisions on a request.
var decisions = map[string]invited.Action{"approve": invited.ActionApprove, "deny": invited.ActionDeny}

// decideJoinRequest approves or denies the request, with the note typed
// beside the button, and goes back to the list. The service checks that
// the actor may decide it, and the request must be of the organization of
// the path, whose page the answer returns to.
func (c *console) decideJoinRequest(w http.ResponseWriter, r *http.Request, org *invited.Organization) {
	action, ok := decisions[r.PathValue("decision")]
	if !ok {
		c.notFound(w, r)
		return
	}
	req, err := c.deps.JoinRequests.FindJoinRequestByID(r.Context(), r.PathValue("id"))
	if err == nil && req.OrgID != org.ID {
		err = invited.Errorf(invited.ENOTFOUND, "join request not found")
	}
	if err != nil {
		c.fail(w, r, brandOf(org), err)
		return
	}
	// protect has parsed the form, to check its token.
	if _, _, err := c.deps.JoinRequests.DecideJoinRequest(r.Context(), req.ID, action, invited.JoinDecision{Note: r.PostForm.Get("note")}); err != nil {
		c.fail(w, r, brandOf(org), err)
		return
	}
	seeOther(w, pageURL(orgPath(org.ID, "/join-requests"), url.Values{"done": {string(action) + "d"}}))
}
