package sqlstore

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/secretbox"
)

// sealedValues are the values of column c as stored, by row id.
func (e *env) sealedValues(c sealedColumn) map[string]string {
	e.t.Helper()
	rows, err := e.db.read.Query(`SELECT id, ` + c.column() + ` FROM ` + c.table + ` WHERE ` + c.column() + ` IS NOT NULL`)
	must(e.t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, sealed string
		must(e.t, rows.Scan(&id, &sealed))
		out[id] = sealed
	}
	must(e.t, rows.Err())
	return out
}

// testReseal seals values under k1 and one under k0, puts k2 first, k1
// after it and k0 nowhere, and reseals: first a snapshot that the service
// changes before it is written, then everything.
func testReseal(t *testing.T, e *env) {
	ctx := context.Background()
	k0, k1, k2 := secretbox.NewKey("k0"), secretbox.NewKey("k1"), secretbox.NewKey("k2")
	ring := func(spec string) *secretbox.Keyring {
		k, err := secretbox.Parse(spec)
		must(t, err)
		return k
	}
	acme := e.org(nil)
	e.db.secrets = ring(k1)
	app := e.app(e.admin, crmApp(""))
	renewed, _ := e.connect(e.admin, app.ID, acme.ID, platformToken(1))
	archived, _ := e.connect(e.admin, app.ID, acme.ID, invited.OAuthToken{AccessToken: "plain-access-token-bare"})
	untouched, _ := e.connect(e.admin, app.ID, acme.ID, platformToken(2))
	// A token copied from another profile names k1 but does not open in
	// its new row.
	moved, _ := e.connect(e.admin, app.ID, acme.ID, platformToken(3))
	_, err := e.db.write.Exec(e.db.dialect.rebind(`UPDATE profiles SET access_token_sealed = ? WHERE id = ?`),
		e.storedTokens(untouched.ID).access, moved.ID)
	must(t, err)
	e.db.secrets = ring(k0)
	lost := e.app(e.admin, crmApp(""))
	rotated := ring(k2 + "," + k1)
	e.db.secrets = rotated
	current := e.app(e.admin, crmApp(""))

	// The service renews a token and archives a profile between the
	// reading of a batch and its writing: what it wrote stays.
	access := sealedColumns[1]
	snapshot, err := e.db.sealedRows(ctx, access, "", resealBatch)
	must(t, err)
	if len(snapshot) != 4 {
		t.Fatalf("snapshot of %d access tokens", len(snapshot))
	}
	_, err = e.db.SaveRefreshedToken(e.admin, renewed.ID, ptr(platformToken(4)))
	must(t, err)
	_, err = e.db.ArchiveProfile(e.admin, archived.ID)
	must(t, err)
	renewedTokens := e.storedTokens(renewed.ID)
	var count ResealCount
	unopened, err := e.db.resealRows(ctx, access, snapshot, &count)
	must(t, err)
	if want := (ResealCount{Resealed: 1, Changed: 2}); count != want {
		t.Errorf("snapshot resealed %+v, want %+v", count, want)
	}
	if want := []SealedValue{{"profiles.access_token", moved.ID, "k1"}}; !reflect.DeepEqual(unopened, want) {
		t.Errorf("snapshot unopened %+v, want %+v", unopened, want)
	}
	if got := e.storedTokens(renewed.ID); got != renewedTokens {
		t.Errorf("the renewed token was overwritten: %+v, want %+v", got, renewedTokens)
	}
	if got := e.storedTokens(archived.ID); got.access != "" {
		t.Errorf("the archived profile's token was written back: %+v", got)
	}

	// Then everything, two rows at a time so that the batches page.
	before := make([]map[string]string, len(sealedColumns))
	for i, c := range sealedColumns {
		before[i] = e.sealedValues(c)
	}
	r, err := e.db.resealAll(ctx, 2)
	must(t, err)
	want := &ResealReport{Key: "k2",
		Columns: []ResealCount{
			{Column: "apps.client_secret", Resealed: 1, Current: 1},
			{Column: "profiles.access_token", Current: 2},
			{Column: "profiles.refresh_token", Resealed: 2, Current: 1},
			{Column: "signing_keys.private_key"},
			{Column: "webhooks.secret"},
		},
		Unopened: []SealedValue{{"apps.client_secret", lost.ID, "k0"}, {"profiles.access_token", moved.ID, "k1"}},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("reseal\n got %+v\nwant %+v", r, want)
	}
	// Every value that opened is under k2 now, and opens without k1 to
	// what it was; the others are as they were.
	newOnly := ring(k2)
	for i, c := range sealedColumns {
		after := e.sealedValues(c)
		if len(after) != len(before[i]) {
			t.Errorf("%s: %d values, were %d", c, len(after), len(before[i]))
		}
		for id, sealed := range after {
			if (c.String() == access.String() && id == moved.ID) || (c.table == "apps" && id == lost.ID) {
				if sealed != before[i][id] {
					t.Errorf("%s of %s, which does not open, was changed", c, id)
				}
				continue
			}
			was, err := rotated.Open(before[i][id], c.context(id))
			must(t, err)
			got, err := newOnly.Open(sealed, c.context(id))
			if secretbox.KeyOf(sealed) != "k2" || err != nil || string(got) != string(was) {
				t.Errorf("%s of %s: under %s opens to %q, %v; want %q under k2", c, id, secretbox.KeyOf(sealed), got, err, was)
			}
		}
	}
	if s := e.sealedSecret(current.ID); s != before[0][current.ID] {
		t.Error("a value under k2 already was sealed again")
	}

	// A second run has nothing left to do.
	again, err := e.db.Reseal(ctx)
	must(t, err)
	want.Columns = []ResealCount{
		{Column: "apps.client_secret", Current: 2},
		{Column: "profiles.access_token", Current: 2},
		{Column: "profiles.refresh_token", Current: 3},
		{Column: "signing_keys.private_key"},
		{Column: "webhooks.secret"},
	}
	if !reflect.DeepEqual(again, want) {
		t.Errorf("second reseal\n got %+v\nwant %+v", again, want)
	}

	e.db.secrets = nil
	if _, err := e.db.Reseal(ctx); !errors.Is(err, secretbox.ErrNoKeys) {
		t.Errorf("reseal without keys: %v", err)
	}
}
