package web

import (
	"net/http"
	"net/url"

	"github.com/invitedhq/invited"
)

// memberList is the page of an organization's members.
type memberList struct {
	frame
	Notice    string
	Members   []*invited.Member
	NextPage  string
	CanManage bool
}

// members lists the organization's members a page at a time.
func (c *console) members(w http.ResponseWriter, r *http.Request, org *invited.Organization) {
	token := r.URL.Query().Get("page_token")
	members, next, err := c.deps.Members.FindMembers(r.Context(), invited.MemberFilter{OrgID: org.ID, Page: invited.Page{PageToken: token}})
	if err != nil {
		c.fail(w, r, brandOf(org), err)
		return
	}
	data := memberList{
		frame:     orgPage(org, "members"),
		Notice:    notice(r),
		Members:   members,
		CanManage: invited.ActorFromContext(r.Context()).Can(org.ID, invited.PermMembersManage),
	}
	if next != "" {
		data.NextPage = pageURL(orgPath(org.ID, "/members"), url.Values{"page_token": {next}})
	}
	c.render(w, r, page{Template: "console/members", Title: readerLocale(r).T("console.nav.members"), Brand: brandOf(org), Data: data, Wide: true})
}

// memberForm is the form of a member's roles.
type memberForm struct {
	frame
	Member *invited.Member
	Roles  roleChoices
	Cancel string
}

// member shows a member's roles as checkboxes, the current ones checked.
func (c *console) member(w http.ResponseWriter, r *http.Request, org *invited.Organization) {
	m, err := c.deps.Members.FindMember(r.Context(), org.ID, r.PathValue("user"))
	if err != nil {
		c.fail(w, r, brandOf(org), err)
		return
	}
	roles, err := c.roleChoices(r.Context(), org.ID, m.Roles)
	if err != nil {
		c.fail(w, r, brandOf(org), err)
		return
	}
	c.render(w, r, page{Template: "console/member", Title: readerLocale(r).T("console.members.change"), Brand: brandOf(org),
		Data: memberForm{frame: orgPage(org, "members"), Member: m, Roles: roles, Cancel: orgPath(org.ID, "/members")}})
}

// updateMember replaces the member's roles with the ones checked. The
// service refuses what the actor may not grant, and taking the owner role
// from the last owner.
func (c *console) updateMember(w http.ResponseWriter, r *http.Request, org *invited.Organization) {
	// protect has parsed the form, to check its token.
	update := invited.MemberUpdate{Roles: r.PostForm["roles"]}
	if _, err := c.deps.Members.UpdateMember(r.Context(), org.ID, r.PathValue("user"), update); err != nil {
		c.fail(w, r, brandOf(org), err)
		return
	}
	seeOther(w, pageURL(orgPath(org.ID, "/members"), url.Values{"done": {"roles"}}))
}
