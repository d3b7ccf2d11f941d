package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/httpkit"
)

// invitationList is the page of an organization's invitations.
type invitationList struct {
	frame
	Notice      string
	Status      string // the filters
	Email       string
	Statuses    []invited.Status
	Invitations []listedInvitation
	NextPage    string
	CanCreate   bool
}

// listedInvitation is an invitation with the changes the actor may make
// to it now.
type listedInvitation struct {
	*invited.Invitation
	Actions []*invitationAction
}

// invitations lists the organization's invitations, filtered and a page at
// a time like GET /v1/invitations.
func (c *console) invitations(w http.ResponseWriter, r *http.Request, org *invited.Organization) {
	q := r.URL.Query()
	filter := invited.InvitationFilter{OrgID: org.ID, Status: invited.Status(q.Get("status")), Email: strings.TrimSpace(q.Get("email")),
		Page: invited.Page{PageToken: q.Get("page_token")}}
	invs, next, err := c.deps.Invitations.FindInvitations(r.Context(), filter)
	if err != nil {
		c.fail(w, r, brandOf(org), err)
		return
	}
	actor := invited.ActorFromContext(r.Context())
	data := invitationList{
		frame:     orgPage(org, "invitations"),
		Notice:    notice(r),
		Status:    string(filter.Status),
		Email:     filter.Email,
		Statuses:  invited.Statuses,
		CanCreate: actor.Can(org.ID, invited.PermInvitationsCreate),
	}
	for _, inv := range invs {
		data.Invitations = append(data.Invitations, listedInvitation{Invitation: inv, Actions: actionsOn(actor, inv)})
	}
	if next != "" {
		data.NextPage = pageURL(orgPath(org.ID, "/invitations"), url.Values{
			"status": {data.Status}, "email": {data.Email}, "page_token": {next}})
	}
	c.render(w, r, page{Template: "console/invitations", Title: readerLocale(r).T("console.nav.invitations"), Brand: brandOf(org), Data: data, Wide: true})
}

// invitationAction is a change to an invitation that the admin confirms
// on a page of its own before it happens.
type invitationAction struct {
	Name   string // in the path, and the class of its links
	Label  string // the catalog's key of its links
	Title  string // the key of its confirmation page's title
	Button string // the key of its button
	Danger bool
	action invited.Action // and the permission it needs (Action.Permission)
	done   string         // the notice after it
	// do makes the change; r is the confirmation form.
	do func(c *console, r *http.Request, id string) error
}

// invitationActions are the changes the console offers, in the order of
// their links.
var invitationActions = []*invitationAction{
	{Name: "resend", Label: "console.action.resend", Title: "console.action.resend.title", Button: "console.action.resend.button",
		action: invited.ActionResend, done: "resent",
		do: func(c *console, r *http.Request, id string) error {
			// The new link goes out by the invitation's channel; the
			// console never shows it.
			_, _, err := c.deps.Invitations.ResendInvitation(r.Context(), id)
			return err
		}},
	{Name: "renew", Label: "console.action.renew", Title: "console.action.renew.title", Button: "console.action.renew.button",
		action: invited.ActionRenew, done: "renewed",
		do: func(c *console, r *http.Request, id string) error {
			f := invited.FieldErrors{}
			renewal := invited.Renewal{ExpiresIn: parseLifetime(r, f)}
			if err := f.Err(); err != nil {
				return err
			}
			_, err := c.deps.Invitations.RenewInvitation(r.Context(), id, renewal)
			return err
		}},
	{Name: "revoke", Label: "console.action.revoke", Title: "console.action.revoke.title", Button: "console.action.revoke.button", Danger: true,
		action: invited.ActionRevoke, done: "revoked",
		do: func(c *console, r *http.Request, id string) error {
			_, err := c.deps.Invitations.RevokeInvitation(r.Context(), id)
			return err
		}},
}

// allowed reports whether the state machine lets a move inv now and the
// actor holds the permission for it. The service decides again when it
// happens; this only spares the admin links that cannot work.
func (a *invitationAction) allowed(actor *invited.Actor, inv *invited.Invitation) bool {
	_, err := invited.InvitationLifecycle.Transition(inv.Status, a.action)
	return err == nil && actor.Can(inv.OrgID, a.action.Permission())
}

