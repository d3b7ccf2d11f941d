package invited

import "time"

// Lifecycle is one state machine (DESIGN.md §2): the table of which action
// leads from which status to which, the status that lapses when its expiry
// passes, and how an illegal move is explained. Invitations, app invites,
// join links and join requests are each a Lifecycle value; reading expiry
// at once (StatusAt) and moving (Apply) are written here, once.
type Lifecycle[S ~string] struct {
	noun string
	// transitions is the whole machine: from status, by action, to status.
	// Anything not listed is illegal.
	transitions map[S]map[Action]S
	// lapsing reads as lapsed from its expiry on, whether or not the
	// sweeper has written that down yet.
	lapsing, lapsed S
	// refusal explains an illegal move to the holder of a link where a
	// specific code helps them; nil (or a nil answer) means invalid_state.
	refusal func(from S, action Action) error
}

// lifecycled is what a Lifecycle reads and writes of the thing it moves.
type lifecycled[S ~string] interface {
	lifecycle() (status *S, expiresAt time.Time, updatedAt *time.Time)
	// stamp is the time field that records action, or nil.
	stamp(action Action) **time.Time
}

// Transition returns the status that action leads to from from, or the
// error a caller should see when the action is illegal there.
func (l *Lifecycle[S]) Transition(from S, action Action) (S, error) {
	if to, ok := l.transitions[from][action]; ok {
		return to, nil
	}
	if l.refusal != nil {
		if err := l.refusal(from, action); err != nil {
			return from, err
		}
	}
	return from, Errorf(EINVALIDSTATE, "cannot %s %s that is %s", action, l.noun, from)
}

// StatusAt is status as callers see it at now, for a thing that expires at
// expiresAt.
func (l *Lifecycle[S]) StatusAt(status S, expiresAt, now time.Time) S {
	if status == l.lapsing && !now.Before(expiresAt) {
		return l.lapsed
	}
	return status
}

// Apply moves x by action at now, stamping the action's time field. It
// checks the transition against StatusAt(now), so an overdue thing cannot
// be moved as if it were still live before the sweeper marks it.
func (l *Lifecycle[S]) Apply(x lifecycled[S], action Action, now time.Time) error {
	status, expiresAt, updatedAt := x.lifecycle()
	to, err := l.Transition(l.StatusAt(*status, expiresAt, now), action)
	if err != nil {
		return err
	}
	if at := x.stamp(action); at != nil {
		t := now
		*at = &t
	}
	*status, *updatedAt = to, now
	return nil
}
