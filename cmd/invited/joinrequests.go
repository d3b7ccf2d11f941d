package main

import (
	"context"
	"iter"
	"strings"

	"github.com/spf13/cobra"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

var joinRequestColumns = []column[*invited.JoinRequest]{
	{"ID", func(r *invited.JoinRequest) string { return r.ID }},
	{"STATUS", func(r *invited.JoinRequest) string { return string(r.Status) }},
	{"REQUESTER", func(r *invited.JoinRequest) string { return r.Requester.Email }},
	{"NAME", func(r *invited.JoinRequest) string { return r.Requester.Name }},
	{"VIA", func(r *invited.JoinRequest) string { return r.Via }},
	{"ROLES", func(r *invited.JoinRequest) string { return strings.Join(r.Roles, " ") }},
	{"EXPIRES", func(r *invited.JoinRequest) string { return rfc3339(r.ExpiresAt) }},
	{"MESSAGE", func(r *invited.JoinRequest) string { return r.Message }},
}

func (c *cli) joinRequestsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "join-requests", Short: "List, approve and deny the requests to join an organization"}

	var filter invited.JoinRequestFilter
	listCmd := listCommand(c, "list --org ORG", "List an organization's join requests, newest first", 0,
		func(cmd *cobra.Command, api *client.Client, _ []string) iter.Seq2[*invited.JoinRequest, error] {
			return api.JoinRequests(cmd.Context(), filter)
		}, joinRequestColumns)
	listCmd.Flags().StringVar(&filter.OrgID, "org", "", "the organization (required)")
	listCmd.Flags().StringVar((*string)(&filter.Status), "status", "", "only those in this status: "+strings.Join(invited.Strings(invited.JoinRequestStatuses), ", "))
	listCmd.MarkFlagRequired("org")

	cmd.AddCommand(listCmd,
		getCommand(c, "get ID", "Show a join request", 1,
			func(cmd *cobra.Command, api *client.Client, args []string) (*invited.JoinRequest, error) {
				return api.GetJoinRequest(cmd.Context(), args[0])
			}, joinRequestColumns),
		c.decideCommand("approve ID", "Let the requester in, with the request's roles or --role; they are told by email", (*client.Client).ApproveJoinRequest, true),
		c.decideCommand("deny ID", "Turn a join request down; the requester is told by email", (*client.Client).DenyJoinRequest, false),
	)
	return cmd
}

// decideCommand is the command of one decision on a join request; roles
// says whether it takes --role.
func (c *cli) decideCommand(use, short string, decide func(*client.Client, context.Context, string, invited.JoinDecision) (*client.JoinDecisionResult, error), roles bool) *cobra.Command {
	var d invited.JoinDecision
	cmd := getCommand(c, use, short, 1,
		func(cmd *cobra.Command, api *client.Client, args []string) (*invited.JoinRequest, error) {
			res, err := decide(api, cmd.Context(), args[0], d)
			if err != nil {
				return nil, err
			}
			return res.Request, nil
		}, joinRequestColumns)
	if roles {
		cmd.Flags().StringSliceVar(&d.Roles, "role", nil, "a role to grant instead of the request's (repeat, or comma-separate)")
	}
	cmd.Flags().StringVar(&d.Note, "note", "", "words for the requester, sent with the decision")
	return cmd
}
