package sqlstore

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/pgtest"
)

// eventTime is when the audit log recorded action on resource id.
func (e *env) eventTime(id, action string) time.Time {
	e.t.Helper()
	var at time.Time
	err := e.db.read.QueryRow(e.db.dialect.rebind(`SELECT created_at FROM audit_events WHERE resource_id = ? AND action = ?`),
		id, action).Scan(timeCol{&at})
	if err != nil {
		e.t.Fatalf("%s of %s: %v", action, id, err)
	}
	return at
}

// checkAcceptedAfter fails unless the accept of inv, and everything it
// wrote, was recorded at one time no earlier than action, which came
// before it.
func checkAcceptedAfter(t testing.TB, e *env, inv *invited.Invitation, action string) {
	t.Helper()
	before := e.eventTime(inv.ID, action)
	accepted := e.eventTime(inv.ID, invited.EventInvitationAccepted)
	if accepted.Before(before) {
		t.Fatalf("%s: %s at %s, then accepted at %s", inv.ID, action, before, accepted)
	}
	got, err := e.db.FindInvitationByID(e.admin, inv.ID)
	must(t, err)
	if !got.AcceptedAt.Equal(accepted) || !got.UpdatedAt.Equal(accepted) {
		t.Fatalf("%s: accepted_at %s, updated_at %s, event at %s", inv.ID, got.AcceptedAt, got.UpdatedAt, accepted)
	}
}

// testEventOrder renews an invitation and then, with the clock stepped
// back (another instance's clock, or the same one corrected), accepts it:
// the accept is recorded no earlier than the renewal it followed.
func testEventOrder(t *testing.T, e *env) {
	org := e.org(nil)
	inv, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	e.clock.Advance(time.Minute)
	_, err := e.db.RenewInvitation(e.admin, inv.ID, invited.Renewal{})
	must(t, err)
	e.clock.Advance(-time.Hour)
	_, err = e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: "ann", Email: "ann@example.com"})
	must(t, err)
	checkAcceptedAfter(t, e, inv, invited.EventInvitationRenewed)
}

// testEventOrderRace races a renew, a resend or a revoke with an accept of
// the same invitation, many times, with the clock moving on as each
// begins. Renewing and resending an accepted invitation fail, so where both
// succeeded the accept came second and is recorded no earlier; of a revoke
// and an accept, one succeeds.
func testEventOrderRace(t *testing.T, e *env) {
	org := e.org(nil)
	others := []struct {
		action string
		do     func(id string) error
	}{
		{invited.EventInvitationRenewed, func(id string) error {
			_, err := e.db.RenewInvitation(e.admin, id, invited.Renewal{})
			return err
		}},
		{invited.EventInvitationResent, func(id string) error {
			_, _, err := e.db.ResendInvitation(e.admin, id)
			return err
		}},
		{invited.EventInvitationRevoked, func(id string) error {
			_, err := e.db.RevokeInvitation(e.admin, id)
			return err
		}},
	}
	const n = 16
	type round struct {
		inv   *invited.Invitation
		token string
	}
	rounds := make([][n]round, len(others))
	for o := range others {
		for i := range n {
			email := fmt.Sprintf("r%d-%d@example.com", o, i)
			rounds[o][i].inv, rounds[o][i].token = e.invite(e.admin, org.ID, invited.InvitationCreate{Email: email, Roles: []string{"member"}})
		}
	}
	e.clock.Advance(invited.ResendInterval)
	for o, other := range others {
		for i, r := range rounds[o] {
			errs := race(2, func(j int) error {
				e.clock.Advance(time.Millisecond)
				if j == 0 {
					return other.do(r.inv.ID)
				}
				email := fmt.Sprintf("r%d-%d@example.com", o, i)
				_, err := e.db.AcceptInvitation(e.admin, r.token, invited.Acceptor{ExternalID: email, Email: email})
				return err
			})
			for _, err := range errs {
				if _, ok := errors.AsType[*invited.Error](err); err != nil && !ok {
					t.Fatalf("%s: %v", other.action, err)
				}
			}
			switch {
			case errs[0] != nil || errs[1] != nil:
			case other.action == invited.EventInvitationRevoked:
				t.Fatalf("%s: revoked and accepted", r.inv.ID)
			default:
				checkAcceptedAfter(t, e, r.inv, other.action)
			}
		}
	}
}

// gate holds up, once armed, the next reading of a clock until released,
// as a transaction that began and is then held up before it locks what it
// changes.
type gate struct {
	armed         atomic.Bool
	held, release chan struct{}
}

func (g *gate) clock(now func() time.Time) func() time.Time {
	return func() time.Time {
		t := now()
		if g.armed.CompareAndSwap(true, false) {
			g.held <- struct{}{}
			<-g.release
		}
		return t
	}
}

// TestEventOrderAfterWait begins an accept on PostgreSQL and holds it up
// there, renews the invitation a minute later meanwhile, and lets the
// accept go on: it is recorded after the renewal, not when it began. (On
// SQLite writes take turns before they read the clock.)
func TestEventOrderAfterWait(t *testing.T) {
	g := &gate{held: make(chan struct{}), release: make(chan struct{})}
	e := newEnv(t, func(tb testing.TB, o Options) *DB {
		o.Now = g.clock(o.Now)
		return openURL(tb, pgtest.Shared(tb).NewDatabase(tb), o)
	})
	org := e.org(nil)
	inv, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	g.armed.Store(true)
	accepted := make(chan error, 1)
	go func() {
		_, err := e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: "ann", Email: "ann@example.com"})
		accepted <- err
	}()
	<-g.held
	e.clock.Advance(time.Minute)
	_, err := e.db.RenewInvitation(e.admin, inv.ID, invited.Renewal{})
	close(g.release)
	must(t, err)
	must(t, <-accepted)
	checkAcceptedAfter(t, e, inv, invited.EventInvitationRenewed)
}
