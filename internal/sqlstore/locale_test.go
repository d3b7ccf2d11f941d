package sqlstore

import (
	"context"
	"testing"

	"github.com/invitedhq/invited"
)

// testLocales: the locale of an invitation (one by one and in a batch),
// a join link and an app invite is stored in canonical form and read back
// by id and by link; the organization's default_locale is a setting; the
// letters carry the invitation's or join link's locale, else the
// organization's.
func testLocales(t *testing.T, e *env) {
	ctx := context.Background()
	org := e.org(&invited.OrgSettingsPatch{DefaultLocale: ptr("ja")})
	if org.Settings.DefaultLocale != "ja" {
		t.Fatalf("default_locale %q", org.Settings.DefaultLocale)
	}
	de, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "de@example.com", Locale: "de"})
	plain, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "plain@example.com"})
	// A well-formed tag of a language without a catalog is kept as given.
	korean, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ko@example.com", Locale: "ko"})
	results, err := e.db.CreateInvitations(e.admin, org.ID, []invited.InvitationCreate{{Email: "br@example.com", Locale: "pt-br"}})
	must(t, err)
	if len(results) != 1 || results[0].Invitation == nil || results[0].Invitation.Locale != "pt-BR" {
		t.Fatalf("batch %+v", results)
	}
	for id, want := range map[string]string{de.ID: "de", plain.ID: "", korean.ID: "ko", results[0].Invitation.ID: "pt-BR"} {
		got, err := e.db.FindInvitationByID(e.admin, id)
		must(t, err)
		if got.Locale != want {
			t.Errorf("invitation %s locale %q, want %q", id, got.Locale, want)
		}
	}
	opened, _, err := e.db.OpenInvitationLink(ctx, token)
	must(t, err)
	if opened.Locale != "de" {
		t.Errorf("opened locale %q", opened.Locale)
	}
	letters := map[string]string{}
	for _, m := range e.claim() {
		letters[m.To] = m.Letter.Locale
	}
	// A letter carries the invitation's locale, then the organization's
	// default_locale (Organization.Locales): written in the first that
	// has a catalog, as the invitation's page is, "ko, ja" in Japanese.
	for to, want := range map[string]string{"de@example.com": "de, ja", "plain@example.com": "ja", "ko@example.com": "ko, ja",
		"br@example.com": "pt-BR, ja"} {
		if letters[to] != want {
			t.Errorf("letter to %s in %q, want %q (all: %v)", to, letters[to], want, letters)
		}
	}

	l, linkToken := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{Locale: "fr"})
	got, err := e.db.FindJoinLinkByID(e.admin, l.ID)
	must(t, err)
	openedLink, _, err := e.db.OpenJoinLink(ctx, linkToken)
	must(t, err)
	if l.Locale != "fr" || got.Locale != "fr" || openedLink.Locale != "fr" {
		t.Errorf("join link locale %q, read %q, opened %q", l.Locale, got.Locale, openedLink.Locale)
	}

	app := e.app(e.admin, crmApp(""))
	ai, code := e.appInvite(e.admin, app.ID, invited.AppInviteCreate{OrgID: org.ID, Locale: "ar"})
	gotInvite, err := e.db.FindAppInviteByID(e.admin, ai.ID)
	must(t, err)
	openedInvite, err := e.db.OpenAppInviteLink(ctx, code)
	must(t, err)
	if ai.Locale != "ar" || gotInvite.Locale != "ar" || openedInvite.Invite.Locale != "ar" {
		t.Errorf("app invite locale %q, read %q, opened %q", ai.Locale, gotInvite.Locale, openedInvite.Invite.Locale)
	}

	_, _, err = e.db.CreateInvitation(e.admin, org.ID, invited.InvitationCreate{Email: "junk@example.com", Locale: "klingon!!"})
	wantCode(t, err, invited.EINVALID)
}
