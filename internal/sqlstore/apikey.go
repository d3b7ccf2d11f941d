package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"

	"github.com/invitedhq/invited"
)

const apiKeyColumns = `k.id, k.name, k.org_id, k.admin, k.permissions, k.prefix, k.created_by, k.created_at, k.last_used_at, k.revoked_at`

// apiKeyByHashSQL authenticates every API request: a unique index lookup.
const apiKeyByHashSQL = `SELECT ` + apiKeyColumns + ` FROM api_keys k WHERE k.secret_hash = ?`

func scanAPIKey(s scanner) (*invited.APIKey, error) {
	k := &invited.APIKey{}
	return k, s.Scan(&k.ID, &k.Name, textCol{&k.OrgID}, &k.Admin, jsonCol{&k.Permissions}, &k.Prefix, &k.CreatedBy,
		timeCol{&k.CreatedAt}, nullTimeCol{&k.LastUsedAt}, nullTimeCol{&k.RevokedAt})
}

// insertAPIKey stores k with the hash of its secret, never the secret, and
// records its creation.
func (tx *Tx) insertAPIKey(ctx context.Context, k *invited.APIKey, secret string) error {
	if _, err := tx.exec(ctx, `INSERT INTO api_keys (id, name, org_id, admin, permissions, prefix, secret_hash, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Name, nullText(k.OrgID), k.Admin, jsonText(k.Permissions), k.Prefix, invited.HashSecret(secret), k.CreatedBy, ms(k.CreatedAt)); err != nil {
		return err
	}
	return tx.audit(ctx, "api_key.created", invited.ResourceAPIKey, k.ID, k.OrgID)
}

// CreateAPIKey creates a key and returns its secret, shown only here. Admin
// keys need an admin; organization keys need org:manage there and may hold
// no permission their creator lacks there.
func (db *DB) CreateAPIKey(ctx context.Context, c invited.APIKeyCreate) (*invited.APIKey, string, error) {
	a := invited.ActorFromContext(ctx)
	switch {
	case c.Admin && !a.Admin:
		return nil, "", invited.Errorf(invited.EFORBIDDEN, "admin keys are created with an admin key")
	case !c.Admin && c.OrgID != "":
		if err := a.Authorize(c.OrgID, invited.PermOrgManage); err != nil {
			return nil, "", err
		}
		if err := a.MayGrant(c.OrgID, invited.NewPermissionSet(c.Permissions...)); err != nil {
			return nil, "", err
		}
	}
	var key *invited.APIKey
	var secret string
	err := db.writeTx(ctx, func(tx *Tx) error {
		var err error
		if key, secret, err = invited.NewAPIKey(c, cmp.Or(a.UserID(), a.APIKeyID), tx.now); err != nil {
			return err
		}
		if key.OrgID != "" {
			if _, err := tx.organization(ctx, key.OrgID); err != nil {
				return err
			}
		}
		return tx.insertAPIKey(ctx, key, secret)
	})
	if err != nil {
		return nil, "", err
	}
	return key, secret, nil
}

// FindAPIKeys lists the keys the actor manages: all for an admin, else
// those of the organizations where the actor holds org:manage.
func (db *DB) FindAPIKeys(ctx context.Context, f invited.APIKeyFilter) ([]*invited.APIKey, string, error) {
	k, err := newKeyset(f.Page, invited.PrefixAPIKey)
	if err != nil {
		return nil, "", err
	}
	a := invited.ActorFromContext(ctx)
	var w where
	if f.OrgID != "" {
		if err := a.Authorize(f.OrgID, invited.PermOrgManage); err != nil {
			return nil, "", err
		}
		w.add("k.org_id = ?", f.OrgID)
	} else if ids, all := a.OrgIDsWith(invited.PermOrgManage); !all {
		if len(ids) == 0 {
			return []*invited.APIKey{}, "", nil
		}
		w.in("k.org_id", ids)
	}
	tail := k.seek(&w, "k.id")
	var keys []*invited.APIKey
	err = db.readTx(ctx, func(tx *Tx) (err error) {
		keys, err = queryList(ctx, tx, scanAPIKey, `SELECT `+apiKeyColumns+` FROM api_keys k`+w.String()+tail, w.args...)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	keys, next := page(k, keys, func(key *invited.APIKey) string { return key.ID })
	return keys, next, nil
}

// RevokeAPIKey revokes a key the actor manages and ends its console
// sessions. Revoking twice is harmless and keeps the first revocation time.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) error {
	a := invited.ActorFromContext(ctx)
	return db.writeTx(ctx, func(tx *Tx) error {
		k, err := scanAPIKey(tx.queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k WHERE k.id = ?`, id))
		if err != nil {
			return notFound(err, "API key")
		}
		switch {
		case k.Admin && !a.Admin, !k.Admin && !a.CanSee(k.OrgID):
			return errNotFound("API key")
		case !k.Admin:
			if err := a.Authorize(k.OrgID, invited.PermOrgManage); err != nil {
				return err
			}
		}
		if _, err = tx.exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, ms(tx.now), id); err != nil {
			return err
		}
		// Its console sessions end with it, and stay ended should the
		// key be restored (EnsureAdminAPIKey).
		if _, err = tx.exec(ctx, `DELETE FROM console_sessions WHERE api_key_id = ?`, id); err != nil {
			return err
		}
		// It stops working on this instance at once; on the others once
		// their cache lets go of it (keyCache).
		tx.onCommit(func() { db.keys.forget(id) })
		return tx.audit(ctx, "api_key.revoked", invited.ResourceAPIKey, id, k.OrgID)
	})
}

