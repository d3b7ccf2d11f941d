package sms

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/i18n"
)

// Segment sizes. A message longer than one segment is sent as several, each
// carrying a 6-byte concatenation header, so the parts hold less than a
// single message does.
const (
	gsmSingle  = 160 // septets
	gsmPart    = 153
	ucs2Single = 70 // UTF-16 code units
	ucs2Part   = 67
)

// The GSM 03.38 default alphabet (without the escape code 0x1B) and its
// extension table. An extension character is sent as escape plus the
// character, so it costs two septets.
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ" +
		" !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§" +
		"¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

// gsmSeptets maps each character GSM-7 can encode to the septets it takes.
var gsmSeptets = func() map[rune]int {
	m := make(map[rune]int, 140)
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}()

// septets returns how many septets r takes in GSM-7, or 0 if GSM-7 cannot
// encode it.
func septets(r rune) int { return gsmSeptets[r] }

// isGSM reports whether s can be sent in GSM-7. Anything else goes as UCS-2
// (UTF-16), which fits less than half as much in a segment.
func isGSM(s string) bool {
	for _, r := range s {
		if septets(r) == 0 {
			return false
		}
	}
	return true
}

// Segments returns how many SMS segments s is sent as: in GSM-7 160
// septets fit one message and 153 each part of a longer one; otherwise, in
// UCS-2, 70 UTF-16 code units and 67 per part. A character is never split
// between parts (an escaped GSM-7 character, a surrogate pair), as
// carriers do it. The empty string is 0 segments.
func Segments(s string) int {
	if s == "" {
		return 0
	}
	cost, single, part := utf16.RuneLen, ucs2Single, ucs2Part
	if isGSM(s) {
		cost, single, part = septets, gsmSingle, gsmPart
	}
	// range turns invalid UTF-8 into U+FFFD, which is sent as such, so
	// cost is never negative.
	total := 0
	for _, r := range s {
		total += cost(r)
	}
	if total <= single {
		return 1
	}
	n, used := 1, 0
	for _, r := range s {
		c := cost(r)
		if used+c > part {
			n, used = n+1, 0
		}
		used += c
	}
	return n
}

// minOrgRunes is as short as an organization name is cut. Shorter, a
// message reads like phishing, which costs more than a second segment.
const minOrgRunes = 10

// draft writes a letter around the organization's name.
type draft func(org string) string

// Text returns the SMS body for a letter, in its language (i18n.Choose of
// the letter's locale). It fits one segment when it can:
// it tries the fullest wording first, then drops the roles and the inviter,
// then cuts the organization's name with an ellipsis. The link is never
// cut; when even the shortest wording takes more than one segment, Text
// returns the fullest wording that takes no more segments than the
// shortest.
//
// The letter's personal message is never included: it cannot fit, and it
// is text from a stranger that the recipient would read as ours. Names have
// control characters and line breaks replaced by spaces. A reminder's
// expiry date is the day in UTC (i18n DayMonth), as pages and emails say.
func Text(l *invited.Letter) string {
	loc := i18n.Choose(l.Locale)
	drafts := draftsFor(l, loc)
	org := clean(l.Organization)
	if org == "" {
		org = loc.T("sms.us")
	}
	for _, d := range drafts {
		if s := d(org); Segments(s) <= 1 {
			return s
		}
	}
	shortest := drafts[len(drafts)-1]
	if s, ok := truncated(shortest, org); ok {
		return s
	}
	// More than one segment whatever we do: say as much as that many
	// segments hold.
	n := Segments(shortest(org))
	for _, d := range drafts {
		if s := d(org); Segments(s) <= n {
			return s
		}
	}
	return shortest(org)
}

