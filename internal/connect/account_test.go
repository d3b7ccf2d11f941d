package connect_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/testutil/oauthserver"
)

// TestAccountIDText: an account id the platform answers is held to the
// text rule of everything stored, so a platform cannot store what an API
// user could not; the flow fails as the platform's fault, and the invite
// stays pending.
func TestAccountIDText(t *testing.T) {
	for _, tt := range []struct {
		name, id string
		ok       bool
	}{
		{"plain", "acct-42", true},
		{"unicode", "compte-é-42", true},
		{"NUL", "acct\x00x", false},
		{"newline", "acct\nx", false},
		{"escape", "acct\x1b[31m", false},
		{"too long", strings.Repeat("a", 257), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.platform = oauthserver.Start(t, oauthserver.Options{
				ClientID: "client-1", ClientSecret: "s3cret", RedirectURI: e.svc.RedirectURI(), AutoConsent: oauthserver.Approve,
				AccountID: tt.id,
			})
			ai, code := e.invite(e.oauth())
			browser := rand.Text()
			_, prof, err := e.svc.Callback(context.Background(), e.authorize(code, browser), browser)
			if tt.ok {
				if err != nil || prof.ExternalAccountID != tt.id {
					t.Fatalf("profile %+v (%v), want account %q", prof, err, tt.id)
				}
				return
			}
			if pe := wantPlatformError(t, err, "userinfo", ""); !strings.Contains(pe.Description, "not plain text") {
				t.Errorf("platform error %q, want the account id refused", pe.Description)
			}
			if prof != nil || e.inviteStatus(ai.ID) != invited.AppInvitePending {
				t.Errorf("profile %v, invite %s: want none, and the invite pending", prof, e.inviteStatus(ai.ID))
			}
		})
	}
}
