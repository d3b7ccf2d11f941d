package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// planQuery is a hot query, with arguments, as it runs.
type planQuery struct {
	name  string
	sql   string
	args  []any
	paged bool // a page: must come in index order, without a sort
}

// TestQueryPlans checks that the hot queries, exactly as they run on each
// backend, search an index: no full scan of a table, and for pages no sort
// of the whole result.
func TestQueryPlans(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t, Options{})
			p := planners[db.dialect.name]
			for _, q := range hotQueries(db.dialect) {
				plan, err := p.explain(db, q)
				if err != nil {
					t.Fatalf("%s: %v", q.name, err)
				}
				for _, problem := range p.problems(plan, q.paged) {
					t.Errorf("%s: %s in plan\n%s", q.name, problem, strings.Join(plan, "\n"))
				}
				t.Logf("%s:\n  %s", q.name, strings.Join(plan, "\n  "))
			}
		})
	}
}

func hotQueries(d dialect) []planQuery {
	now := time.Now()
	id := invited.NewID(invited.PrefixInvitation, now)
	ticket := invited.NewID(invited.PrefixTicket, now)
	hash := invited.HashSecret("x")
	cursor := keyset{size: 50, after: id}
	one := invited.InvitationScope{OrgIDs: []string{"org_a"}}
	listQuery := func(name string, s invited.InvitationScope, f invited.InvitationFilter, k keyset) planQuery {
		q, args := invitationListQuery(s, f, k, now)
		return planQuery{name, q, args, true}
	}
	auditCursor := keyset{size: 50, after: invited.NewID(invited.PrefixAuditEvent, now)}
	auditQuery := func(name string, orgIDs []string, f invited.AuditFilter, k keyset) planQuery {
		q, args := auditListQuery(orgIDs, f, k)
		return planQuery{name, q, args, true}
	}
	appInviteCursor := keyset{size: 50, after: invited.NewID(invited.PrefixAppInvite, now)}
	appInviteQuery := func(name string, orgIDs []string, f invited.AppInviteFilter) planQuery {
		q, args := appInviteListQuery(orgIDs, f, appInviteCursor, now)
		return planQuery{name, q, args, true}
	}
	joinLinkQuery := func(name string, f invited.JoinLinkFilter) planQuery {
		q, args := joinLinkListQuery([]string{"org_a"}, f, keyset{size: 50, after: invited.NewID(invited.PrefixJoinLink, now)}, now)
		return planQuery{name, q, args, true}
	}
	domainQuery := func(name string, orgIDs []string, status invited.DomainStatus) planQuery {
		q, args := domainListQuery(orgIDs, status, keyset{size: 50, after: invited.NewID(invited.PrefixDomain, now)})
		return planQuery{name, q, args, true}
	}
	joinRequestQuery := func(name string, f invited.JoinRequestFilter) planQuery {
		q, args := joinRequestListQuery([]string{"org_a"}, f, keyset{size: 50, after: invited.NewID(invited.PrefixJoinRequest, now)}, now)
		return planQuery{name, q, args, true}
	}
	appQuery := func(name string, orgIDs []string, all bool) planQuery {
		q, args := appListQuery(orgIDs, all, keyset{size: 50, after: invited.NewID(invited.PrefixApp, now)})
		return planQuery{name, q, args, true}
	}
	profileQuery := func(name string, orgIDs []string, f invited.ProfileFilter) planQuery {
		q, args := profileListQuery(orgIDs, f, keyset{size: 50, after: invited.NewID(invited.PrefixProfile, now)})
		return planQuery{name, q, args, true}
	}
	cancelLetters := func(id string) planQuery {
		q, args := cancelLettersQuery(now, id, invited.LinkKinds)
		return planQuery{"cancel letters", q, args, false}
	}
	pendingInvitations := func(id string) planQuery {
		q, args := pendingInvitationsQuery([]string{id, "inv_b"})
		return planQuery{"claimed letters' invitations", q, args, false}
	}
	unpaged := func(q planQuery) planQuery {
		q.paged = false
		return q
	}
	var retention []planQuery
	for _, kind := range invited.RetentionKinds {
		// Paged: the batch must come off the index in its order.
		for _, org := range []string{"org_a", ""} {
			retention = append(retention, planQuery{"retention of " + string(kind) + " in " + org, retainBatchSQL(d, retainedKinds[kind]),
				[]any{org, 0, 1000}, true})
		}
	}
	ids := inList("id", []string{"msg_a", "msg_b"})
	ids.add("status <> 'pending'")
	letters := inList("invitation_id", []string{"inv_a", "inv_b"})
	letters.add("status <> 'pending'")
	retention = append(retention,
		planQuery{"retention's messages", `SELECT id FROM messages` + ids.String(), ids.args, false},
		planQuery{"retention's letters of invitations", `SELECT id FROM messages` + letters.String(), letters.args, false},
		planQuery{"retention's join confirmations", `SELECT id FROM join_confirmations WHERE message_id IN (SELECT id FROM messages` + letters.String() + `)`, letters.args, false},
		planQuery{"retention's attempts", `SELECT attempt FROM message_attempts WHERE message_id IN (SELECT id FROM messages` + letters.String() + `)`, letters.args, false},
	)
	return append(retention, []planQuery{
		{"token lookup", invitationByTokenSQL, []any{hash}, false},
		{"preview by token", previewByTokenSQL, []any{hash}, false},
		{"id lookup", invitationByIDSQL, []any{id}, false},
		{"links of an invitation", dropLinksSQL, []any{id}, false},
		unpaged(cancelLetters(id)),
		unpaged(pendingInvitations(id)),
		{"token lookup to change", invitationByTokenSQL + d.lock(lockInvitationSQL), []any{hash}, false},
		{"id lookup to change", invitationByIDSQL + d.lock(lockInvitationSQL), []any{id}, false},
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
		{"sweeper", expireDueSQL(d, "invitations", "pending"), []any{0, 500, 0}, false},
		{"open invitation probe", openInvitationSQL, []any{"org_a", "email:a@example.com"}, false},
		{"overdue invitee expiry", expireOverdueInviteeSQL, []any{0, "org_a", "email:a@example.com", 0, id}, false},
		auditQuery("audit org page", []string{"org_a"}, invited.AuditFilter{}, auditCursor),
		auditQuery("audit org resource page", []string{"org_a"}, invited.AuditFilter{Resource: invited.ResourceInvitation}, auditCursor),
		auditQuery("audit all page", nil, invited.AuditFilter{}, auditCursor),
		auditQuery("audit resource page", nil, invited.AuditFilter{Resource: invited.ResourceInvitation}, auditCursor),
		auditQuery("audit user page", nil, invited.AuditFilter{Actor: "usr_a"}, auditCursor),
		auditQuery("audit key page", nil, invited.AuditFilter{Actor: "key_a"}, auditCursor),
		{"api key auth", apiKeyByHashSQL, []any{hash}, false},
		{"grants", grantsSQL, []any{"usr_a"}, false},
		{"ticket redemption", redeemTicketSQL, []any{0, ticket, 0}, false},
		{"ticket lookup", ticketByIDSQL, []any{ticket}, false},
		{"signing keys", signingKeysSQL, []any{0}, false},
		{"active signing key", activeSigningKeySQL, nil, false},
		{"app lookup", appByIDSQL, []any{"app_a"}, false},
		appQuery("all apps page", nil, true),
		// The system-wide apps and an organization's: two searches, merged
		// by a sort bounded by the LIMIT.
		unpaged(appQuery("visible apps page", []string{"org_a"}, false)),
		{"app invite code lookup", appInviteByCodeSQL, []any{hash}, false},
		{"app invite lookup", appInviteByIDSQL, []any{"ainv_a"}, false},
		{"app invite lookup to change", appInviteByIDSQL + d.lock("FOR UPDATE"), []any{"ainv_a"}, false},
		appInviteQuery("app invites org page", []string{"org_a"}, invited.AppInviteFilter{}),
		appInviteQuery("app invites org pending page", []string{"org_a"}, invited.AppInviteFilter{Status: invited.AppInvitePending}),
		appInviteQuery("app invites org expired page", []string{"org_a"}, invited.AppInviteFilter{Status: invited.AppInviteExpired}),
		appInviteQuery("app invites org app page", []string{"org_a"}, invited.AppInviteFilter{AppID: "app_a"}),
		appInviteQuery("app invites all page", nil, invited.AppInviteFilter{}),
		appInviteQuery("app invites app page", nil, invited.AppInviteFilter{AppID: "app_a"}),
		unpaged(appInviteQuery("app invites orgs page", []string{"org_a", "org_b"}, invited.AppInviteFilter{})),
		{"app invite sweeper", expireDueSQL(d, "app_invites", "pending"), []any{0, 500, 0}, false},
		{"join link token lookup", joinLinkByTokenSQL, []any{hash}, false},
		{"join link token lookup to use", joinLinkByTokenSQL + d.lock("FOR UPDATE OF jl"), []any{hash}, false},
		{"join link lookup to change", joinLinkByIDSQL + d.lock("FOR UPDATE"), []any{"jln_a"}, false},
		joinLinkQuery("join links org page", invited.JoinLinkFilter{}),
		joinLinkQuery("join links org active page", invited.JoinLinkFilter{Status: invited.JoinLinkActive}),
		joinLinkQuery("join links org expired page", invited.JoinLinkFilter{Status: invited.JoinLinkExpired}),
		{"join link sweeper", expireDueSQL(d, "join_links", "active"), []any{0, 500, 0}, false},
		{"pending join request", pendingJoinRequestSQL, []any{"org_a", "usr_a"}, false},
		{"overdue join request", expireOverdueRequestSQL, []any{0, "org_a", "usr_a", 0}, false},
		{"join request lookup to decide", joinRequestByIDSQL + d.lock("FOR UPDATE OF jr"), []any{"jrq_a"}, false},
		joinRequestQuery("join requests org page", invited.JoinRequestFilter{}),
		joinRequestQuery("join requests org pending page", invited.JoinRequestFilter{Status: invited.JoinRequestPending}),
		{"join request sweeper", expireDueSQL(d, "join_requests", "pending"), []any{0, 500, 0}, false},
		{"domain lookup to change", domainByIDSQL + d.lock("FOR UPDATE"), []any{"dom_a"}, false},
		{"domain claimed", claimedDomainSQL, []any{"org_a", "acme.example"}, false},
		{"verified domain", verifiedDomainSQL, []any{"acme.example", "org_a"}, false},
		{"joinable orgs", joinableOrgsSQL, []any{"acme.example", "usr_a"}, false},
		domainQuery("domains org page", []string{"org_a"}, ""),
		domainQuery("domains org verified page", []string{"org_a"}, invited.DomainVerified),
		{"app invite code lookup to start", appInviteByCodeSQL + d.lock("FOR UPDATE OF ai"), []any{hash}, false},
		{"app invite lookup with app", appInviteWithAppByIDSQL, []any{"ainv_a"}, false},
		{"expired states", deleteExpiredStatesSQL, []any{"ainv_a", 0}, false},
		{"open states", openStatesSQL, []any{"ainv_a"}, false},
		{"take state", takeStateSQL, []any{hash}, false},
		{"invite states", deleteInviteStatesSQL, []any{"ainv_a"}, false},
		{"profile lookup", profileByIDSQL, []any{"prof_a"}, false},
		{"profile lookup to change", profileByIDSQL + d.lock("FOR UPDATE"), []any{"prof_a"}, false},
		{"invite's profile to change", profileByInviteSQL + d.lock("FOR UPDATE"), []any{"ainv_a"}, false},
		{"refresh claim", claimRefreshSQL, []any{0, "prof_a", 0}, false},
		profileQuery("profiles org page", []string{"org_a"}, invited.ProfileFilter{}),
		profileQuery("profiles org app page", []string{"org_a"}, invited.ProfileFilter{AppID: "app_a"}),
		profileQuery("profiles org active page", []string{"org_a"}, invited.ProfileFilter{Status: invited.ProfileActive}),
		profileQuery("profiles all page", nil, invited.ProfileFilter{}),
		profileQuery("profiles app page", nil, invited.ProfileFilter{AppID: "app_a"}),
		unpaged(profileQuery("profiles orgs page", []string{"org_a", "org_b"}, invited.ProfileFilter{})),
	}...)
}

