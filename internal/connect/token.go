package connect

import (
	"context"
	"slices"
	"time"

	"golang.org/x/oauth2"

	"github.com/invitedhq/invited"
)

// Renewal of a profile's access token: one at a time per profile, within
// the process by singleflight and across processes by the store's lease.

const (
	// refreshLease is how long a renewal holds a profile's lease: a
	// renewal that died with its process blocks the others no longer.
	refreshLease = 30 * time.Second
	// renewTimeout bounds a shared renewal: a lease of another process
	// to wait out, then one of its own.
	renewTimeout = 2 * refreshLease
	// leasePoll is how often a renewal waiting for another process's
	// looks for the token it stores.
	leasePoll = 100 * time.Millisecond
)

// ProfileToken implements invited.ProfileTokenService.
func (s *Service) ProfileToken(ctx context.Context, id string) (*invited.ProfileToken, error) {
	// Every caller reads for itself, which checks its own authorization,
	// before it may share a renewal.
	creds, err := s.store.ProfileCredentials(ctx, id)
	if err != nil {
		return nil, err
	}
	if creds.Token.FreshAt(s.now()) {
		return answer(creds.Profile, creds.Token), nil
	}
	if creds.Token.RefreshToken == "" {
		return nil, errNoRefreshToken()
	}
	ch := s.renewals.DoChan(id, func() (any, error) {
		// Shared by every caller of the moment: the one that started it
		// going away must not fail it for the others.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), renewTimeout)
		defer cancel()
		return s.renew(ctx, id)
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		pt := *r.Val.(*invited.ProfileToken)
		pt.Scopes = slices.Clone(pt.Scopes)
		return &pt, nil
	}
}

// renew answers profile id's token renewed: by this process once it holds
// the lease, or by the process that holds it.
func (s *Service) renew(ctx context.Context, id string) (*invited.ProfileToken, error) {
	poll := time.NewTicker(leasePoll)
	defer poll.Stop()
	for {
		taken, err := s.store.ClaimTokenRefresh(ctx, id, s.now().Add(refreshLease))
		if err != nil {
			return nil, waitError(ctx, err)
		}
		if taken {
			return s.refresh(ctx, id)
		}
		select {
		case <-ctx.Done():
			return nil, waitError(ctx, ctx.Err())
		case <-poll.C:
		}
		creds, err := s.store.ProfileCredentials(ctx, id)
		if err != nil {
			return nil, waitError(ctx, err)
		}
		if creds.Token.FreshAt(s.now()) {
			return answer(creds.Profile, creds.Token), nil
		}
	}
}

// refresh renews profile id's token under the lease. The token is read
// again under it: another process may have renewed it since it was read
// first, and with the refresh token rotated away the old one would fail.
func (s *Service) refresh(ctx context.Context, id string) (*invited.ProfileToken, error) {
	creds, err := s.store.ProfileCredentials(ctx, id)
	if err == nil && !creds.Token.FreshAt(s.now()) {
		var tok *invited.OAuthToken
		if tok, err = s.renewToken(ctx, creds); err == nil {
			// The platform may have rotated the refresh token: the new
			// one is saved whatever became of the caller. The save gives
			// the lease up; releasing it after that could give up a lease
			// another process has taken since.
			prof, err := s.store.SaveRefreshedToken(context.WithoutCancel(ctx), id, tok)
			if err != nil {
				return nil, err
			}
			return answer(prof, tok), nil
		}
	}
	if rerr := s.store.ReleaseTokenRefresh(context.WithoutCancel(ctx), id); rerr != nil {
		s.logger.WarnContext(ctx, "connect: releasing the token renewal lease", "profile", id, "err", rerr)
	}
	if err != nil {
		return nil, err
	}
	return answer(creds.Profile, creds.Token), nil
}

// renewToken asks the platform for a new token with the refresh token of
// creds.
func (s *Service) renewToken(ctx context.Context, creds *invited.ProfileCredentials) (*invited.OAuthToken, error) {
	if creds.Token.RefreshToken == "" {
		return nil, errNoRefreshToken()
	}
	cfg, _, err := s.oauthConfig(ctx, &creds.App.OAuth)
	if err != nil {
		return nil, errRenewal(err)
	}
	tok, err := cfg.TokenSource(s.clientContext(ctx), &oauth2.Token{RefreshToken: creds.Token.RefreshToken}).Token()
	if err != nil {
		return nil, errRenewal(s.platformError("token refresh", err))
	}
	t := s.oauthToken(tok)
	return &t, nil
}

// waitError is err of a renewal waiting for another's, told as what it
// is when the wait ran out of time (the store's error is then only a
// symptom of that) rather than as an internal error.
func waitError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return invited.Errorf(invited.EUNAVAILABLE, "the access token is being renewed elsewhere and the renewal did not finish; try again")
	}
	return err
}

// errRenewal is the caller's error of a renewal the platform refused or
// failed, pe.
func errRenewal(pe error) error {
	return invited.Errorf(invited.EUPSTREAM, "the platform did not renew the access token: %v", pe)
}

func errNoRefreshToken() error {
	return invited.Errorf(invited.EINVALIDSTATE, "the access token has expired and the platform gave no refresh token; invite the partner again")
}

// answer is the token t of profile p as handed out.
func answer(p *invited.Profile, t *invited.OAuthToken) *invited.ProfileToken {
	pt := &invited.ProfileToken{AccessToken: t.AccessToken, TokenType: t.TokenType, Scopes: p.Scopes}
	if !t.Expiry.IsZero() {
		expiry := t.Expiry
		pt.ExpiresAt = &expiry
	}
	return pt
}
