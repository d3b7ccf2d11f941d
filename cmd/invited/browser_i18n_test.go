package main

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/i18n"
	"github.com/invitedhq/invited/internal/testutil/browser"
	"github.com/invitedhq/invited/internal/testutil/smtptest"
)

// The browser tests of the invitee's language (issue 17, docs/i18n.md):
// pages, dead-link pages and emails in the invitation's locale, else the
// browser's; right to left for Arabic; axe-core on every shipped locale.

// acceptLanguage makes the tab send header as its Accept-Language ("" for
// the browser's own, en-US) from the next navigation on.
func acceptLanguage(t *testing.T, ctx context.Context, header string) {
	t.Helper()
	headers := network.Headers{}
	if header != "" {
		headers["Accept-Language"] = header
	}
	browser.Do(t, ctx, chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers})
		return err
	}))
}

// pageLanguage returns the lang and dir of the page's <html>.
func pageLanguage(t *testing.T, ctx context.Context) (lang, dir string) {
	t.Helper()
	v := browser.Run(t, ctx, chromedp.Evaluate[[]string](`[document.documentElement.lang, document.documentElement.dir]`))
	return v[0], v[1]
}

// mustLack fails the test for each text holds of unwanted.
func mustLack(t *testing.T, what, text string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(text, u) {
			t.Errorf("%s has %q, which it should not:\n%s", what, u, text)
		}
	}
}

// received waits for the email to to and returns its subject and parts.
func received(t *testing.T, srv *instance, smtpServer *smtptest.Server, to string) (string, map[string]string) {
	t.Helper()
	eventually(t, "the email to "+to, func() bool {
		return slices.ContainsFunc(smtpServer.Received(), func(m smtptest.Mail) bool { return slices.Contains(m.To, to) })
	}, srv)
	for _, m := range smtpServer.Received() {
		if slices.Contains(m.To, to) {
			msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
			if err != nil {
				t.Fatal(err)
			}
			subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			return subject, mimeParts(t, msg)
		}
	}
	panic("unreachable")
}

// germanDate is how the German pages and emails write a time.
var germanDate = regexp.MustCompile(`\d{1,2}\. (Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember) \d{4}, \d{2}:\d{2} UTC`)

