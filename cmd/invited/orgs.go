package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/invitedhq/invited"
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
	createCmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an organization (admin key)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			create.Name = args[0]
			org, err := api.CreateOrganization(cmd.Context(), create)
			if err != nil {
				return err
			}
			return showOne(c, org, orgColumns)
		},
	}
	createCmd.Flags().StringVar(&create.Slug, "slug", "", "the organization's slug (default: made from the name)")
	cmd.AddCommand(createCmd,
		&cobra.Command{
			Use:   "list",
			Short: "List the organizations the key sees",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				api, err := c.client()
				if err != nil {
					return err
				}
				orgs, err := collect(api.Organizations(cmd.Context(), invited.OrganizationFilter{}))
				if err != nil {
					return err
				}
				return show(c, orgs, orgColumns)
			},
		},
		&cobra.Command{
			Use:   "get ORG",
			Short: "Show an organization",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				api, err := c.client()
				if err != nil {
					return err
				}
				org, err := api.GetOrganization(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return showOne(c, org, orgColumns)
			},
		},
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
		&cobra.Command{
			Use:   "list ORG",
			Short: "List the members of an organization",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				api, err := c.client()
				if err != nil {
					return err
				}
				members, err := collect(api.Members(cmd.Context(), invited.MemberFilter{OrgID: args[0]}))
				if err != nil {
					return err
				}
				return show(c, members, memberColumns)
			},
		},
		&cobra.Command{
			Use:   "remove ORG USER",
			Short: "Remove a member from an organization",
			Args:  cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				api, err := c.client()
				if err != nil {
					return err
				}
				return c.done(api.DeleteMember(cmd.Context(), args[0], args[1]), "removed %s from %s", args[1], args[0])
			},
		},
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
	cmd.AddCommand(&cobra.Command{
		Use:   "list ORG",
		Short: "List an organization's roles, built-in and custom",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			roles, err := api.ListRoles(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return show(c, roles.Roles, roleColumns)
		},
	})
	return cmd
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func joinPermissions(ps []invited.Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, " ")
}
