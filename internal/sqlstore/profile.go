package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/secretbox"
)

// Connection profiles (issue 6): what an activated app invite leaves in
// the organization. The platform's tokens must be read back to be used, so
// they are sealed (internal/secretbox) like an app's client secret, each
// bound to its profile and column, and deleted when the profile is
// archived. A profile and its invite change together, the invite locked
// first.

const profileColumns = `p.id, p.org_id, p.app_id, p.app_invite_id, p.status, p.external_account_id, p.scopes,
p.token_expires_at, p.refresh_token_sealed IS NOT NULL, p.created_at, p.updated_at, p.archived_at`

func profileDest(p *invited.Profile) []any {
	return []any{&p.ID, &p.OrgID, &p.AppID, &p.AppInviteID, &p.Status, &p.ExternalAccountID, jsonCol{&p.Scopes},
		nullTimeCol{&p.TokenExpiresAt}, &p.Refreshable, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt},
		nullTimeCol{&p.ArchivedAt}}
}

func scanProfile(s scanner) (*invited.Profile, error) {
	p := &invited.Profile{}
	return p, s.Scan(profileDest(p)...)
}

const (
	insertProfileSQL = `INSERT INTO profiles (id, org_id, app_id, app_invite_id, status, external_account_id, scopes,
	token_type, access_token_sealed, refresh_token_sealed, token_expires_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	// profileRowSQL selects profiles with their sealed tokens; a WHERE
	// clause follows.
	profileRowSQL      = `SELECT ` + profileColumns + `, p.token_type, p.access_token_sealed, p.refresh_token_sealed FROM profiles p`
	profileByIDSQL     = profileRowSQL + ` WHERE p.id = ?`
	profileByInviteSQL = profileRowSQL + ` WHERE p.app_invite_id = ?`

	// archiveProfileSQL deletes the tokens with everything that describes
	// them.
	archiveProfileSQL = `UPDATE profiles SET status = 'archived', token_type = '', access_token_sealed = NULL,
	refresh_token_sealed = NULL, token_expires_at = NULL, refresh_lease_until = NULL, updated_at = ?, archived_at = ?
WHERE id = ?`

	// saveTokenSQL stores a renewed token and releases the lease.
	saveTokenSQL = `UPDATE profiles SET token_type = ?, access_token_sealed = ?, refresh_token_sealed = ?,
	token_expires_at = ?, scopes = ?, refresh_lease_until = NULL, updated_at = ?
WHERE id = ?`

	// claimRefreshSQL takes an active profile's lease unless it is held;
	// its arguments are the end of the lease, the id and now. Where
	// writers run side by side, a concurrent claim waits for the first
	// one's row lock and then finds the lease held.
	claimRefreshSQL = `UPDATE profiles SET refresh_lease_until = ?
WHERE id = ? AND status = 'active' AND (refresh_lease_until IS NULL OR refresh_lease_until <= ?)`

	releaseRefreshSQL = `UPDATE profiles SET refresh_lease_until = NULL WHERE id = ?`

	clientSecretSQL = `SELECT client_secret_sealed FROM apps WHERE id = ?`
)

// profileRow is a profile with what only the store reads: its token type
// and sealed tokens, "" where there are none.
type profileRow struct {
	p                          *invited.Profile
	tokenType, access, refresh string
}

// profileRow loads the profile that query (profileRowSQL and a condition
// on arg) finds.
func (tx *Tx) profileRow(ctx context.Context, query string, arg any) (*profileRow, error) {
	r := &profileRow{p: &invited.Profile{}}
	dest := append(profileDest(r.p), &r.tokenType, textCol{&r.access}, textCol{&r.refresh})
	if err := tx.queryRow(ctx, query, arg).Scan(dest...); err != nil {
		return nil, notFound(err, "profile")
	}
	return r, nil
}

// profileFor loads profile id, the query ending with lock, for an actor
// who needs connections:manage in its organization: it is not_found to an
// actor who cannot see that organization, forbidden to one who can.
func (tx *Tx) profileFor(ctx context.Context, a *invited.Actor, id, lock string) (*profileRow, error) {
	r, err := tx.profileRow(ctx, profileByIDSQL+lock, id)
	if err != nil {
		return nil, err
	}
	if !a.CanSee(r.p.OrgID) {
		return nil, errNotFound("profile")
	}
	return r, a.Authorize(r.p.OrgID, invited.PermConnectionsManage)
}

// The columns of a profile's sealed tokens, which name their contexts.
const (
	accessTokenColumn  = "access_token"
	refreshTokenColumn = "refresh_token"
)

// profileTokenContext binds a sealed token to its profile and column, as
// clientSecretContext binds a client secret to its app: a sealed value
// copied into another row or column does not open there.
func profileTokenContext(profileID, column string) string {
	return "profile:" + profileID + ":" + column
}

// errNoTokenKeys is the answer of everything that would seal or open
// tokens without encryption keys.
func errNoTokenKeys() error {
	return invited.Errorf(invited.EUNAVAILABLE, "connections cannot be stored: their tokens are kept encrypted and "+
		"no encryption key is configured; the operator sets INVITED_ENCRYPTION_KEYS")
}

func errProfileArchived() error {
	return invited.Errorf(invited.EINVALIDSTATE, "the profile is archived; its tokens are deleted")
}

// sealTokens seals tok's tokens for the columns of profile id: the refresh
// token is nil when tok has none.
func (db *DB) sealTokens(id string, tok *invited.OAuthToken) (access, refresh any, err error) {
	if tok.AccessToken == "" {
		return nil, nil, errors.New("the token to store has no access token")
	}
	seal := func(token, column string) (any, error) {
		sealed, err := db.secrets.Seal([]byte(token), profileTokenContext(id, column))
		if errors.Is(err, secretbox.ErrNoKeys) {
			return nil, errNoTokenKeys()
		}
		return sealed, err
	}
	if access, err = seal(tok.AccessToken, accessTokenColumn); err != nil || tok.RefreshToken == "" {
		return access, nil, err
	}
	refresh, err = seal(tok.RefreshToken, refreshTokenColumn)
	return access, refresh, err
}

// open opens a value sealed for context. A value that does not open with
// keys configured is an operator's error (a key removed too early), not
// the caller's, and stays internal.
func (db *DB) open(sealed, context string) (string, error) {
	plain, err := db.secrets.Open(sealed, context)
	switch {
	case err == nil:
		return string(plain), nil
	case !db.secrets.Configured():
		return "", errNoTokenKeys()
	}
	return "", fmt.Errorf("open %s: %w", context, err)
}

// token opens r's token.
func (db *DB) token(r *profileRow) (*invited.OAuthToken, error) {
	tok := &invited.OAuthToken{TokenType: r.tokenType, Scopes: slices.Clone(r.p.Scopes)}
	if r.p.TokenExpiresAt != nil {
		tok.Expiry = *r.p.TokenExpiresAt
	}
	var err error
	if tok.AccessToken, err = db.open(r.access, profileTokenContext(r.p.ID, accessTokenColumn)); err != nil || r.refresh == "" {
		return tok, err
	}
	tok.RefreshToken, err = db.open(r.refresh, profileTokenContext(r.p.ID, refreshTokenColumn))
	return tok, err
}

// tokenExpiry is tok's expiry as stored: nil when the platform gave none,
// else to the millisecond, so that what is returned equals what is read.
func tokenExpiry(tok *invited.OAuthToken) *time.Time {
	if tok.Expiry.IsZero() {
		return nil
	}
	t := tok.Expiry.UTC().Truncate(time.Millisecond)
	return &t
}

// tokenType is tok's type as stored: Bearer unless the platform said
// otherwise.
func tokenType(tok *invited.OAuthToken) string { return cmp.Or(tok.TokenType, "Bearer") }

// openClientSecret fills in app's client secret, for the token exchange
// and the renewal; a public client has none.
func (tx *Tx) openClientSecret(ctx context.Context, app *invited.App) error {
	if !app.ClientSecretSet {
		return nil
	}
	var sealed string
	if err := tx.queryRow(ctx, clientSecretSQL, app.ID).Scan(&sealed); err != nil {
		return err
	}
	secret, err := tx.db.open(sealed, clientSecretContext(app.ID))
	app.OAuth.ClientSecret = secret
	return err
}

// ActivateAppInvite activates app invite inviteID, locked, and creates
// its profile, in one transaction.
func (db *DB) ActivateAppInvite(ctx context.Context, inviteID string, c invited.ProfileCreate) (*invited.Profile, error) {
	// The state the flow took is the only credential, so the audit log
	// names no actor, only where the request came from, as for an
	// invitation accepted on its hosted page.
	ctx = invited.NewContextWithActor(ctx, &invited.Actor{RemoteAddr: invited.ActorFromContext(ctx).RemoteAddr})
	var p *invited.Profile
	err := db.writeTx(ctx, func(tx *Tx) error {
		ai, err := tx.lockAppInvite(ctx, inviteID)
		if err != nil {
			return err
		}
		if err := ai.Apply(invited.ActionActivate, tx.now); err != nil {
			return err
		}
		scopes := c.Token.Scopes
		if scopes == nil {
			// The platform granted what was asked for (RFC 6749 §5.1).
			app, err := scanApp(tx.queryRow(ctx, appByIDSQL, ai.AppID))
			if err != nil {
				return err
			}
			scopes = app.OAuth.Scopes
		}
		p = &invited.Profile{
			ID:                invited.NewID(invited.PrefixProfile, tx.now),
			OrgID:             ai.OrgID,
			AppID:             ai.AppID,
			AppInviteID:       ai.ID,
			Status:            invited.ProfileActive,
			ExternalAccountID: c.ExternalAccountID,
			Scopes:            slices.Clone(scopes),
			TokenExpiresAt:    tokenExpiry(&c.Token),
			Refreshable:       c.Token.RefreshToken != "",
			CreatedAt:         tx.now,
			UpdatedAt:         tx.now,
		}
		access, refresh, err := db.sealTokens(p.ID, &c.Token)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, insertProfileSQL, p.ID, p.OrgID, p.AppID, p.AppInviteID, p.Status, p.ExternalAccountID,
			jsonText(p.Scopes), tokenType(&c.Token), access, refresh, nullMS(p.TokenExpiresAt), ms(p.CreatedAt),
			ms(p.UpdatedAt)); err != nil {
			return err
		}
		if err := tx.saveAppInvite(ctx, ai, invited.EventAppInviteActivated); err != nil {
			return err
		}
		return tx.audit(ctx, "profile.created", invited.ResourceProfile, p.ID, p.OrgID)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// FindProfiles lists the profiles of the organizations where the actor
// holds connections:manage, newest first.
func (db *DB) FindProfiles(ctx context.Context, f invited.ProfileFilter) ([]*invited.Profile, string, error) {
	fields := invited.FieldErrors{}
	if f.AppID != "" && !invited.ValidID(f.AppID, invited.PrefixApp) {
		fields.Add("app_id", invited.Problemf("app_id"))
	}
	if f.Status != "" && !slices.Contains(invited.ProfileStatuses, f.Status) {
		fields.Add("status", invited.Problemf("status"))
	}
	if err := fields.Err(); err != nil {
		return nil, "", err
	}
	return findManaged(ctx, db, f.OrgID, invited.PermConnectionsManage, f.Page, invited.PrefixProfile,
		func(tx *Tx, orgIDs []string, k keyset) ([]*invited.Profile, error) {
			query, args := profileListQuery(orgIDs, f, k)
			return queryList(ctx, tx, scanProfile, query, args...)
		}, func(p *invited.Profile) string { return p.ID })
}

// profileListQuery builds the list query of the profiles of orgIDs (nil
// for all) under a valid filter. It depends on its arguments alone, so
// that the query-plan test checks exactly what runs.
func profileListQuery(orgIDs []string, f invited.ProfileFilter, k keyset) (string, []any) {
	var w where
	if orgIDs != nil {
		w.in("p.org_id", orgIDs)
	}
	if f.AppID != "" {
		w.add("p.app_id = ?", f.AppID)
	}
	if f.Status != "" {
		w.add("p.status = ?", f.Status)
	}
	tail := k.seek(&w, "p.id")
	return `SELECT ` + profileColumns + ` FROM profiles p` + w.String() + tail, w.args
}

// FindProfileByID returns a profile of an organization where the actor
// holds connections:manage.
func (db *DB) FindProfileByID(ctx context.Context, id string) (*invited.Profile, error) {
	a := invited.ActorFromContext(ctx)
	var p *invited.Profile
	err := db.readTx(ctx, func(tx *Tx) error {
		r, err := tx.profileRow(ctx, profileByIDSQL, id)
		if err != nil {
			return err
		}
		if !a.Can(r.p.OrgID, invited.PermConnectionsManage) {
			return errNotFound("profile")
		}
		p = r.p
		return nil
	})
	return p, err
}

// ArchiveProfile needs connections:manage; it ends the connection,
// archiving the app invite too.
func (db *DB) ArchiveProfile(ctx context.Context, id string) (*invited.Profile, error) {
	a := invited.ActorFromContext(ctx)
	var p *invited.Profile
	err := db.writeTx(ctx, func(tx *Tx) error {
		// Read without a lock: the invite is locked before the profile.
		r, err := tx.profileFor(ctx, a, id, "")
		if err != nil {
			return err
		}
		ai, err := tx.lockAppInvite(ctx, r.p.AppInviteID)
		if err != nil {
			return err
		}
		if ai.Status == invited.AppInviteActive {
			if err := ai.Apply(invited.ActionArchive, tx.now); err != nil {
				return err
			}
			if err := tx.saveAppInvite(ctx, ai, invited.EventAppInviteArchived); err != nil {
				return err
			}
		}
		p, err = tx.archiveProfile(ctx, ai.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// archiveProfile deletes the tokens of the profile of app invite inviteID
// and archives it; invalid_state when it is archived already. The caller
// holds the invite's lock.
func (tx *Tx) archiveProfile(ctx context.Context, inviteID string) (*invited.Profile, error) {
	r, err := tx.profileRow(ctx, profileByInviteSQL+tx.lock("FOR UPDATE"), inviteID)
	if err != nil {
		return nil, err
	}
	p := r.p
	if p.Status == invited.ProfileArchived {
		return nil, invited.Errorf(invited.EINVALIDSTATE, "the profile is archived already")
	}
	now := tx.now
	p.Status, p.ArchivedAt, p.UpdatedAt = invited.ProfileArchived, &now, now
	p.TokenExpiresAt, p.Refreshable = nil, false
	if _, err := tx.exec(ctx, archiveProfileSQL, ms(p.UpdatedAt), ms(now), p.ID); err != nil {
		return nil, err
	}
	return p, tx.audit(ctx, "profile.archived", invited.ResourceProfile, p.ID, p.OrgID)
}

// ProfileCredentials returns an active profile with its token and its app,
// the client secret filled in, for the renewal.
func (db *DB) ProfileCredentials(ctx context.Context, id string) (*invited.ProfileCredentials, error) {
	a := invited.ActorFromContext(ctx)
	var pc *invited.ProfileCredentials
	err := db.readTx(ctx, func(tx *Tx) error {
		r, err := tx.profileFor(ctx, a, id, "")
		if err != nil {
			return err
		}
		if r.p.Status == invited.ProfileArchived {
			return errProfileArchived()
		}
		tok, err := db.token(r)
		if err != nil {
			return err
		}
		app, err := scanApp(tx.queryRow(ctx, appByIDSQL, r.p.AppID))
		if err != nil {
			return err
		}
		if err := tx.openClientSecret(ctx, app); err != nil {
			return err
		}
		pc = &invited.ProfileCredentials{Profile: r.p, Token: tok, App: app}
		return nil
	})
	return pc, err
}

// ClaimTokenRefresh takes profile id's renewal lease until until, unless
// another holds it or the profile is archived.
func (db *DB) ClaimTokenRefresh(ctx context.Context, id string, until time.Time) (bool, error) {
	return db.changeLease(ctx, id, claimRefreshSQL, func(tx *Tx) []any { return []any{ms(until), id, ms(tx.now)} })
}

// ReleaseTokenRefresh gives up profile id's renewal lease.
func (db *DB) ReleaseTokenRefresh(ctx context.Context, id string) error {
	_, err := db.changeLease(ctx, id, releaseRefreshSQL, func(*Tx) []any { return []any{id} })
	return err
}

// changeLease runs update, a change of profile id's lease with the
// arguments args gives, for an actor holding connections:manage, and
// reports whether it changed the row.
func (db *DB) changeLease(ctx context.Context, id, update string, args func(*Tx) []any) (bool, error) {
	a := invited.ActorFromContext(ctx)
	var changed bool
	err := db.writeTx(ctx, func(tx *Tx) error {
		if _, err := tx.profileFor(ctx, a, id, ""); err != nil {
			return err
		}
		res, err := tx.exec(ctx, update, args(tx)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		changed = n == 1
		return err
	})
	return changed, err
}

// SaveRefreshedToken stores tok as profile id's token, releasing the
// lease; the stored refresh token stays when tok has none, the stored
// scopes when tok does not name any.
func (db *DB) SaveRefreshedToken(ctx context.Context, id string, tok *invited.OAuthToken) (*invited.Profile, error) {
	a := invited.ActorFromContext(ctx)
	var p *invited.Profile
	err := db.writeTx(ctx, func(tx *Tx) error {
		r, err := tx.profileFor(ctx, a, id, tx.lock("FOR UPDATE"))
		if err != nil {
			return err
		}
		if r.p.Status == invited.ProfileArchived {
			return errProfileArchived()
		}
		access, refresh, err := db.sealTokens(id, tok)
		if err != nil {
			return err
		}
		p = r.p
		if refresh == nil {
			refresh = nullText(r.refresh)
		}
		if tok.Scopes != nil {
			p.Scopes = slices.Clone(tok.Scopes)
		}
		p.TokenExpiresAt, p.Refreshable, p.UpdatedAt = tokenExpiry(tok), refresh != nil, tx.now
		if _, err := tx.exec(ctx, saveTokenSQL, tokenType(tok), access, refresh, nullMS(p.TokenExpiresAt),
			jsonText(p.Scopes), ms(p.UpdatedAt), p.ID); err != nil {
			return err
		}
		return tx.audit(ctx, "profile.token_refreshed", invited.ResourceProfile, p.ID, p.OrgID)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
