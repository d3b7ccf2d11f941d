package sqlstore

import (
	"context"
	"errors"
	"slices"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/secretbox"
)

// Apps (issue 6): connector applications holding an external platform's
// OAuth configuration. The client secret must be read back for the token
// exchange, so it is sealed (internal/secretbox), not hashed; the oauth
// column holds the rest of the configuration.

const appColumns = `a.id, a.org_id, a.name, a.description, a.oauth, a.client_secret_sealed IS NOT NULL, a.created_at, a.updated_at`

func appDest(app *invited.App) []any {
	return []any{&app.ID, textCol{&app.OrgID}, &app.Name, &app.Description, jsonCol{&app.OAuth}, &app.ClientSecretSet,
		timeCol{&app.CreatedAt}, timeCol{&app.UpdatedAt}}
}

func scanApp(s scanner) (*invited.App, error) {
	app := &invited.App{}
	return app, s.Scan(appDest(app)...)
}

const (
	insertAppSQL = `INSERT INTO apps (id, org_id, name, description, oauth, client_secret_sealed, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	appByIDSQL = `SELECT ` + appColumns + ` FROM apps a WHERE a.id = ?`
)

// clientSecretContext binds an app's sealed client secret to that app, so
// that a sealed value copied into another row does not open there.
func clientSecretContext(appID string) string { return "app:" + appID + ":client_secret" }

// sealClientSecret takes the client secret out of app, which must not
// leave with it, and returns it sealed for the client_secret_sealed column:
// NULL for a public client.
func (db *DB) sealClientSecret(app *invited.App) (any, error) {
	secret := app.OAuth.ClientSecret
	app.OAuth.ClientSecret = ""
	if secret == "" {
		return nil, nil
	}
	sealed, err := db.secrets.Seal([]byte(secret), clientSecretContext(app.ID))
	if errors.Is(err, secretbox.ErrNoKeys) {
		return nil, invited.FieldErrors{"oauth.client_secret": invited.Problemf("client_secret_no_keys")}.Err()
	}
	return sealed, err
}

// CreateApp needs an admin key for a system-wide app and apps:manage in
// the organization for an organization's.
func (db *DB) CreateApp(ctx context.Context, c invited.AppCreate) (*invited.App, error) {
	if err := authorizeOwned(invited.ActorFromContext(ctx), c.OrgID, invited.PermAppsManage, "apps"); err != nil {
		return nil, err
	}
	var app *invited.App
	err := db.writeTx(ctx, func(tx *Tx) error {
		if c.OrgID != "" {
			if _, err := tx.organization(ctx, c.OrgID); err != nil {
				return err
			}
		}
		var err error
		if app, err = invited.NewApp(c, db.outbound, tx.now); err != nil {
			return err
		}
		sealed, err := db.sealClientSecret(app)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, insertAppSQL, app.ID, nullText(app.OrgID), app.Name, app.Description,
			jsonText(app.OAuth), sealed, ms(app.CreatedAt), ms(app.UpdatedAt)); err != nil {
			return err
		}
		return tx.audit(ctx, "app.created", invited.ResourceApp, app.ID, app.OrgID)
	})
	return app, err
}

// FindApps lists the apps the actor can see, newest first; with an
// organization, that organization's and the system-wide ones.
func (db *DB) FindApps(ctx context.Context, f invited.AppFilter) ([]*invited.App, string, error) {
	k, err := newKeyset(f.Page, invited.PrefixApp)
	if err != nil {
		return nil, "", err
	}
	a := invited.ActorFromContext(ctx)
	orgIDs, all := a.AppOrgIDs()
	switch {
	case f.OrgID != "" && !a.CanSee(f.OrgID):
		return nil, "", errNotFound("organization")
	case f.OrgID != "" && !all && !slices.Contains(orgIDs, f.OrgID):
		return nil, "", invited.Errorf(invited.EFORBIDDEN, "this needs the %s or %s permission in the organization",
			invited.PermAppsManage, invited.PermConnectionsManage)
	case f.OrgID != "":
		orgIDs, all = []string{f.OrgID}, false
	case !all && len(orgIDs) == 0:
		return []*invited.App{}, "", nil
	}
	var apps []*invited.App
	err = db.readTx(ctx, func(tx *Tx) error {
		if f.OrgID != "" {
			if _, err := tx.organization(ctx, f.OrgID); err != nil {
				return err // an admin may name any organization
			}
		}
		query, args := appListQuery(orgIDs, all, k)
		var err error
		apps, err = queryList(ctx, tx, scanApp, query, args...)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	apps, next := page(k, apps, func(app *invited.App) string { return app.ID })
	return apps, next, nil
}

// appListQuery builds the list query of the system-wide apps and those of
// orgIDs, or of every app. It depends on its arguments alone, so that the
// query-plan test checks exactly what runs.
func appListQuery(orgIDs []string, all bool, k keyset) (string, []any) {
	var w where
	if !all {
		var ors where
		ors.add("a.org_id IS NULL")
		ors.in("a.org_id", orgIDs)
		w.add(ors.join("OR"), ors.args...)
	}
	tail := k.seek(&w, "a.id")
	return `SELECT ` + appColumns + ` FROM apps a` + w.String() + tail, w.args
}

// FindAppByID returns an app the actor can see.
func (db *DB) FindAppByID(ctx context.Context, id string) (*invited.App, error) {
	var app *invited.App
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		app, err = tx.app(ctx, invited.ActorFromContext(ctx), id)
		return err
	})
	return app, err
}

// app loads app id; it is not_found to an actor who cannot see it.
func (tx *Tx) app(ctx context.Context, a *invited.Actor, id string) (*invited.App, error) {
	app, err := scanApp(tx.queryRow(ctx, appByIDSQL, id))
	if err != nil {
		return nil, notFound(err, "app")
	}
	if !a.CanSeeApp(app) {
		return nil, errNotFound("app")
	}
	return app, nil
}