// actionsOn returns the actions the actor may take on inv now.
func actionsOn(actor *invited.Actor, inv *invited.Invitation) []*invitationAction {
	var out []*invitationAction
	for _, a := range invitationActions {
		if a.allowed(actor, inv) {
			out = append(out, a)
		}
	}
	return out
}

// invitationHandler serves the confirmation of action a on inv, of org.
type invitationHandler func(w http.ResponseWriter, r *http.Request, a *invitationAction, inv *invited.Invitation, org *invited.Organization)

// onInvitation serves h with the action and the invitation of the path.
// An invitation the actor may not read is not_found, as in the API.
func (c *console) onInvitation(h invitationHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var a *invitationAction
		for _, candidate := range invitationActions {
			if candidate.Name == r.PathValue("action") {
				a = candidate
			}
		}
		if a == nil {
			c.notFound(w, r)
			return
		}
		inv, err := c.deps.Invitations.FindInvitationByID(r.Context(), r.PathValue("id"))
		if err != nil {
			c.fail(w, r, defaultBrand, err)
			return
		}
		org, err := c.deps.Orgs.FindOrganizationByID(r.Context(), inv.OrgID)
		if err != nil {
			c.fail(w, r, defaultBrand, err)
			return
		}
		h(w, inLocaleOf(r, "", org), a, inv, org)
	}
}

// confirmation is the page that asks before an action.
type confirmation struct {
	frame
	Action     *invitationAction
	Invitation *invited.Invitation
	Cancel     string
	Lifetime   field // renew's expires_in
}

// confirm asks whether to take the action, saying what it will do to
// whom. An action the invitation's status does not allow answers the
// state machine's error instead.
func (c *console) confirm(w http.ResponseWriter, r *http.Request, a *invitationAction, inv *invited.Invitation, org *invited.Organization) {
	if _, err := invited.InvitationLifecycle.Transition(inv.Status, a.action); err != nil {
		c.fail(w, r, brandOf(org), err)
		return
	}
	c.showConfirmation(w, r, a, inv, org, nil)
}

// showConfirmation renders the confirmation; err is what went wrong with
// the form sent, if anything.
func (c *console) showConfirmation(w http.ResponseWriter, r *http.Request, a *invitationAction, inv *invited.Invitation, org *invited.Organization, err *invited.Error) {
	loc := readerLocale(r)
	data := confirmation{
		frame:      orgPage(org, "invitations"),
		Action:     a,
		Invitation: inv,
		Cancel:     orgPath(org.ID, "/invitations"),
		Lifetime: field{Name: "expires_in", Label: loc.T("console.field.new_lifetime"), Type: "text", Value: r.PostFormValue("expires_in"),
			Hint: loc.T("console.field.new_lifetime_hint", "default", lifetime(org.Settings.TTL()))},
	}
	status := http.StatusOK
	if err != nil {
		status, _ = httpkit.ErrorStatus(err)
		data.Lifetime.Error = cmp.Or(fieldProblem(loc, err, "expires_in"), c.problem(r, err))
	}
	c.render(w, r, page{Status: status, Template: "console/confirm", Title: loc.T(a.Title), Brand: brandOf(org), Data: data})
}

// perform takes the confirmed action and goes back to the list with a
// notice. A form mistake (renew's lifetime) comes back to the form; any
// other refusal is an error page with the API's status.
func (c *console) perform(w http.ResponseWriter, r *http.Request, a *invitationAction, inv *invited.Invitation, org *invited.Organization) {
	err := a.do(c, r, inv.ID)
	if e, ok := errors.AsType[*invited.Error](err); ok && e.Code == invited.EINVALID && len(e.Fields) > 0 {
		c.showConfirmation(w, r, a, inv, org, e)
		return
	}
	if err != nil {
		c.fail(w, r, brandOf(org), err)
		return
	}
	seeOther(w, pageURL(orgPath(org.ID, "/invitations"), url.Values{"done": {a.done}}))
}

// field is a text input of a form, with its label, hint and problem.
type field struct {
	Name, Label, Type, Value, Hint, Error, Autocomplete string
	Required                                            bool
}

// invitationForm is the form that invites one person.
type invitationForm struct {
	frame
	Email, FirstName, LastName, ExpiresIn field
	Message                               string
	Roles                                 roleChoices
	Errors                                map[string]string
	Problem                               string // what is wrong with the form as a whole
}

// newInvitation shows an empty invitation form.
func (c *console) newInvitation(w http.ResponseWriter, r *http.Request, org *invited.Organization) {
	c.showInvitationForm(w, r, org, http.StatusOK, nil)
}

