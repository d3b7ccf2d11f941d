package main

import (
	"fmt"
	"iter"
	"strings"

	"github.com/spf13/cobra"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

var domainColumns = []column[client.DomainWithChallenge]{
	{"ID", func(d client.DomainWithChallenge) string { return d.ID }},
	{"ORG", func(d client.DomainWithChallenge) string { return d.OrgID }},
	{"DOMAIN", func(d client.DomainWithChallenge) string { return d.Name }},
	{"STATUS", func(d client.DomainWithChallenge) string { return string(d.Status) }},
	{"POLICY", func(d client.DomainWithChallenge) string { return string(d.Policy) }},
	{"ROLES", func(d client.DomainWithChallenge) string { return strings.Join(d.Roles, " ") }},
	{"VERIFIED", func(d client.DomainWithChallenge) string {
		return strings.TrimSpace(d.VerificationMethod + " " + rfc3339OrEmpty(d.VerifiedAt))
	}},
}

// showDomain writes a domain: with --output json the API's object
// (challenge included), else its table and, while it is pending, the DNS
// record that verifies it, one field a line, easy to copy.
func (c *cli) showDomain(d *client.DomainWithChallenge) error {
	if c.output == "json" {
		return writeJSON(c.stdout, d)
	}
	if err := show(c, []client.DomainWithChallenge{*d}, domainColumns); err != nil {
		return err
	}
	if d.Status != invited.DomainPending {
		return nil
	}
	_, err := fmt.Fprintf(c.stdout, "\nTo verify %s, create this DNS record, then run: invited domains verify %s\n  Type:  %s\n  Name:  %s\n  Value: %s\n",
		d.Name, d.ID, d.Challenge.Type, d.Challenge.Name, d.Challenge.Value)
	return err
}

func (c *cli) domainsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "domains", Short: "Claim, verify, list, update and remove an organization's email domains"}

	var org string
	var in invited.DomainCreate
	addCmd := apiCommand(c, "add --org ORG DOMAIN [flags]", "Claim an email domain; prints the DNS record that verifies it", 1,
		func(cmd *cobra.Command, api *client.Client, args []string) (*client.DomainWithChallenge, error) {
			in.Domain = args[0]
			return api.CreateDomain(fresh(cmd.Context()), org, in)
		}, c.showDomain)
	addCmd.Long = `Claim an email domain for an organization. The domain is pending until verified:
create the TXT record printed after the domain's table (in "challenge" with
-o json), then run invited domains verify. Once verified, people with a
verified address at the domain find the organization and join it by --policy.
Roles granting more than reading invitations and members need --allow-privileged.`
	fl := addCmd.Flags()
	fl.StringVar(&org, "org", "", "the organization claiming the domain (required)")
	fl.StringVar((*string)(&in.Policy), "policy", "", "what the verified domain does: "+strings.Join(invited.Strings(invited.DomainPolicies), ", ")+" (default off)")
	fl.StringSliceVar(&in.Roles, "role", nil, "a role that joining grants (repeat, or comma-separate; default: the organization's default_roles)")
	fl.BoolVar(&in.AllowPrivileged, "allow-privileged", false, "allow roles that grant more than invitations:read and members:read")
	addCmd.MarkFlagRequired("org")

	var filter invited.DomainFilter
	listCmd := listCommand(c, "list --org ORG", "List an organization's domains", 0,
		func(cmd *cobra.Command, api *client.Client, _ []string) iter.Seq2[client.DomainWithChallenge, error] {
			return api.Domains(cmd.Context(), filter)
		}, domainColumns)
	listCmd.Flags().StringVar(&filter.OrgID, "org", "", "the organization (required)")
	listCmd.Flags().StringVar((*string)(&filter.Status), "status", "", "only those in this status: "+strings.Join(invited.Strings(invited.DomainStatuses), ", "))
	listCmd.MarkFlagRequired("org")

	var admin bool
	verifyCmd := apiCommand(c, "verify ID", "Verify a domain by its DNS record, or with --admin without DNS", 1,
		func(cmd *cobra.Command, api *client.Client, args []string) (*client.DomainWithChallenge, error) {
			v := invited.DomainVerify{Method: invited.VerifyDNS}
			if admin {
				v.Method = invited.VerifyAdmin
			}
			return api.VerifyDomain(cmd.Context(), args[0], v)
		}, c.showDomain)
	verifyCmd.Flags().BoolVar(&admin, "admin", false, "mark the domain verified without looking up DNS (needs an admin key)")

	var policy string
	var u invited.DomainUpdate
	var allowPrivileged bool
	updateCmd := apiCommand(c, "update ID [flags]", "Change a domain's policy or roles", 1,
		func(cmd *cobra.Command, api *client.Client, args []string) (*client.DomainWithChallenge, error) {
			if cmd.Flags().Changed("policy") {
				u.Policy = (*invited.DomainPolicy)(&policy)
			}
			if cmd.Flags().Changed("allow-privileged") {
				u.AllowPrivileged = &allowPrivileged
			}
			return api.UpdateDomain(cmd.Context(), args[0], u)
		}, c.showDomain)
	fl = updateCmd.Flags()
	fl.StringVar(&policy, "policy", "", "the new policy: "+strings.Join(invited.Strings(invited.DomainPolicies), ", "))
	fl.StringSliceVar(&u.Roles, "role", nil, "a role that joining grants, replacing the domain's (repeat, or comma-separate)")
	fl.BoolVar(&allowPrivileged, "allow-privileged", false, "allow roles that grant more than invitations:read and members:read")

	cmd.AddCommand(addCmd, listCmd, verifyCmd, updateCmd,
		apiCommand(c, "get ID", "Show a domain, and while it is pending the DNS record that verifies it", 1,
			func(cmd *cobra.Command, api *client.Client, args []string) (*client.DomainWithChallenge, error) {
				return api.GetDomain(cmd.Context(), args[0])
			}, c.showDomain),
		doCommand(c, "remove ID", "Withdraw a domain claim; who joined through it stays a member", 1,
			func(cmd *cobra.Command, api *client.Client, args []string) (string, error) {
				return "removed " + args[0], api.DeleteDomain(cmd.Context(), args[0])
			}),
	)
	return cmd
}
