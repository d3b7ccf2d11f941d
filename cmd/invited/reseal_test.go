package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/secretbox"
	"github.com/invitedhq/invited/internal/sqlstore"
)

// The plaintexts that TestReseal seals: the output must never hold them,
// nor their sealed values.
const (
	resealClientSecret = "reseal-client-secret"
	resealAccessToken  = "reseal-access-token"
	resealRefreshToken = "reseal-refresh-token"
)

// TestReseal stores an app's client secret and a profile's tokens under
// k1, puts k2 first, and reseals: afterwards everything opens with k2
// alone. A second run has nothing to do; a run with a keyring that opens
// nothing reports each value and fails; a run without keys says what to
// set.
func TestReseal(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "invited.db")
	dbURL := "sqlite:" + path
	k1, k2, k3 := secretbox.NewKey("k1"), secretbox.NewKey("k2"), secretbox.NewKey("k3")
	appID, profileID := connectProfile(t, dbURL, k1)
	reseal := func(keys string) (string, error) {
		return runInvitedEnv(map[string]string{"INVITED_DATABASE_URL": dbURL, "INVITED_ENCRYPTION_KEYS": keys}, "reseal")
	}

	out, err := reseal(k2 + "," + k1)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"resealed 3 values under k2 (apps.client_secret 1, profiles.access_token 1, profiles.refresh_token 1, signing_keys.private_key 0, webhooks.secret 0); 0 were under it already",
		"0 left under other keys: keys other than k2 may now be removed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("reseal printed\n%s\nwant %q", out, want)
		}
	}
	sealed := sealedColumns(t, path, appID, profileID)
	for _, v := range sealed {
		if secretbox.KeyOf(v) != "k2" {
			t.Errorf("a value is still under %s", secretbox.KeyOf(v))
		}
	}

	// k1 may go: the store opens everything with k2 alone.
	db, err := sqlstore.Open(ctx, dbURL, sqlstore.Options{Secrets: mustKeys(t, k2)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pc, err := db.ProfileCredentials(adminContext(t, db), profileID)
	if err != nil {
		t.Fatal(err)
	}
	if pc.App.OAuth.ClientSecret != resealClientSecret || pc.Token.AccessToken != resealAccessToken ||
		pc.Token.RefreshToken != resealRefreshToken {
		t.Errorf("opened with k2: client secret %q, token %+v", pc.App.OAuth.ClientSecret, pc.Token)
	}

	out, err = reseal(k2 + "," + k1)
	if err != nil || !strings.Contains(out, "resealed 0 values under k2 (apps.client_secret 0, profiles.access_token 0, profiles.refresh_token 0, signing_keys.private_key 0, webhooks.secret 0); 3 were under it already") {
		t.Errorf("second reseal: %v\n%s", err, out)
	}

	// A keyring without k2 opens none of them: each is named, none is
	// shown or changed.
	out, err = reseal(k3)
	if err == nil || !strings.Contains(err.Error(), "3 values open under none of the keys") {
		t.Errorf("reseal with k3 only: %v", err)
	}
	for _, want := range []string{
		"cannot open apps.client_secret of " + appID + ", sealed under k2: left as it is",
		"cannot open profiles.access_token of " + profileID + ", sealed under k2",
		"cannot open profiles.refresh_token of " + profileID + ", sealed under k2",
		"3 left under other keys",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("reseal with k3 only printed\n%s\nwant %q", out, want)
		}
	}
	for _, secret := range append(sealed, resealClientSecret, resealAccessToken, resealRefreshToken) {
		if strings.Contains(out, secret) || strings.Contains(err.Error(), secret) {
			t.Errorf("reseal shows a secret: %q", secret)
		}
	}
	if again := sealedColumns(t, path, appID, profileID); fmt.Sprint(again) != fmt.Sprint(sealed) {
		t.Error("values that did not open were changed")
	}

	_, err = reseal("")
	if err == nil || !strings.Contains(err.Error(), "INVITED_ENCRYPTION_KEYS") {
		t.Errorf("reseal without keys: %v, want an error naming INVITED_ENCRYPTION_KEYS", err)
	}
}

// connectProfile stores, through the store under keys, an app with a
// client secret and a profile with both tokens, as the partner's flow
// would, and returns their ids.
func connectProfile(t *testing.T, dbURL, keys string) (appID, profileID string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dbURL, sqlstore.Options{Secrets: mustKeys(t, keys)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	admin := adminContext(t, db)
	org, err := db.CreateOrganization(admin, invited.OrganizationCreate{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	app, err := db.CreateApp(admin, invited.AppCreate{Name: "CRM", OAuth: invited.OAuthConfig{
		AuthorizationURL: "https://crm.example.com/oauth/authorize", TokenURL: "https://crm.example.com/oauth/token",
		ClientID: "client-1", ClientSecret: resealClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	_, code, err := db.CreateAppInvite(admin, app.ID, invited.AppInviteCreate{OrgID: org.ID})
	if err != nil {
		t.Fatal(err)
	}
	state, browser := invited.NewSecret(""), invited.NewSecret("")
	if err := db.StartAuthorization(ctx, code, state, browser, time.Now().Add(invited.AuthorizationTTL)); err != nil {
		t.Fatal(err)
	}
	au, err := db.TakeAuthorization(ctx, state, browser)
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.ActivateAppInvite(ctx, au.Invite.ID, invited.ProfileCreate{ExternalAccountID: "acct-1",
		Token: invited.OAuthToken{AccessToken: resealAccessToken, RefreshToken: resealRefreshToken}})
	if err != nil {
		t.Fatal(err)
	}
	return app.ID, p.ID
}

// adminContext returns the context of an admin API key of db.
func adminContext(t *testing.T, db *sqlstore.DB) context.Context {
	t.Helper()
	const secret = "reseal-test-admin-key-0123456789"
	ctx := context.Background()
	if _, err := db.EnsureAdminAPIKey(ctx, secret, "reseal test"); err != nil {
		t.Fatal(err)
	}
	a, err := db.AuthenticateAPIKey(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	return invited.NewContextWithActor(ctx, a)
}

func mustKeys(t *testing.T, spec string) *secretbox.Keyring {
	t.Helper()
	k, err := secretbox.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sealedColumns reads the sealed client secret of app appID and the
// sealed tokens of profile profileID straight from the SQLite file path.
func sealedColumns(t *testing.T, path, appID, profileID string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := make([]string, 3)
	if err := db.QueryRow(`SELECT client_secret_sealed FROM apps WHERE id = ?`, appID).Scan(&out[0]); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT access_token_sealed, refresh_token_sealed FROM profiles WHERE id = ?`, profileID).
		Scan(&out[1], &out[2]); err != nil {
		t.Fatal(err)
	}
	return out
}