// draftsFor returns the wordings for l's kind in loc, fullest first; the
// last is the shortest. Each draft leaves out a part the one before it
// had. Each is a message of the catalog, "sms." + a name, with the
// arguments org, inviter, who, roles, date and link (": " and the link, or
// "").
func draftsFor(l *invited.Letter, loc *i18n.Locale) []draft {
	args := []any{"inviter", clean(l.Inviter), "who", clean(l.Acceptor), "roles", roleList(loc, l.Roles), "link", ""}
	if l.Link != "" {
		args[7] = ": " + l.Link
	}
	hasInviter, hasRoles, hasDate := args[1] != "", args[5] != "", !l.ExpiresAt.IsZero()
	if hasDate {
		args = append(args, "date", loc.DayMonth(l.ExpiresAt))
	}
	var ds []draft
	add := func(ok bool, name string) {
		if ok {
			ds = append(ds, func(o string) string { return loc.T("sms."+name, append([]any{"org", o}, args...)...) })
		}
	}
	switch l.Kind {
	case invited.KindAccepted:
		if args[3] == "" {
			add(hasRoles, "accepted_roles")
			add(true, "accepted")
			break
		}
		add(hasRoles, "joined_roles")
		add(true, "joined")
	case invited.KindJoinApproved:
		add(hasRoles, "join_approved_roles")
		add(true, "join_approved")
	case invited.KindJoinDenied:
		add(true, "join_denied")
	case invited.KindReminder:
		soon, join := "_soon", "join"
		if hasDate {
			soon, join = "", "join_by"
		}
		add(hasRoles, "reminder_roles"+soon)
		add(true, "reminder"+soon)
		add(true, "reminder_short"+soon)
		add(true, join)
	case invited.KindResend:
		add(hasInviter && hasRoles, "resend_inviter_roles")
		add(hasInviter, "resend_inviter")
		add(hasRoles, "resend_roles")
		add(true, "resend")
	default: // invitation, and any kind added later
		add(hasInviter && hasRoles, "invitation_inviter_roles")
		add(hasInviter, "invitation_inviter")
		add(hasRoles, "invitation_roles")
		add(true, "invitation")
		add(true, "join")
	}
	return ds
}

// truncated returns d with org cut, as little as possible, so that it fits
// one segment, or false if it cannot be done keeping minOrgRunes of it. It
// would rather cut between words, if that loses no more than maxWordCut
// runes more.
func truncated(d draft, org string) (string, bool) {
	const maxWordCut = 12
	rs := []rune(org)
	// Every character takes at least a septet, so no longer prefix fits.
	longest := min(len(rs)-1, gsmSingle-utf8.RuneCountInString(d("")))
	for n := longest; n >= minOrgRunes; n-- {
		s, ok := cut(d, rs, n)
		if !ok {
			continue
		}
		if !unicode.IsSpace(rs[n]) { // mid-word: try the word's start
			for k := n - 1; k >= max(n-maxWordCut, minOrgRunes); k-- {
				if unicode.IsSpace(rs[k]) {
					if ws, ok := cut(d, rs, k); ok {
						return ws, true
					}
					break
				}
			}
		}
		return s, true
	}
	return "", false
}

// cut returns d with org cut to its first n runes and an ellipsis, if that
// fits one segment and does not split a character.
func cut(d draft, rs []rune, n int) (string, bool) {
	if !cuttable(rs, n) {
		return "", false
	}
	prefix := strings.TrimRightFunc(string(rs[:n]), unicode.IsSpace)
	if utf8.RuneCountInString(prefix) < minOrgRunes {
		return "", false
	}
	// "..." costs 3 septets but keeps GSM-7; "…" is one character, but
	// forces UCS-2.
	s := d(prefix + "...")
	if !isGSM(s) {
		s = d(prefix + "…")
	}
	return s, Segments(s) <= 1
}

// cuttable reports whether rs may be cut before rs[n] without splitting a
// character the reader sees as one: an accent, an emoji's skin tone or
// variation, a joined emoji sequence.
func cuttable(rs []rune, n int) bool {
	const zwj = '\u200D'
	next, prev := rs[n], rs[n-1]
	return prev != zwj && next != zwj &&
		!unicode.Is(unicode.M, next) &&
		!(next >= 0x1F3FB && next <= 0x1F3FF) // skin tone modifiers
}

// roleList joins role names as loc lists them: "admin", "admin and
// billing", "admin, billing and support" (i18n And).
func roleList(loc *i18n.Locale, roles []string) string {
	var rs []string
	for _, r := range roles {
		if r = clean(r); r != "" {
			rs = append(rs, r)
		}
	}
	return loc.And(rs)
}

// clean makes a user-supplied name safe to put in a message: one line,
// spaces collapsed, and no bidirectional controls, which could make the
// text around the link display in a misleading order.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError: // also what invalid UTF-8 decodes to
			return -1
		case r == '\u061C', r == '\u200E', r == '\u200F',
			r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
			return -1
		case unicode.IsControl(r), unicode.In(r, unicode.Zl, unicode.Zp):
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
