package main

import (
	"iter"
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

// newKeyColumns are the columns of a new key: those of a key, and its
// secret.
var newKeyColumns = append(embedded(apiKeyColumns, func(k *client.APIKeyWithSecret) *invited.APIKey { return &k.APIKey }),
	column[*client.APIKeyWithSecret]{"SECRET", func(k *client.APIKeyWithSecret) string { return k.Secret }})

func (c *cli) apiKeysCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "api-keys", Short: "Create, list and revoke API keys (not the signing keys of acceptance tickets)"}
	var create invited.APIKeyCreate
	var permissions []string
	createCmd := getCommand(c, "create NAME", "Create an API key; its secret is shown once", 1,
		func(cmd *cobra.Command, api *client.Client, args []string) (*client.APIKeyWithSecret, error) {
			create.Name = args[0]
			for _, p := range permissions {
				create.Permissions = append(create.Permissions, invited.Permission(p))
			}
			return api.CreateAPIKey(fresh(cmd.Context()), create)
		}, newKeyColumns)
	createCmd.Long = `Create an API key: --admin for a system-wide key, or --org with --permission
for a key bound to one organization. The secret (ik_…) is printed once; keep it.`
	f := createCmd.Flags()
	f.StringVar(&create.OrgID, "org", "", "the organization the key is bound to")
	f.BoolVar(&create.Admin, "admin", false, "a system-wide admin key")
	f.StringSliceVar(&permissions, "permission", nil, "a permission of the key in --org (repeat, or comma-separate): "+joinPermissions(invited.AllPermissions))
	createCmd.MarkFlagsMutuallyExclusive("admin", "org")

	var org string
	listCmd := listCommand(c, "list", "List API keys", 0,
		func(cmd *cobra.Command, api *client.Client, _ []string) iter.Seq2[*invited.APIKey, error] {
			return api.APIKeys(cmd.Context(), invited.APIKeyFilter{OrgID: org})
		}, apiKeyColumns)
	listCmd.Flags().StringVar(&org, "org", "", "only the keys of this organization")

	cmd.AddCommand(createCmd, listCmd,
		doCommand(c, "revoke KEY", "Revoke an API key: it stops working at once", 1,
			func(cmd *cobra.Command, api *client.Client, args []string) (string, error) {
				return "revoked " + args[0], api.DeleteAPIKey(cmd.Context(), args[0])
			}))
	return cmd
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
	listCmd := listCommand(c, "list", "List webhook endpoints", 0,
		func(cmd *cobra.Command, api *client.Client, _ []string) iter.Seq2[*invited.Webhook, error] {
			return api.Webhooks(cmd.Context(), invited.WebhookFilter{OrgID: org})
		}, webhookColumns)
	listCmd.Flags().StringVar(&org, "org", "", "only the endpoints of this organization")
	cmd.AddCommand(listCmd)
	return cmd
}
