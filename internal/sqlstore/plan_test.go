package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// TestQueryPlans checks that the hot queries, exactly as they run, search
// an index: no full scan of a table, and for pages no sort of the whole
// result.
func TestQueryPlans(t *testing.T) {
	db := openSQLiteFile(t, Options{})
	now := time.Now()
	id := invited.NewID(invited.PrefixInvitation, now)
	hash := invited.HashSecret("x")
	cursor := keyset{size: 50, after: id}
	one := invited.InvitationScope{OrgIDs: []string{"org_a"}}
	type query struct {
		name  string
		sql   string
		args  []any
		paged bool
	}
	listQuery := func(name string, s invited.InvitationScope, f invited.InvitationFilter, k keyset) query {
		q, args := invitationListQuery(s, f, k, now)
		return query{name, q, args, true}
	}
	unpaged := func(q query) query {
		q.paged = false
		return q
	}
	queries := []query{
		{"token lookup", invitationByTokenSQL, []any{hash}, false},
		{"id lookup", invitationByIDSQL, []any{id}, false},
		listQuery("org page 1", one, invited.InvitationFilter{}, keyset{size: 50}),
		listQuery("org page with cursor", one, invited.InvitationFilter{}, cursor),
		listQuery("org pending page", one, invited.InvitationFilter{Status: invited.StatusPending}, cursor),
		listQuery("org expired page", one, invited.InvitationFilter{Status: invited.StatusExpired}, cursor),
		listQuery("org revoked page", one, invited.InvitationFilter{Status: invited.StatusRevoked}, cursor),
		listQuery("own invitations page", invited.InvitationScope{CreatorOrgIDs: []string{"org_a"}, CreatorUserID: "usr_a"}, invited.InvitationFilter{}, cursor),
		// Several organizations: each is searched, and the pages merged by
		// a sort bounded by the LIMIT.
		unpaged(listQuery("orgs page", invited.InvitationScope{OrgIDs: []string{"org_a", "org_b"}, CreatorOrgIDs: []string{"org_c"}, CreatorUserID: "usr_a"}, invited.InvitationFilter{}, cursor)),
		listQuery("all page 1", invited.InvitationScope{All: true}, invited.InvitationFilter{}, keyset{size: 50}),
		listQuery("all page with cursor", invited.InvitationScope{All: true}, invited.InvitationFilter{}, cursor),
		listQuery("all pending page", invited.InvitationScope{All: true}, invited.InvitationFilter{Status: invited.StatusPending}, cursor),
		listQuery("email filter", invited.InvitationScope{All: true}, invited.InvitationFilter{Email: "a@example.com"}, cursor),
		{"sweeper", expireInvitationsSQL, []any{0, 0, 500}, false},
		{"open invitation probe", openInvitationSQL, []any{"org_a", "email:a@example.com"}, false},
		{"overdue invitee expiry", expireOverdueInviteeSQL, []any{0, "org_a", "email:a@example.com", 0, id}, false},
		{"api key auth", apiKeyByHashSQL, []any{hash}, false},
		{"grants", grantsSQL, []any{"usr_a"}, false},
	}
	for _, q := range queries {
		rows, err := db.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			fullScan := strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, " USING ")
			sorts := q.paged && strings.Contains(step, "TEMP B-TREE")
			if fullScan || sorts {
				t.Errorf("%s: %q in plan\n%s", q.name, step, strings.Join(plan, "\n"))
			}
		}
		t.Logf("%s:\n  %s", q.name, strings.Join(plan, "\n  "))
	}
}