// showInvitationForm renders the invitation form with the values r sent,
// and err's problems.
func (c *console) showInvitationForm(w http.ResponseWriter, r *http.Request, org *invited.Organization, status int, err *invited.Error) {
	checked := r.PostForm["roles"]
	if r.Method == http.MethodGet {
		checked = org.Settings.DefaultRoles
	}
	roles, rerr := c.roleChoices(r.Context(), org.ID, checked)
	if rerr != nil {
		c.fail(w, r, brandOf(org), rerr)
		return
	}
	loc := readerLocale(r)
	data := invitationForm{
		frame:     orgPage(org, "invitations"),
		Email:     field{Name: "email", Label: loc.T("console.field.email"), Type: "email", Autocomplete: "off", Required: true},
		FirstName: field{Name: "first_name", Label: loc.T("console.field.first_name"), Type: "text", Autocomplete: "off"},
		LastName:  field{Name: "last_name", Label: loc.T("console.field.last_name"), Type: "text", Autocomplete: "off"},
		ExpiresIn: field{Name: "expires_in", Label: loc.T("console.field.lifetime"), Type: "text",
			Hint: loc.T("console.field.lifetime_hint", "default", lifetime(org.Settings.TTL()))},
		Message: r.PostFormValue("message"),
		Roles:   roles,
	}
	if err != nil {
		data.Errors = fieldProblems(loc, err)
		if len(err.Fields) == 0 {
			data.Problem = consoleMessage(loc, err)
		}
		data.Roles.Error = data.Errors["roles"]
	}
	for _, f := range []*field{&data.Email, &data.FirstName, &data.LastName, &data.ExpiresIn} {
		f.Value = r.PostFormValue(f.Name)
		f.Error = data.Errors[f.Name]
	}
	c.render(w, r, page{Status: status, Template: "console/new", Title: loc.T("console.invitations.invite"), Brand: brandOf(org), Data: data})
}

// roleChoices are the role checkboxes of a form.
type roleChoices struct {
	Roles   []*invited.Role
	Checked map[string]bool
	Error   string
}

// roleChoices returns the organization's roles to choose from, those named
// in checked checked.
func (c *console) roleChoices(ctx context.Context, orgID string, checked []string) (roleChoices, error) {
	roles, err := c.deps.Roles.FindRoles(ctx, orgID)
	if err != nil {
		return roleChoices{}, err
	}
	choices := roleChoices{Roles: roles, Checked: map[string]bool{}}
	for _, role := range checked {
		choices.Checked[role] = true
	}
	return choices, nil
}

// createdInvitation is the page that shows a new invitation and, this
// once, its link.
type createdInvitation struct {
	frame
	Invitation *invited.Invitation
	URL        string
}

// createInvitation creates an invitation from the form, spending the
// organization's allowance as the API does, and shows its link once. A
// mistake in the form, or an invitee who is already invited or a member,
// brings the form back with what was typed.
func (c *console) createInvitation(w http.ResponseWriter, r *http.Request, org *invited.Organization) {
	f := invited.FieldErrors{}
	create := invited.InvitationCreate{
		Email:     r.PostFormValue("email"),
		FirstName: r.PostFormValue("first_name"),
		LastName:  r.PostFormValue("last_name"),
		Roles:     r.PostForm["roles"],
		Message:   r.PostFormValue("message"),
		ExpiresIn: parseLifetime(r, f),
	}
	err := f.Err()
	if err == nil {
		err = c.spendCreate(r, org.ID)
	}
	var inv *invited.Invitation
	var token string
	if err == nil {
		inv, token, err = c.deps.Invitations.CreateInvitation(r.Context(), org.ID, create)
	}
	if e, ok := errors.AsType[*invited.Error](err); ok {
		switch e.Code {
		case invited.EINVALID, invited.EINVITATIONEXISTS, invited.EALREADYMEMBER:
			status, _ := httpkit.ErrorStatus(e)
			c.showInvitationForm(w, r, org, status, e)
			return
		}
	}
	if err != nil {
		c.fail(w, r, brandOf(org), err)
		return
	}
	c.render(w, r, page{Template: "console/created", Title: readerLocale(r).T("console.created.title"), Brand: brandOf(org),
		Data: createdInvitation{frame: orgPage(org, "invitations"), Invitation: inv, URL: invited.InvitationLink(c.deps.PublicURL, token)}})
}
