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
	{"LOCALE", func(o *invited.Organization) string { return o.Settings.DefaultLocale }},
	{"CREATED", func(o *invited.Organization) string { return rfc3339(o.CreatedAt) }},
}

// defaultLocaleUsage is the help of the organization's --default-locale.
const defaultLocaleUsage = "the language (BCP 47 tag, such as de or pt-BR) of the pages, emails and texts of its invitations and join links that name none, and of its console; \"\" for none (docs/i18n.md)"

func (c *cli) orgsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "orgs", Short: "Create, list, read and update organizations"}
	var create invited.OrganizationCreate
	var locale string // --default-locale, of create and update
	createCmd := getCommand(c, "create NAME", "Create an organization (admin key)", 1,
		func(cmd *cobra.Command, api *client.Client, args []string) (*invited.Organization, error) {
			create.Name = args[0]
			if cmd.Flags().Changed("default-locale") {
				create.Settings = &invited.OrgSettingsPatch{DefaultLocale: &locale}
			}
			return api.CreateOrganization(fresh(cmd.Context()), create)
		}, orgColumns)
	createCmd.Flags().StringVar(&create.Slug, "slug", "", "the organization's slug (default: made from the name)")
	createCmd.Flags().StringVar(&locale, "default-locale", "", defaultLocaleUsage)
	var update invited.OrgSettingsPatch
	updateCmd := getCommand(c, "update ORG [flags]", "Change an organization's settings", 1,
		func(cmd *cobra.Command, api *client.Client, args []string) (*invited.Organization, error) {
			if cmd.Flags().Changed("default-locale") {
				update.DefaultLocale = &locale
			}
			return api.UpdateOrganization(cmd.Context(), args[0], invited.OrganizationUpdate{Settings: &update})
		}, orgColumns)
	updateCmd.Flags().StringVar(&locale, "default-locale", "", defaultLocaleUsage)
	cmd.AddCommand(createCmd, updateCmd,
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
