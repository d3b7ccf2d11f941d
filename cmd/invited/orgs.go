package main

import (
	"iter"
	"strings"

	"github.com/spf13/cobra"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

var orgColumns = []column[*invited.Organization]{
	{"ID", func(o *invited.Organization) string { return o.ID }},
	{"SLUG", func(o *invited.Organization) string { return o.Slug }},
	{"NAME", func(o *invited.Organization) string { return o.Name }},
	{"CREATED", func(o *invited.Organization) string { return rfc3339(o.CreatedAt) }},
}

func (c *cli) orgsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "orgs", Short: "Create, list and read organizations"}
	var create invited.OrganizationCreate
	createCmd := getCommand(c, "create NAME", "Create an organization (admin key)", 1,
		func(cmd *cobra.Command, api *client.Client, args []string) (*invited.Organization, error) {
			create.Name = args[0]
			return api.CreateOrganization(fresh(cmd.Context()), create)
		}, orgColumns)
	createCmd.Flags().StringVar(&create.Slug, "slug", "", "the organization's slug (default: made from the name)")
	cmd.AddCommand(createCmd,
		listCommand(c, "list", "List the organizations the key sees", 0,
			func(cmd *cobra.Command, api *client.Client, _ []string) iter.Seq2[*invited.Organization, error] {
				return api.Organizations(cmd.Context(), invited.OrganizationFilter{})
			}, orgColumns),
		getCommand(c, "get ORG", "Show an organization", 1,
			func(cmd *cobra.Command, api *client.Client, args []string) (*invited.Organization, error) {
				return api.GetOrganization(cmd.Context(), args[0])
			}, orgColumns),
	)
	return cmd
}

var memberColumns = []column[*invited.Member]{
	{"USER", func(m *invited.Member) string { return m.UserID }},
	{"EMAIL", func(m *invited.Member) string { return m.User.Email }},
	{"NAME", func(m *invited.Member) string { return m.User.Name }},
	{"ROLES", func(m *invited.Member) string { return strings.Join(m.Roles, " ") }},
	{"SINCE", func(m *invited.Member) string { return rfc3339(m.CreatedAt) }},
}

func (c *cli) membersCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "members", Short: "List and remove the members of an organization"}
	cmd.AddCommand(
		listCommand(c, "list ORG", "List the members of an organization", 1,
			func(cmd *cobra.Command, api *client.Client, args []string) iter.Seq2[*invited.Member, error] {
				return api.Members(cmd.Context(), invited.MemberFilter{OrgID: args[0]})
			}, memberColumns),
		doCommand(c, "remove ORG USER", "Remove a member from an organization", 2,
			func(cmd *cobra.Command, api *client.Client, args []string) (string, error) {
				return "removed " + args[1] + " from " + args[0], api.DeleteMember(cmd.Context(), args[0], args[1])
			}),
	)
	return cmd
}

var roleColumns = []column[*invited.Role]{
	{"NAME", func(r *invited.Role) string { return r.Name }},
	{"BUILT-IN", func(r *invited.Role) string { return yesNo(r.BuiltIn) }},
	{"PERMISSIONS", func(r *invited.Role) string { return joinPermissions(r.Permissions) }},
	{"DESCRIPTION", func(r *invited.Role) string { return r.Description }},
}

func (c *cli) rolesCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "roles", Short: "List an organization's roles"}
	cmd.AddCommand(apiCommand(c, "list ORG", "List an organization's roles, built-in and custom", 1,
		func(cmd *cobra.Command, api *client.Client, args []string) (client.RoleList, error) {
			return api.ListRoles(cmd.Context(), args[0])
		},
		func(roles client.RoleList) error { return show(c, roles.Roles, roleColumns) }))
	return cmd
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func joinPermissions(ps []invited.Permission) string {
	return strings.Join(invited.Strings(ps), " ")
}
