package sqlstore

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/secretbox"
)

// TestSealedSecrets: signing keys and webhook secrets are stored plain
// without encryption keys (the quickstart), sealed once keys are configured
// (the first start with keys seals those stored before), and a sealed one
// without its key is an error that names the key, not a wrong secret.
func TestSealedSecrets(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			url := b.url(t)
			keys, err := secretbox.Parse(secretbox.NewKey("k1"))
			must(t, err)
			var admin context.Context // the first admin key, made on the first open
			open := func(keys *secretbox.Keyring) *env {
				t.Helper()
				e := &env{t: t, db: openURL(t, url, Options{Secrets: keys}), admin: admin}
				secret, err := e.db.CreateFirstAdminKey(ctx)
				must(t, err)
				if secret != "" {
					e.admin = e.keyContext(secret)
					admin = e.admin
				}
				return e
			}
			e := open(nil)
			now := time.Now()
			plainKey := &invited.SigningKey{ID: invited.NewID(invited.PrefixSigningKey, now), Algorithm: "ES256",
				PrivateKey: []byte("private key one"), CreatedAt: now}
			_, err = e.db.AddSigningKey(ctx, plainKey, false)
			must(t, err)
			hook, err := e.db.CreateWebhook(e.admin, invited.WebhookCreate{URL: "https://hooks.test/"})
			must(t, err)
			stored := func(e *env) (plain, sealed int) {
				t.Helper()
				return e.count(`SELECT COUNT(*) FROM signing_keys WHERE private_key IS NOT NULL`) +
						e.count(`SELECT COUNT(*) FROM webhooks WHERE secret IS NOT NULL`),
					e.count(`SELECT COUNT(*) FROM signing_keys WHERE private_key_sealed IS NOT NULL`) +
						e.count(`SELECT COUNT(*) FROM webhooks WHERE secret_sealed IS NOT NULL`)
			}
			if p, s := stored(e); p != 2 || s != 0 {
				t.Fatalf("without keys: %d plain, %d sealed", p, s)
			}

			// With keys: what was plain is sealed, and reads back as it was.
			e = open(keys)
			if p, s := stored(e); p != 0 || s != 2 {
				t.Fatalf("with keys: %d plain, %d sealed", p, s)
			}
			sealedKey := &invited.SigningKey{ID: invited.NewID(invited.PrefixSigningKey, now.Add(time.Second)), Algorithm: "ES256",
				PrivateKey: []byte("private key two"), CreatedAt: now.Add(time.Second)}
			_, err = e.db.AddSigningKey(ctx, sealedKey, true)
			must(t, err)
			if p, s := stored(e); p != 0 || s != 3 {
				t.Fatalf("a key added with keys: %d plain, %d sealed", p, s)
			}
			got, err := e.db.SigningKeys(ctx, time.Time{})
			must(t, err)
			if len(got) != 2 || !bytes.Equal(got[0].PrivateKey, sealedKey.PrivateKey) || !bytes.Equal(got[1].PrivateKey, plainKey.PrivateKey) {
				t.Fatalf("signing keys read back %+v", got)
			}
			var raw []byte
			must(t, e.db.read.QueryRow(`SELECT private_key_sealed FROM signing_keys WHERE id = '`+sealedKey.ID+`'`).Scan(&raw))
			if bytes.Contains(raw, sealedKey.PrivateKey) || secretbox.KeyOf(string(raw)) != "k1" {
				t.Fatalf("sealed %q", raw)
			}
			_, _, err = e.db.CreateInvitation(e.admin, mustOrg(t, e).ID, invited.InvitationCreate{Email: "a@example.com", Roles: []string{"member"}})
			must(t, err)
			var secret string
			for _, m := range e.claimAll() {
				if m.WebhookID == hook.ID {
					secret = m.Secret
				}
			}
			if secret != hook.Secret {
				t.Fatalf("the delivery is signed with %q, want %q", secret, hook.Secret)
			}

			// Without the key, nothing sealed is read as something else.
			e = open(nil)
			if _, err := e.db.SigningKeys(ctx, time.Time{}); err == nil || !strings.Contains(err.Error(), `"k1"`) {
				t.Fatalf("signing keys without their key: %v", err)
			}
		})
	}
}

// mustOrg creates an organization for tests whose env has no clock.
func mustOrg(t *testing.T, e *env) *invited.Organization {
	t.Helper()
	org, err := e.db.CreateOrganization(e.admin, invited.OrganizationCreate{Name: "Acme"})
	must(t, err)
	return org
}

// claimAll claims every due message.
func (e *env) claimAll() []*invited.Message {
	e.t.Helper()
	msgs, err := e.db.ClaimMessages(context.Background(), 100, time.Minute)
	if err != nil {
		e.t.Fatal(err)
	}
	return msgs
}