// planner reads and judges the query plans of one backend.
type planner struct {
	// explain returns the steps of q's plan.
	explain func(db *DB, q planQuery) ([]string, error)
	// problems says what is wrong with a plan.
	problems func(plan []string, paged bool) []string
}

var planners = map[string]planner{
	"sqlite": {
		explain: func(db *DB, q planQuery) ([]string, error) {
			rows, err := db.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q.sql, q.args...)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					return nil, err
				}
				plan = append(plan, detail)
			}
			return plan, rows.Err()
		},
		problems: func(plan []string, paged bool) []string {
			var out []string
			// A scan of a batch the query has materialized itself (the
			// sweeper's) reads that batch, whose own plan is checked.
			materialized := map[string]bool{}
			for _, step := range plan {
				if name, ok := strings.CutPrefix(step, "MATERIALIZE "); ok {
					materialized[name] = true
				}
			}
			for _, step := range plan {
				name, scan := strings.CutPrefix(step, "SCAN ")
				switch {
				case scan && !strings.Contains(step, " USING ") && !materialized[name]:
					out = append(out, fmt.Sprintf("full scan %q", step))
				case paged && strings.Contains(step, "TEMP B-TREE"):
					out = append(out, fmt.Sprintf("sort %q", step))
				}
			}
			return out
		},
	},
	// The test tables are empty, and for an empty table PostgreSQL rightly
	// prefers a sequential scan and a sort. So sequential scans and sorts
	// are priced out of reach, and the plan shows whether an index can
	// serve the query, in page order: the planner still scans or sorts when
	// no index can. Which plan it picks for real data depends on the
	// statistics; BenchmarkFindInvitationsPage measures that case.
	"postgres": {
		explain: func(db *DB, q planQuery) ([]string, error) {
			ctx := context.Background()
			tx, err := db.write.BeginTx(ctx, nil)
			if err != nil {
				return nil, err
			}
			defer tx.Rollback() // undoes the SET LOCAL
			if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off"); err != nil {
				return nil, err
			}
			rows, err := tx.QueryContext(ctx, "EXPLAIN "+db.dialect.rebind(q.sql), q.args...)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					return nil, err
				}
				plan = append(plan, line)
			}
			return plan, rows.Err()
		},
		problems: func(plan []string, paged bool) []string {
			var out []string
			for _, step := range plan {
				node := strings.TrimPrefix(strings.TrimSpace(step), "->  ")
				switch {
				case strings.HasPrefix(node, "Seq Scan"):
					out = append(out, fmt.Sprintf("full scan %q", node))
				case paged && (strings.HasPrefix(node, "Sort  ") || strings.HasPrefix(node, "Incremental Sort")):
					out = append(out, fmt.Sprintf("sort %q", node))
				}
			}
			return out
		},
	},
}
