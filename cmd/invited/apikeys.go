package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

var apiKeyColumns = []column[*invited.APIKey]{
	{"ID", func(k *invited.APIKey) string { return k.ID }},
	{"NAME", func(k *invited.APIKey) string { return k.Name }},
	{"ORG", func(k *invited.APIKey) string { return k.OrgID }},
	{"ADMIN", func(k *invited.APIKey) string { return yesNo(k.Admin) }},
	{"PERMISSIONS", func(k *invited.APIKey) string { return joinPermissions(k.Permissions) }},
	{"PREFIX", func(k *invited.APIKey) string { return k.Prefix }},
	{"REVOKED", func(k *invited.APIKey) string { return rfc3339OrEmpty(k.RevokedAt) }},
}

func (c *cli) apiKeysCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "api-keys", Short: "Create, list and revoke API keys (not the signing keys of acceptance tickets)"}
	var create invited.APIKeyCreate
	var permissions []string
	createCmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an API key; its secret is shown once",
		Long: `Create an API key: --admin for a system-wide key, or --org with --permission
for a key bound to one organization. The secret (ik_…) is printed once; keep it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			create.Name = args[0]
			for _, p := range permissions {
				create.Permissions = append(create.Permissions, invited.Permission(p))
			}
			key, err := api.CreateAPIKey(cmd.Context(), create)
			if err != nil {
				return err
			}
			return showOne(c, key, append(withSecret(apiKeyColumns), column[*client.APIKeyWithSecret]{
				"SECRET", func(k *client.APIKeyWithSecret) string { return k.Secret }}))
		},
	}
	f := createCmd.Flags()
	f.StringVar(&create.OrgID, "org", "", "the organization the key is bound to")
	f.BoolVar(&create.Admin, "admin", false, "a system-wide admin key")
	f.StringSliceVar(&permissions, "permission", nil, "a permission of the key in --org (repeat, or comma-separate): "+joinPermissions(invited.AllPermissions))
	createCmd.MarkFlagsMutuallyExclusive("admin", "org")

	var org string
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List API keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			keys, err := collect(api.APIKeys(cmd.Context(), invited.APIKeyFilter{OrgID: org}))
			if err != nil {
				return err
			}
			return show(c, keys, apiKeyColumns)
		},
	}
	listCmd.Flags().StringVar(&org, "org", "", "only the keys of this organization")

	cmd.AddCommand(createCmd, listCmd, &cobra.Command{
		Use:   "revoke KEY",
		Short: "Revoke an API key: it stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			return c.done(api.DeleteAPIKey(cmd.Context(), args[0]), "revoked %s", args[0])
		},
	})
	return cmd
}

// withSecret turns the columns of a key into those of a new key.
func withSecret(cols []column[*invited.APIKey]) []column[*client.APIKeyWithSecret] {
	out := make([]column[*client.APIKeyWithSecret], len(cols))
	for i, col := range cols {
		out[i] = column[*client.APIKeyWithSecret]{col.name, func(k *client.APIKeyWithSecret) string { return col.value(&k.APIKey) }}
	}
	return out
}

var webhookColumns = []column[*invited.Webhook]{
	{"ID", func(w *invited.Webhook) string { return w.ID }},
	{"ORG", func(w *invited.Webhook) string { return w.OrgID }},
	{"URL", func(w *invited.Webhook) string { return w.URL }},
	{"EVENTS", func(w *invited.Webhook) string { return strings.Join(w.Events, " ") }},
	{"CREATED", func(w *invited.Webhook) string { return rfc3339(w.CreatedAt) }},
}

func (c *cli) webhooksCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "webhooks", Short: "List webhook endpoints"}
	var org string
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List webhook endpoints",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			hooks, err := collect(api.Webhooks(cmd.Context(), invited.WebhookFilter{OrgID: org}))
			if err != nil {
				return err
			}
			return show(c, hooks, webhookColumns)
		},
	}
	listCmd.Flags().StringVar(&org, "org", "", "only the endpoints of this organization")
	cmd.AddCommand(listCmd)
	return cmd
}

// done reports an action that answers nothing: a line for people, or
// {"done": …} with --output json.
func (c *cli) done(err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	msg := fmt.Sprintf(format, args...)
	if c.output == "json" {
		return writeJSON(c.stdout, map[string]string{"done": msg})
	}
	_, err = fmt.Fprintln(c.stdout, msg)
	return err
}