// TestBrowserGerman: an invitation with locale "de" reads in German end
// to end, whatever the browser prefers: the landing page, the email the
// real SMTP server took, the page of the invitee's decline and the page
// of a withdrawn link.
func TestBrowserGerman(t *testing.T) {
	smtpServer := smtptest.Start(t, smtptest.Config{})
	srv, _ := browserServe(t, map[string]string{
		"INVITED_SMTP_URL": "smtp://" + smtpServer.Addr + "?tls=none&from=" + url.QueryEscape("Invited <no-reply@invited.test>"),
	})
	host := newHostApp(t, srv.URL, browserAdminKey)
	org, owner := acmeRobotics(t, srv, host)
	inv := invite(t, srv, org, owner, invited.InvitationCreate{Email: "hans@example.com", FirstName: "Hans",
		Roles: []string{"member"}, Locale: "de", Message: "Willkommen!"})
	if inv.Locale != "de" {
		t.Fatalf("created with locale %q", inv.Locale)
	}

	ctx := browser.Start(t)
	acceptLanguage(t, ctx, "en-US,en;q=0.9") // the invitation's locale comes first
	text := open(t, ctx, inv.URL, "landing-de")
	browser.Accessible(t, ctx, "the German landing page")
	if lang, dir := pageLanguage(t, ctx); lang != "de" || dir != "ltr" {
		t.Errorf("<html lang=%q dir=%q>, want de, ltr", lang, dir)
	}
	mustContain(t, "German landing page", text, "Hallo Hans,", "Olivia Owner hat Sie eingeladen, Acme Robotics beizutreten",
		"Organisation", "Rolle", "Gültig bis", "Nachricht von Olivia Owner", "Ihr Name", "Einladung annehmen", "Nicht für Sie?", "Ablehnen")
	mustLack(t, "German landing page", text, "Accept invitation", "Expires", "Decline", "invited you")
	if !germanDate.MatchString(text) {
		t.Errorf("no German date on the page:\n%s", text)
	}
	if title := browser.Run(t, ctx, chromedp.Title()); title != "Ihre Einladung · Acme Robotics" {
		t.Errorf("title %q", title)
	}

	subject, parts := received(t, srv, smtpServer, "hans@example.com")
	if subject != "Olivia Owner hat Sie eingeladen, Acme beizutreten" {
		t.Errorf("subject %q", subject)
	}
	mustContain(t, "German email text", parts["text/plain"], "Hallo Hans,", "Olivia Owner hat Sie eingeladen, Acme beizutreten.",
		"Ihre Rolle wird sein: member.", "Olivia Owner schreibt:", "Um die Einladung anzunehmen, öffnen Sie diesen Link:",
		"Der Link funktioniert bis", "ignorieren")
	mustLack(t, "German email text", parts["text/plain"], "Hello", "To accept", "The link works")
	if !germanDate.MatchString(parts["text/plain"]) {
		t.Errorf("no German date in the email:\n%s", parts["text/plain"])
	}
	mustContain(t, "German email HTML", parts["text/html"], `<html lang="de" dir="ltr">`, "Einladung annehmen", "Oder öffnen Sie diesen Link:")

	// The invitee declines: the page says so in German.
	browser.Do(t, ctx, chromedp.Click(chromedp.CSS("button#decline-button")), chromedp.WaitVisible(chromedp.CSS("section#status")))
	browser.Screenshot(t, ctx, "declined-de")
	browser.Accessible(t, ctx, "the German declined page")
	text = browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main")))
	mustContain(t, "German declined page", text, "Diese Einladung wurde abgelehnt", "Sie haben die Einladung zu Acme Robotics abgelehnt.")
	mustLack(t, "German declined page", text, "declined")

	// A withdrawn German invitation explains itself in German.
	revoked := invite(t, srv, org, owner, invited.InvitationCreate{Email: "greta@example.com", Locale: "de"})
	if _, err := adminClient(t, srv).RevokeInvitation(t.Context(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	text = open(t, ctx, revoked.URL, "revoked-de")
	browser.Accessible(t, ctx, "the German revoked page")
	mustContain(t, "German revoked page", text, "Diese Einladung ist nicht mehr gültig", "zurückgezogen")
}

// TestBrowserAcceptLanguage: an invitation without a locale, in an
// organization without a default_locale, reads in the browser's language
// (Accept-Language: ja), dead links included; a link that opens nothing
// too, as it has no invitation to ask.
func TestBrowserAcceptLanguage(t *testing.T) {
	srv, dbPath := browserServe(t)
	org := newOrg(t, srv, "Globex", &invited.OrgSettingsPatch{Contact: new("help@globex.example")})
	owner := newOwner(t, srv, org, "Olivia Owner", "olivia@example.com")
	inv := invite(t, srv, org, owner, invited.InvitationCreate{Email: "yuki@example.com", FirstName: "Yuki", Roles: []string{"member"}})

	ctx := browser.Start(t)
	acceptLanguage(t, ctx, "ja")
	text := open(t, ctx, inv.URL, "landing-ja")
	browser.Accessible(t, ctx, "the Japanese landing page")
	if lang, _ := pageLanguage(t, ctx); lang != "ja" {
		t.Errorf("<html lang=%q>, want ja", lang)
	}
	mustContain(t, "Japanese landing page", text, "Yuki さん、こんにちは。", "Olivia Ownerさんから Globex への招待が届いています",
		"組織", "ロール", "有効期限", "招待を承諾", "辞退", "UTC")
	mustLack(t, "Japanese landing page", text, "Accept invitation", "Organization", "Decline")
	if !regexp.MustCompile(`\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} UTC`).MatchString(text) {
		t.Errorf("no Japanese date on the page:\n%s", text)
	}

	expiredAt := time.Now().Add(-26 * time.Hour).UTC().Truncate(time.Minute)
	setExpiresAt(t, dbPath, inv.ID, expiredAt)
	text = open(t, ctx, inv.URL, "expired-ja")
	browser.Accessible(t, ctx, "the Japanese expired page")
	mustContain(t, "Japanese expired page", text,
		"この招待は "+i18n.Choose("ja").Date(expiredAt)+" に期限切れになりました", "Globex のOlivia Ownerに新しい招待を依頼してください。",
		"お問い合わせ: help@globex.example")
	mustLack(t, "Japanese expired page", text, "expired", "Questions?")

	text = open(t, ctx, srv.URL+"/i/"+invited.NewSecret(""), "unknown-ja")
	browser.Accessible(t, ctx, "the Japanese unknown-link page")
	mustContain(t, "Japanese unknown-link page", text, "この招待はもう有効ではありません", "取り消された")

	// Without the header, the same link reads in English again.
	acceptLanguage(t, ctx, "")
	mustContain(t, "English unknown-link page", open(t, ctx, srv.URL+"/i/"+invited.NewSecret(""), "unknown-en"), "This invitation is no longer valid")
}

// TestBrowserRightToLeft: the Arabic pages have dir="rtl" and lay out
// right to left (text starts at the right of its box; the brand sits at
// the right of the masthead; nothing overflows sideways), where the
// English ones lay out left to right.
func TestBrowserRightToLeft(t *testing.T) {
	srv, _ := browserServe(t)
	org := newOrg(t, srv, "Acme", nil)
	owner := newOwner(t, srv, org, "Olivia Owner", "olivia@example.com")
	ctx := browser.Start(t)
	for _, tc := range []struct{ locale, dir string }{{"ar", "rtl"}, {"en", "ltr"}} {
		t.Run(tc.locale, func(t *testing.T) {
			inv := invite(t, srv, org, owner, invited.InvitationCreate{Email: tc.locale + "@example.com", Locale: tc.locale,
				Roles: []string{"member"}, Message: "Hello"})
			text := open(t, ctx, inv.URL, "landing-"+tc.locale)
			browser.Accessible(t, ctx, "the landing page in "+tc.locale)
			if lang, dir := pageLanguage(t, ctx); lang != tc.locale || dir != tc.dir {
				t.Errorf("<html lang=%q dir=%q>, want %s, %s", lang, dir, tc.locale, tc.dir)
			}
			if tc.locale == "ar" {
				mustContain(t, "Arabic landing page", text, "دعاك Olivia Owner للانضمام إلى Acme", "قبول الدعوة", "المؤسسة")
			}
			layout := browser.Run(t, ctx, chromedp.Evaluate[struct {
				Direction                  string
				TextStartGap, TextEndGap   float64
				BrandLeft, BrandRight      float64
				ViewportWidth, PageWidth   float64
				QuoteBorderL, QuoteBorderR string
			}](`(() => {
	const card = document.querySelector("section.card").getBoundingClientRect();
	const range = document.createRange();
	range.selectNodeContents(document.querySelector("dl.facts dt"));
	const text = range.getBoundingClientRect();
	const rtl = getComputedStyle(document.querySelector("main")).direction === "rtl";
	const brand = document.querySelector(".brand-name").getBoundingClientRect();
	const quote = getComputedStyle(document.querySelector("blockquote"));
	return {
		direction: getComputedStyle(document.querySelector("main")).direction,
		textStartGap: rtl ? card.right - text.right : text.left - card.left,
		textEndGap: rtl ? text.left - card.left : card.right - text.right,
		brandLeft: brand.left, brandRight: brand.right,
		viewportWidth: document.documentElement.clientWidth, pageWidth: document.documentElement.scrollWidth,
		quoteBorderL: quote.borderLeftWidth, quoteBorderR: quote.borderRightWidth,
	};
})()`))
			if layout.Direction != tc.dir {
				t.Errorf("computed direction %q, want %q", layout.Direction, tc.dir)
			}
			// The first term of the facts starts at the card's start
			// edge (its padding away) and ends far from the other.
			if layout.TextStartGap >= layout.TextEndGap {
				t.Errorf("%s: the term's text is %.0fpx from the start edge and %.0fpx from the end: not laid out from the start",
					tc.dir, layout.TextStartGap, layout.TextEndGap)
			}
			middle := layout.ViewportWidth / 2
			if rtl := tc.dir == "rtl"; rtl != (layout.BrandLeft > middle) || rtl == (layout.BrandRight < middle) {
				t.Errorf("%s: the brand spans %.0f-%.0f of %.0fpx", tc.dir, layout.BrandLeft, layout.BrandRight, layout.ViewportWidth)
			}
			if layout.PageWidth > layout.ViewportWidth {
				t.Errorf("%s: the page is %.0fpx wide in a %.0fpx viewport", tc.dir, layout.PageWidth, layout.ViewportWidth)
			}
			// The quote's bar is on its start side.
			start, end := layout.QuoteBorderL, layout.QuoteBorderR
			if tc.dir == "rtl" {
				start, end = end, start
			}
			if start != "4px" || end != "0px" {
				t.Errorf("%s: the quote's borders are left %s, right %s", tc.dir, layout.QuoteBorderL, layout.QuoteBorderR)
			}
		})
	}
}

// TestBrowserLocalesAccessible: in every shipped locale, the landing
// page, a dead-link page, and the join page read in that locale (their
// lang, and the catalog's words) and axe-core finds no violation on them.
func TestBrowserLocalesAccessible(t *testing.T) {
	srv, _ := browserServe(t)
	org := newOrg(t, srv, "Acme", &invited.OrgSettingsPatch{Contact: new("help@acme.example")})
	owner := newOwner(t, srv, org, "Olivia Owner", "olivia@example.com")
	ctx := browser.Start(t)
	english := i18n.English()
	for _, loc := range i18n.All() {
		t.Run(loc.Name(), func(t *testing.T) {
			inv := invite(t, srv, org, owner, invited.InvitationCreate{Email: "a-" + strings.ToLower(loc.Name()) + "@example.com",
				FirstName: "Ada", Locale: loc.Name(), Roles: []string{"member"}, Message: "Hi"})
			revoked := invite(t, srv, org, owner, invited.InvitationCreate{Email: "r-" + strings.ToLower(loc.Name()) + "@example.com", Locale: loc.Name()})
			if _, err := adminClient(t, srv).RevokeInvitation(t.Context(), revoked.ID); err != nil {
				t.Fatal(err)
			}
			link := createJoinLink(t, srv, org, owner, invited.JoinLinkCreate{Locale: loc.Name()})
			for _, p := range []struct{ name, url, key string }{
				{"landing", inv.URL, "landing.accept"},
				{"revoked", revoked.URL, "dead.title.revoked"},
				{"join", link.URL, "join.submit"},
			} {
				text := open(t, ctx, p.url, p.name+"-"+loc.Name())
				browser.Accessible(t, ctx, p.name+" in "+loc.Name())
				if lang, dir := pageLanguage(t, ctx); lang != loc.Name() || dir != loc.Dir() {
					t.Errorf("%s: <html lang=%q dir=%q>, want %s, %s", p.name, lang, dir, loc.Name(), loc.Dir())
				}
				mustContain(t, p.name, text, loc.T(p.key))
				if loc != english {
					mustLack(t, p.name, text, english.T(p.key))
				}
			}
		})
	}
}
