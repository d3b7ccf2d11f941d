package main

import (
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

var joinLinkColumns = []column[*invited.JoinLink]{
	{"ID", func(l *invited.JoinLink) string { return l.ID }},
	{"ORG", func(l *invited.JoinLink) string { return l.OrgID }},
	{"STATUS", func(l *invited.JoinLink) string { return string(l.Status) }},
	{"ROLES", func(l *invited.JoinLink) string { return strings.Join(l.Roles, " ") }},
	{"USES", joinLinkUses},
	{"DOMAINS", func(l *invited.JoinLink) string { return strings.Join(l.AllowedEmailDomains, " ") }},
	{"EXPIRES", func(l *invited.JoinLink) string { return rfc3339(l.ExpiresAt) }},
	{"NOTE", func(l *invited.JoinLink) string { return l.Note }},
}

// joinLinkUses is a link's uses so far, out of its limit if it has one:
// "3/50", or "3".
func joinLinkUses(l *invited.JoinLink) string {
	uses := strconv.Itoa(l.Uses)
	if l.MaxUses == nil {
		return uses
	}
	return uses + "/" + strconv.Itoa(*l.MaxUses)
}

// showJoinLinkURL writes an answer that carries a join link's secret: with
// --output json the API's object (token and url included), else the link's
// table and then its URL on a line of its own, easy to copy.
func (c *cli) showJoinLinkURL(l *client.JoinLinkWithURL) error {
	if c.output == "json" {
		return writeJSON(c.stdout, l)
	}
	if err := show(c, []*invited.JoinLink{&l.JoinLink}, joinLinkColumns); err != nil {
		return err
	}
	_, err := fmt.Fprintf(c.stdout, "\nThe link to share, shown only this once (rotate for a new one):\n%s\n", l.URL)
	return err
}

// joinLinkFlags are the flags of join-links create.
type joinLinkFlags struct {
	org       string
	create    invited.JoinLinkCreate
	maxUses   int
	expiresIn string
}

// joinLink returns the link the flags describe; cmd says which were given.
func (f *joinLinkFlags) joinLink(cmd *cobra.Command) (invited.JoinLinkCreate, error) {
	c := f.create
	if cmd.Flags().Changed("max-uses") {
		c.MaxUses = &f.maxUses
	}
	var err error
	c.ExpiresIn, err = expiresIn(f.expiresIn)
	return c, err
}

func (c *cli) joinLinksCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "join-links", Short: "Create, list, read, revoke and rotate the multi-use links into an organization"}

	var f joinLinkFlags
	createCmd := apiCommand(c, "create --org ORG [flags]", "Create a join link; its URL is shown once", 0,
		func(cmd *cobra.Command, api *client.Client, _ []string) (*client.JoinLinkWithURL, error) {
			in, err := f.joinLink(cmd)
			if err != nil {
				return nil, err
			}
			return api.CreateJoinLink(fresh(cmd.Context()), f.org, in)
		}, c.showJoinLinkURL)
	createCmd.Long = `Create a join link: whoever holds its URL may join the organization with its
roles, up to --max-uses people and until it expires. The URL is printed once, on
a line of its own after the link's table (in "url" with -o json); keep it, or
rotate the link for a new one. Roles granting more than reading invitations and
members need --allow-privileged.`
	fl := createCmd.Flags()
	fl.StringVar(&f.org, "org", "", "the organization the link leads into (required)")
	fl.StringSliceVar(&f.create.Roles, "role", nil, "a role to grant (repeat, or comma-separate; default: the organization's default_roles)")
	fl.IntVar(&f.maxUses, "max-uses", 0, fmt.Sprintf("how many people may join through it, 1 to %d (default: any number until it expires)", invited.MaxJoinLinkUses))
	fl.StringVar(&f.expiresIn, "expires-in", "", "lifetime, e.g. 72h or 7d (default 7d, at most 90d)")
	fl.StringSliceVar(&f.create.AllowedEmailDomains, "domain", nil, "admit only verified addresses at this domain (repeat, or comma-separate)")
	fl.BoolVar(&f.create.AllowPrivileged, "allow-privileged", false, "allow roles that grant more than invitations:read and members:read")
	fl.StringVar(&f.create.Note, "note", "", "a note for the organization's admins, never shown to the link's holders")
	fl.StringVar(&f.create.Locale, "locale", "", "the BCP 47 language of the link's pages and confirmation email, e.g. de or pt-BR (default: the organization's default_locale)")
	createCmd.MarkFlagRequired("org")

	var filter invited.JoinLinkFilter
	listCmd := listCommand(c, "list --org ORG", "List an organization's join links, newest first", 0,
		func(cmd *cobra.Command, api *client.Client, _ []string) iter.Seq2[*invited.JoinLink, error] {
			return api.JoinLinks(cmd.Context(), filter)
		}, joinLinkColumns)
	listCmd.Flags().StringVar(&filter.OrgID, "org", "", "the organization (required)")
	listCmd.Flags().StringVar((*string)(&filter.Status), "status", "", "only those in this status: "+strings.Join(invited.Strings(invited.JoinLinkStatuses), ", "))
	listCmd.MarkFlagRequired("org")

	cmd.AddCommand(createCmd, listCmd,
		getCommand(c, "get ID", "Show a join link", 1,
			func(cmd *cobra.Command, api *client.Client, args []string) (*invited.JoinLink, error) {
				return api.GetJoinLink(cmd.Context(), args[0])
			}, joinLinkColumns),
		getCommand(c, "revoke ID", "Revoke a join link: it stops working at once; who joined stays", 1,
			func(cmd *cobra.Command, api *client.Client, args []string) (*invited.JoinLink, error) {
				return api.RevokeJoinLink(cmd.Context(), args[0])
			}, joinLinkColumns),
		apiCommand(c, "rotate ID", "Give a join link a new URL, shown once; the old one stops working", 1,
			func(cmd *cobra.Command, api *client.Client, args []string) (*client.JoinLinkWithURL, error) {
				return api.RotateJoinLink(cmd.Context(), args[0])
			}, c.showJoinLinkURL),
	)
	return cmd
}
