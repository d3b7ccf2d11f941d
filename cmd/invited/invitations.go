package main

import (
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

var invitationColumns = []column[*invited.Invitation]{
	{"ID", func(i *invited.Invitation) string { return i.ID }},
	{"ORG", func(i *invited.Invitation) string { return i.OrgID }},
	{"STATUS", func(i *invited.Invitation) string { return string(i.Status) }},
	{"INVITEE", func(i *invited.Invitation) string { return i.Email + i.Phone + i.UserID }}, // exactly one is set
	{"ROLES", func(i *invited.Invitation) string { return strings.Join(i.Roles, " ") }},
	{"EXPIRES", func(i *invited.Invitation) string { return rfc3339(i.ExpiresAt) }},
}

// linkColumns are the columns of an answer that carries the secret link.
var linkColumns = append(embedded(invitationColumns, func(i *client.InvitationWithURL) *invited.Invitation { return &i.Invitation }),
	column[*client.InvitationWithURL]{"URL", func(i *client.InvitationWithURL) string { return i.URL }})

// inviteFlags are the flags of invite: the invitation, or with --csv the
// defaults of the file's rows.
type inviteFlags struct {
	create    invited.InvitationCreate
	expiresIn string
	draft     bool

	csv, report string
	batchSize   int
	maxWait     time.Duration
}

// base returns the invitation the flags describe.
func (f *inviteFlags) base() (invited.InvitationCreate, error) {
	c := f.create
	var err error
	c.ExpiresIn, err = expiresIn(f.expiresIn)
	if f.draft {
		c.Send = new(false)
	}
	return c, err
}

// expiresIn reads an --expires-in flag: nil when it is not given.
func expiresIn(flag string) (*invited.Duration, error) {
	if flag == "" {
		return nil, nil
	}
	d, err := invited.ParseDuration(flag)
	if err != nil {
		return nil, usageErrorf("--expires-in: %v", err)
	}
	return &d, nil
}

func (c *cli) inviteCommand() *cobra.Command {
	var f inviteFlags
	cmd := &cobra.Command{
		Use:   "invite ORG (--email ADDRESS | --phone NUMBER | --user-id USER | --csv FILE) [flags]",
		Short: "Invite someone to an organization, or everyone in a CSV file",
		Long: `Invite one person, addressed by --email, --phone or --user-id, or every row of a
CSV file (--csv; columns in docs/cli.md). With --csv the other flags are the
defaults of the rows' empty cells; rows go through the batch endpoint in chunks
of --batch-size, a progress bar shows on a terminal, and --report FILE gets
one line per row. Running the same file again creates nothing twice: rows
already invited are reported as "exists".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			base, err := f.base()
			if err != nil {
				return err
			}
			if f.csv != "" {
				return c.inviteCSV(cmd.Context(), args[0], base, f)
			}
			for _, name := range []string{"report", "batch-size", "max-wait"} {
				if cmd.Flags().Changed(name) {
					return usageErrorf("--%s goes with --csv", name)
				}
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			inv, err := api.CreateInvitation(fresh(cmd.Context()), args[0], base)
			if err != nil {
				return err
			}
			return showOne(c, inv, linkColumns)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.create.Email, "email", "", "the invitee's email address")
	fl.StringVar(&f.create.Phone, "phone", "", "the invitee's phone number, E.164 (+14155550100)")
	fl.StringVar(&f.create.UserID, "user-id", "", "the invitee's user id (usr_…)")
	fl.StringSliceVar(&f.create.Roles, "role", nil, "a role to grant (repeat, or comma-separate), or the CSV's roles column (default: the organization's default_roles)")
	fl.StringVar(&f.create.FirstName, "first-name", "", "the invitee's first name")
	fl.StringVar(&f.create.LastName, "last-name", "", "the invitee's last name")
	fl.StringVar(&f.create.Message, "message", "", "a message to the invitee (at most 2000 characters)")
	fl.StringVar(&f.expiresIn, "expires-in", "", "lifetime, e.g. 72h or 7d (default: the organization's invitation_ttl)")
	fl.StringVar(&f.create.Channel, "channel", "", "email or sms (default: email for an email address, sms for a phone number)")
	fl.StringVar(&f.create.RedirectURL, "redirect-url", "", "where the invitee goes after accepting: a URL of an allowed origin of the organization, or a path on the origin of its default_redirect_url")
	fl.StringVar(&f.create.Audience, "audience", "", "the host-app client the invitee signs into")
	fl.StringVar(&f.create.Locale, "locale", "", "the BCP 47 language of the invitee's pages and messages, e.g. de or pt-BR (default: the organization's default_locale)")
	fl.BoolVar(&f.draft, "draft", false, "create a draft, sent later with 'invited invitations send'")
	fl.StringVar(&f.csv, "csv", "", "invite every row of this CSV file")
	fl.StringVar(&f.report, "report", "", "with --csv: write the per-row report to this CSV file")
	fl.DurationVar(&f.maxWait, "max-wait", 5*time.Minute, "with --csv: the longest wait for the rate limit to sit out before a batch; longer stops the run")
	fl.IntVar(&f.batchSize, "batch-size", invited.MaxBatchSize, fmt.Sprintf("with --csv: rows per batch request (1 to %d)", invited.MaxBatchSize))
	cmd.MarkFlagsMutuallyExclusive("email", "phone", "user-id", "csv")
	cmd.MarkFlagsOneRequired("email", "phone", "user-id", "csv")
	return cmd
}

func (c *cli) invitationsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "invitations", Short: "List, read, send, resend, renew, revoke, preview and accept invitations"}

	var filter invited.InvitationFilter
	listCmd := listCommand(c, "list", "List invitations, newest first", 0,
		func(cmd *cobra.Command, api *client.Client, _ []string) iter.Seq2[*invited.Invitation, error] {
			return api.Invitations(cmd.Context(), filter)
		}, invitationColumns)
	listCmd.Flags().StringVar(&filter.OrgID, "org", "", "only this organization's")
	listCmd.Flags().StringVar((*string)(&filter.Status), "status", "", "only those in this status: draft, pending, accepted, declined, revoked, expired, archived")
	listCmd.Flags().StringVar(&filter.Email, "email", "", "only those to this email address")

	var renewal string
	renewCmd := linkCommand(c, "renew ID", "Give a pending or expired invitation a new expiry; the link stays",
		func(cmd *cobra.Command, api *client.Client, id string) (*client.InvitationWithURL, error) {
			d, err := expiresIn(renewal)
			if err != nil {
				return nil, err
			}
			return withURL(api.RenewInvitation(cmd.Context(), id, invited.Renewal{ExpiresIn: d}))
		})
	renewCmd.Flags().StringVar(&renewal, "expires-in", "", "new lifetime from now, e.g. 72h or 7d (default: the organization's invitation_ttl)")

	cmd.AddCommand(listCmd, renewCmd,
		linkCommand(c, "get ID", "Show an invitation", func(cmd *cobra.Command, api *client.Client, id string) (*client.InvitationWithURL, error) {
			return withURL(api.GetInvitation(cmd.Context(), id))
		}),
		linkCommand(c, "send ID", "Send a draft: it becomes pending and is delivered", func(cmd *cobra.Command, api *client.Client, id string) (*client.InvitationWithURL, error) {
			return api.SendInvitation(cmd.Context(), id)
		}),
		linkCommand(c, "resend ID", "Deliver a new link; the previous one stops working", func(cmd *cobra.Command, api *client.Client, id string) (*client.InvitationWithURL, error) {
			return api.ResendInvitation(cmd.Context(), id)
		}),
		linkCommand(c, "revoke ID", "Revoke an invitation: its link stops working", func(cmd *cobra.Command, api *client.Client, id string) (*client.InvitationWithURL, error) {
			return withURL(api.RevokeInvitation(cmd.Context(), id))
		}),
		c.previewCommand(),
		c.acceptCommand(),
	)
	return cmd
}

// linkCommand is a command on the invitation ID that answers it, and its
// link when the action issues one.
func linkCommand(c *cli, use, short string, act func(*cobra.Command, *client.Client, string) (*client.InvitationWithURL, error)) *cobra.Command {
	return getCommand(c, use, short, 1, func(cmd *cobra.Command, api *client.Client, args []string) (*client.InvitationWithURL, error) {
		return act(cmd, api, args[0])
	}, linkColumns)
}

// withURL is an answer without a link as one that could have carried it.
func withURL(inv *invited.Invitation, err error) (*client.InvitationWithURL, error) {
	if err != nil {
		return nil, err
	}
	return &client.InvitationWithURL{Invitation: *inv}, nil
}

// linkToken is the token of an invitation link, or arg itself when it is
// the token already.
func linkToken(arg string) string {
	if i := strings.LastIndex(arg, "/i/"); i >= 0 {
		return arg[i+len("/i/"):]
	}
	return arg
}

var previewColumns = []column[*invited.InvitationPreview]{
	{"STATUS", func(p *invited.InvitationPreview) string { return string(p.Status) }},
	{"ORG", func(p *invited.InvitationPreview) string { return p.Organization.Name }},
	{"INVITER", func(p *invited.InvitationPreview) string { return p.Inviter.Name }},
	{"INVITEE", func(p *invited.InvitationPreview) string { return p.Invitee.FirstName }},
	{"ROLES", func(p *invited.InvitationPreview) string { return strings.Join(p.Roles, " ") }},
	{"EXPIRES", func(p *invited.InvitationPreview) string { return rfc3339(p.ExpiresAt) }},
}

func (c *cli) previewCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "preview URL|TOKEN",
		Short: "Show what an invitation link offers, as the invitee sees it (no API key needed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.anonymous()
			if err != nil {
				return err
			}
			p, err := api.PreviewInvitation(cmd.Context(), linkToken(args[0]))
			if err != nil {
				return err
			}
			return showOne(c, p, previewColumns)
		},
	}
}

var acceptanceColumns = []column[*invited.Acceptance]{
	{"ORG", func(a *invited.Acceptance) string { return a.Membership.OrgID }},
	{"USER", func(a *invited.Acceptance) string { return a.Membership.UserID }},
	{"ROLES", func(a *invited.Acceptance) string { return strings.Join(a.Membership.Roles, " ") }},
	{"REDIRECT", func(a *invited.Acceptance) string { return a.RedirectURL }},
}

func (c *cli) acceptCommand() *cobra.Command {
	var user invited.Acceptor
	cmd := getCommand(c, "accept URL|TOKEN (--user USER | --external-id ID) [--email ADDRESS] [--phone NUMBER] [--name NAME]",
		"Accept an invitation on behalf of a person the API key vouches for", 1,
		func(cmd *cobra.Command, api *client.Client, args []string) (*invited.Acceptance, error) {
			return api.AcceptInvitation(cmd.Context(), linkToken(args[0]), &user)
		}, acceptanceColumns)
	cmd.Long = `Accept an invitation for a person, as a host application does with its API key:
--user names an existing user (usr_…), --external-id the host application's id
(a user is created on first acceptance). Invitees normally accept on the
hosted page of the link; this is for support and for trying the flow out.`
	f := cmd.Flags()
	f.StringVar(&user.ID, "user", "", "the existing user who accepts (usr_…)")
	f.StringVar(&user.ExternalID, "external-id", "", "the host application's id of the person who accepts")
	f.StringVar(&user.Email, "email", "", "the person's email address")
	f.StringVar(&user.Phone, "phone", "", "the person's phone number")
	f.StringVar(&user.Name, "name", "", "the person's name")
	cmd.MarkFlagsOneRequired("user", "external-id")
	cmd.MarkFlagsMutuallyExclusive("user", "external-id")
	return cmd
}
