package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/invitedhq/invited"
)

// lastUsedResolution is how stale an API key's last_used_at may get: writing
// it on every request would put a disk write on every read.
const lastUsedResolution = time.Minute

// AuthenticateAPIKey returns the actor of a key secret. A key verified
// less than Options.APIKeyCache ago is trusted without a query (keyCache).
func (db *DB) AuthenticateAPIKey(ctx context.Context, secret string) (*invited.Actor, error) {
	// No secret, or garbage, is not worth a query. Configured admin keys need
	// not be minted by NewSecret, so the shape is not checked further.
	if secret == "" || len(secret) > 256 {
		return nil, errBadKey()
	}
	hash := invited.HashSecret(secret)
	now := db.clock()
	actor, touch, gen := db.keys.get(hash, now)
	if actor != nil {
		if touch {
			db.touchAPIKey(ctx, actor.APIKeyID)
		}
		return actor, nil
	}
	var key *invited.APIKey
	err := db.readOne(ctx, func(tx *Tx) error {
		var err error
		key, err = scanAPIKey(tx.queryRow(ctx, apiKeyByHashSQL, hash))
		if errors.Is(err, sql.ErrNoRows) {
			return errBadKey()
		}
		now = tx.now
		return err
	})
	if err != nil {
		return nil, err
	}
	if key.RevokedAt != nil {
		return nil, errBadKey()
	}
	actor = db.keyActor(ctx, key, now)
	db.keys.put(hash, *actor, key.LastUsedAt, now, gen)
	return actor, nil
}

// keyActor returns the actor of key, which is valid at now, and records
// its use, in key too.
func (db *DB) keyActor(ctx context.Context, key *invited.APIKey, now time.Time) *invited.Actor {
	if lastUseDue(key.LastUsedAt, now) {
		db.touchAPIKey(ctx, key.ID)
		key.LastUsedAt = &now
	}
	return &invited.Actor{
		APIKeyID:       key.ID,
		Admin:          key.Admin,
		KeyOrgID:       key.OrgID,
		KeyPermissions: invited.NewPermissionSet(key.Permissions...),
	}
}

// lastUseDue reports whether a key last used at last (nil: never) is to
// have its use at now recorded.
func lastUseDue(last *time.Time, now time.Time) bool {
	return last == nil || now.Sub(*last) >= lastUsedResolution
}

// errBadKey is the same for unknown and revoked keys: which one it was is
// nobody's business but the key's owner's.
func errBadKey() error { return invited.Errorf(invited.EUNAUTHENTICATED, "invalid API key") }

// touchAPIKey records that a key was used. It is bookkeeping: a failure is
// logged, not answered. The condition keeps concurrent requests from
// writing the same minute twice.
func (db *DB) touchAPIKey(ctx context.Context, id string) {
	err := db.writeTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`,
			ms(tx.now), id, ms(tx.now.Add(-lastUsedResolution)))
		return err
	})
	if err != nil {
		db.logger.WarnContext(ctx, "recording API key use failed", "key_id", id, "err", err)
	}
}

// ActAsUser returns the actor of key acting for the user named by ref (a
// usr_ id or an external id), with the user's grants. An organization key
// keeps its organization: the Actor methods limit the user to it.
func (db *DB) ActAsUser(ctx context.Context, key *invited.Actor, ref string) (*invited.Actor, error) {
	if key == nil || key.APIKeyID == "" || key.IsUser() {
		return nil, invited.Errorf(invited.EUNAUTHENTICATED, "only an API key can act for a user")
	}
	col := "external_id"
	if strings.HasPrefix(ref, invited.PrefixUser) {
		col = "id"
	}
	var actor *invited.Actor
	err := db.readTx(ctx, func(tx *Tx) error {
		u, err := tx.userBy(ctx, col, ref)
		if isNotFound(err) {
			return invited.Errorf(invited.EUNAUTHENTICATED, "acting user not found")
		}
		if err != nil {
			return err
		}
		actor, err = tx.userActor(ctx, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	actor.APIKeyID, actor.KeyOrgID, actor.KeyPermissions, actor.RemoteAddr = key.APIKeyID, key.KeyOrgID, key.KeyPermissions, key.RemoteAddr
	return actor, nil
}

// AuthenticateUser returns the actor of a verified identity: the user with
// its external id and their grants, or, for someone who has never accepted
// an invitation, the identity itself with no grants.
func (db *DB) AuthenticateUser(ctx context.Context, identity invited.User) (*invited.Actor, error) {
	if identity.ExternalID == "" {
		return nil, invited.Errorf(invited.EUNAUTHENTICATED, "the identity has no subject")
	}
	var actor *invited.Actor
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		actor, err = tx.identityActor(ctx, identity)
		return err
	})
	return actor, err
}

// identityActor is AuthenticateUser's, in tx: a console session signed in
// with a user access token resolves its identity the same way.
func (tx *Tx) identityActor(ctx context.Context, identity invited.User) (*invited.Actor, error) {
	u, err := tx.userBy(ctx, "external_id", identity.ExternalID)
	switch {
	case isNotFound(err):
		identity.ID = ""
		return &invited.Actor{User: &identity, Grants: map[string]invited.PermissionSet{}}, nil
	case err != nil:
		return nil, err
	}
	return tx.userActor(ctx, u)
}