// EnsureAdminAPIKey makes secret a valid admin key: the operator's
// configuration says it must work, so a revoked one is restored. Instances
// starting together take turns, so that the later ones find the key the
// first one stored.
func (db *DB) EnsureAdminAPIKey(ctx context.Context, secret, name string) (*invited.APIKey, error) {
	if len(secret) < 16 {
		return nil, invited.FieldErrors{"secret": invited.Problemf("admin_secret_short", "min", 16)}.Errorf(invited.EINVALID, "an admin key must be at least 16 characters")
	}
	var key *invited.APIKey
	err := db.writeTx(ctx, func(tx *Tx) error {
		if err := tx.lockSetup(ctx); err != nil {
			return err
		}
		var err error
		key, err = scanAPIKey(tx.queryRow(ctx, apiKeyByHashSQL, invited.HashSecret(secret)))
		switch {
		case err == nil:
			return tx.restoreAdminKey(ctx, key)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		key = &invited.APIKey{
			ID:          invited.NewID(invited.PrefixAPIKey, tx.now),
			Name:        name,
			Admin:       true,
			Permissions: []invited.Permission{},
			// A chosen secret may be short: reveal less of it than of a
			// minted one.
			Prefix:    secret[:4],
			CreatedAt: tx.now,
			CreatedBy: "configuration",
		}
		return tx.insertAPIKey(ctx, key, secret)
	})
	if err != nil {
		return nil, err
	}
	return key, nil
}

// restoreAdminKey makes the existing key of an EnsureAdminAPIKey secret
// valid again, or refuses when it is an organization key.
func (tx *Tx) restoreAdminKey(ctx context.Context, key *invited.APIKey) error {
	switch {
	case !key.Admin:
		return invited.Errorf(invited.ECONFLICT, "the secret belongs to an organization key")
	case key.RevokedAt == nil:
		return nil
	}
	tx.db.logger.WarnContext(ctx, "restoring a revoked admin API key named by the configuration", "key_id", key.ID)
	key.RevokedAt = nil
	if _, err := tx.exec(ctx, `UPDATE api_keys SET revoked_at = NULL WHERE id = ?`, key.ID); err != nil {
		return err
	}
	return tx.audit(ctx, "api_key.restored", invited.ResourceAPIKey, key.ID, "")
}

// CreateFirstAdminKey creates an admin key on a database without keys and
// returns its secret; with keys present it returns "". Of instances
// starting together on an empty database, only the first creates one.
func (db *DB) CreateFirstAdminKey(ctx context.Context) (string, error) {
	var secret string
	err := db.writeTx(ctx, func(tx *Tx) error {
		if err := tx.lockSetup(ctx); err != nil {
			return err
		}
		var exists bool
		if err := tx.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys)`).Scan(&exists); err != nil || exists {
			return err
		}
		key, s, err := invited.NewAPIKey(invited.APIKeyCreate{Name: "first admin key", Admin: true}, "bootstrap", tx.now)
		if err != nil {
			return err
		}
		secret = s
		return tx.insertAPIKey(ctx, key, secret)
	})
	return secret, err
}
