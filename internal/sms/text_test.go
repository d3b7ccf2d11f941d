package sms

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/invitedhq/invited"
)

// link has the length of a real one: PUBLIC_URL/i/ and a 43-character token.
const link = "https://invite.example.com/i/Vq3sK9xT0pLmN2bR7cYwE5hJ8uZ1aD4fG6iO-_QeXyA"

func TestSegments(t *testing.T) {
	rep := strings.Repeat
	tests := []struct {
		name string
		s    string
		want int
	}{
		{"empty", "", 0},
		{"one char", "a", 1},
		{"160 GSM", rep("a", 160), 1},
		{"161 GSM", rep("a", 161), 2},
		{"306 GSM", rep("a", 306), 2},
		{"307 GSM", rep("a", 307), 3},
		{"GSM accents are basic", rep("é", 160), 1},
		{"80 extension chars", rep("€", 80), 1},
		{"81 extension chars", rep("€", 81), 2},
		{"extension char tips over", rep("a", 159) + "{", 2},
		{"mixed extension chars", rep("a", 142) + "{}[]~\\|^€", 1},
		// 306 septets, but the escape and its character stay together, so
		// the first part holds only 152.
		{"escape not split across parts", rep("a", 152) + "€" + rep("a", 152), 3},
		{"70 UCS-2", rep("ж", 70), 1},
		{"71 UCS-2", rep("ж", 71), 2},
		{"134 UCS-2", rep("ж", 134), 2},
		{"135 UCS-2", rep("ж", 135), 3},
		{"one non-GSM char makes it UCS-2", rep("a", 70) + "ç", 2},
		{"ellipsis is not GSM", rep("a", 69) + "…", 1},
		{"backtick is not GSM", rep("a", 70) + "`", 2},
		{"emoji are two code units", rep("🎉", 35), 1},
		{"36 emoji", rep("🎉", 36), 2},
		{"surrogate pair not split across parts", rep("ж", 66) + "🎉" + rep("ж", 66), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Segments(tt.s); got != tt.want {
				t.Errorf("Segments(%d runes) = %d, want %d", utf8.RuneCountInString(tt.s), got, tt.want)
			}
		})
	}
}

func TestGSMAlphabet(t *testing.T) {
	// The default alphabet has 128 codes; the escape is not a character.
	if n := utf8.RuneCountInString(gsmBasic); n != 127 {
		t.Errorf("basic alphabet has %d characters, want 127", n)
	}
	seen := map[rune]bool{}
	for _, r := range gsmBasic + gsmExtension {
		if seen[r] {
			t.Errorf("%q listed twice", r)
		}
		seen[r] = true
	}
	// Printable ASCII is all basic but for the backtick, which GSM-7
	// lacks, and the extension table.
	for r := rune(' '); r <= '~'; r++ {
		want := 1
		switch {
		case r == '`':
			want = 0
		case strings.ContainsRune("^{}\\[]~|", r):
			want = 2
		}
		if got := septets(r); got != want {
			t.Errorf("septets(%q) = %d, want %d", r, got, want)
		}
	}
	for r, want := range map[rune]int{'€': 2, '\f': 2, '£': 1, 'Δ': 1, 'ß': 1, 'ç': 0, 'ж': 0, '…': 0, '\x1b': 0, '\t': 0} {
		if got := septets(r); got != want {
			t.Errorf("septets(%q) = %d, want %d", r, got, want)
		}
	}
}

func TestText(t *testing.T) {
	rep := strings.Repeat
	const shortLink = "https://x.io/i/abc"
	nov30 := time.Date(2025, 11, 30, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		l    invited.Letter
		want string // "" to check only the properties below
		// wantSegments is how many segments the text takes (default 1).
		wantSegments int
	}{
		{
			name: "invitation in full",
			l:    invited.Letter{Kind: invited.KindInvitation, Inviter: "Ann Lee", Organization: "Acme Corp", Roles: []string{"admin"}, Link: link},
			want: "Ann Lee invited you to join Acme Corp as admin: " + link,
		},
		{
			name: "several roles",
			l:    invited.Letter{Kind: invited.KindInvitation, Inviter: "Ann", Organization: "Acme", Roles: []string{"admin", "billing", "support"}, Link: link},
			want: "Ann invited you to join Acme as admin, billing and support: " + link,
		},
		{
			name: "too many roles are dropped",
			l: invited.Letter{Kind: invited.KindInvitation, Inviter: "Ann Lee", Organization: "Acme Corp", Link: link,
				Roles: []string{"administrator", "billing-manager", "support-agent", "developer"}},
			want: "Ann Lee invited you to join Acme Corp: " + link,
		},
		{
			name: "long inviter is dropped before the roles",
			l: invited.Letter{Kind: invited.KindInvitation, Inviter: rep("Bartholomew ", 6), Organization: "Acme Corp",
				Roles: []string{"admin"}, Link: link},
			want: "You're invited to join Acme Corp as admin: " + link,
		},
		{
			name: "no inviter",
			l:    invited.Letter{Kind: invited.KindInvitation, Organization: "Acme Corp", Link: link},
			want: "You're invited to join Acme Corp: " + link,
		},
		{
			name: "emoji inviter is dropped to stay in GSM-7",
			l:    invited.Letter{Kind: invited.KindInvitation, Inviter: "Ann 🎉", Organization: "Acme Corp", Roles: []string{"admin"}, Link: link},
			want: "You're invited to join Acme Corp as admin: " + link,
		},
		{
			name: "Cyrillic fits the UCS-2 budget with a short link",
			l:    invited.Letter{Kind: invited.KindInvitation, Inviter: "Анна", Organization: "Акме", Roles: []string{"admin"}, Link: shortLink},
			want: "Анна invited you to join Акме as admin: " + shortLink,
		},
		{
			name: "long organization is cut",
			l: invited.Letter{Kind: invited.KindInvitation, Inviter: "Ann Lee", Organization: rep("x", 150),
				Roles: []string{"admin"}, Link: link},
			// 5 + 78 + 3 + 2 + 72 = 160 septets.
			want: "Join " + rep("x", 78) + "...: " + link,
		},
		{
			name: "long word is cut in the middle",
			l:    invited.Letter{Kind: invited.KindInvitation, Organization: "Acme " + rep("x", 150), Link: link},
			want: "Join Acme " + rep("x", 73) + "...: " + link,
		},
		{
			name: "extension characters count double",
			l:    invited.Letter{Kind: invited.KindInvitation, Organization: rep("€", 41), Link: link},
			// 41 euros are 82 septets, one too many; 39 and "..." fit.
			want: "Join " + rep("€", 39) + "...: " + link,
		},
		{
			name: "extension characters just fit",
			l:    invited.Letter{Kind: invited.KindInvitation, Organization: rep("€", 40), Link: link},
			want: "Join " + rep("€", 40) + ": " + link,
		},
		{
			name: "cutting off the non-GSM character regains GSM-7",
			l:    invited.Letter{Kind: invited.KindInvitation, Organization: rep("a", 100) + "ł", Link: link},
			want: "Join " + rep("a", 78) + "...: " + link,
		},
		{
			name: "long Cyrillic organization is cut with an ellipsis",
			l:    invited.Letter{Kind: invited.KindInvitation, Organization: rep("ж", 60), Link: shortLink},
			// 5 + 44 + 1 + 2 + 18 = 70 code units.
			want: "Join " + rep("ж", 44) + "…: " + shortLink,
		},
		{
			name: "cut spares an emoji sequence",
			l:    invited.Letter{Kind: invited.KindInvitation, Organization: rep("ж", 42) + "👍🏽" + rep("ж", 20), Link: shortLink},
			// Cutting after the thumb would leave 44 code units of name, which
			// fit, but would strip its skin tone.
			want: "Join " + rep("ж", 42) + "…: " + shortLink,
		},
		{
			name: "Cyrillic with a real link cannot fit one segment",
			l:    invited.Letter{Kind: invited.KindInvitation, Inviter: "Анна", Organization: "Акме", Roles: []string{"admin"}, Link: link},
			// The shortest form takes two segments, and so does the full one.
			want:         "Анна invited you to join Акме as admin: " + link,
			wantSegments: 2,
		},
		{
			name:         "short name is not cut to nothing",
			l:            invited.Letter{Kind: invited.KindInvitation, Organization: rep("ж", 12), Link: link},
			want:         "You're invited to join " + rep("ж", 12) + ": " + link,
			wantSegments: 2,
		},
		{
			name: "newlines and controls in names",
			l: invited.Letter{Kind: invited.KindInvitation, Inviter: "Ann\nLee\r\n", Organization: "Acme\tCorp\u202e",
				Roles: []string{"ad\x00min"}, Link: link},
			want: "Ann Lee invited you to join Acme Corp as ad min: " + link,
		},
		{
			name: "personal message is left out",
			l: invited.Letter{Kind: invited.KindInvitation, Inviter: "Ann", Organization: "Acme", Link: link,
				Message: "Hi!"},
			want: "Ann invited you to join Acme: " + link,
		},
		{
			name: "resend",
			l:    invited.Letter{Kind: invited.KindResend, Inviter: "Ann Lee", Organization: "Acme Corp", Roles: []string{"admin"}, Link: link},
			want: "Ann Lee sent you a new link to join Acme Corp as admin: " + link,
		},
		{
			name: "resend with long names",
			l:    invited.Letter{Kind: invited.KindResend, Inviter: rep("Ann ", 20), Organization: rep("Acme ", 30), Link: link},
			// 17 + 66 + 3 + 2 + 72 = 160 septets would end in "A...": the
			// cut goes back to the word's start.
			want: "New link to join " + strings.TrimSpace(rep("Acme ", 13)) + "...: " + link,
		},
		{
			name: "reminder",
			l: invited.Letter{Kind: invited.KindReminder, Inviter: "Ann Lee", Organization: "Acme Corp", Roles: []string{"admin"},
				ExpiresAt: nov30, Link: link},
			want: "Your invitation to join Acme Corp as admin expires 30 Nov: " + link,
		},
		{
			name: "reminder with a long organization",
			l:    invited.Letter{Kind: invited.KindReminder, Organization: rep("y", 70), ExpiresAt: nov30, Link: link},
			want: "Join " + rep("y", 70) + " by 30 Nov: " + link,
		},
		{
			name: "reminder without expiry",
			l:    invited.Letter{Kind: invited.KindReminder, Organization: "Acme", Link: link},
			want: "Your invitation to join Acme expires soon: " + link,
		},
		{
			name: "accepted",
			l:    invited.Letter{Kind: invited.KindAccepted, Acceptor: "Bob Ray", Organization: "Acme Corp", Roles: []string{"admin"}},
			want: "Bob Ray joined Acme Corp as admin",
		},
		{
			name: "accepted without a name",
			l:    invited.Letter{Kind: invited.KindAccepted, Organization: "Acme Corp"},
			want: "Your invitation to join Acme Corp was accepted",
		},
		{
			name: "accepted with a long organization",
			l:    invited.Letter{Kind: invited.KindAccepted, Acceptor: "Bob", Organization: rep("z", 200)},
			want: "Bob joined " + rep("z", 146) + "...",
		},
		{
			name: "join approved",
			l:    invited.Letter{Kind: invited.KindJoinApproved, Organization: "Acme", Roles: []string{"member"}},
			want: "Your request to join Acme was approved: you are a member, as member",
		},
		{
			name: "join denied",
			l:    invited.Letter{Kind: invited.KindJoinDenied, Organization: "Acme", Note: "Sorry"},
			want: "Your request to join Acme was not approved",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Text(&tt.l)
			if tt.want != "" && got != tt.want {
				t.Errorf("Text() =\n%q\nwant\n%q", got, tt.want)
			}
			wantSegments := max(tt.wantSegments, 1)
			if n := Segments(got); n != wantSegments {
				t.Errorf("Text() takes %d segments, want %d: %q", n, wantSegments, got)
			}
			if tt.l.Link != "" && !strings.HasSuffix(got, ": "+tt.l.Link) {
				t.Errorf("Text() = %q, want it to end with the whole link", got)
			}
			if tt.l.Message != "" && strings.Contains(got, tt.l.Message) {
				t.Errorf("Text() = %q includes the personal message", got)
			}
			for _, r := range got {
				if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
					t.Errorf("Text() = %q contains control character %U", got, r)
				}
			}
		})
	}
}

// TestTextOneSegment checks, over many lengths of names, that whenever the
// shortest wording fits one segment, Text's does.
func TestTextOneSegment(t *testing.T) {
	for _, name := range []string{"a", "é", "€", "ж", "🎉", "Acme ", "{x} "} {
		for n := 1; n <= 200; n++ {
			org := strings.TrimSpace(strings.Repeat(name, n))
			l := &invited.Letter{Kind: invited.KindInvitation, Inviter: "Ann Lee", Organization: org, Roles: []string{"admin"}, Link: link}
			got := Text(l)
			if !strings.HasSuffix(got, ": "+link) {
				t.Fatalf("org %q: Text() = %q, want the whole link at the end", org, got)
			}
			shortest := "Join " + org + ": " + link
			if Segments(shortest) == 1 && Segments(got) != 1 {
				t.Fatalf("org %q: Text() = %q takes %d segments, want 1", org, got, Segments(got))
			}
			// An organization name long enough to cut is cut to one segment
			// when the rest leaves room for minOrgRunes of it.
			if isGSM(org) && Segments(got) != 1 {
				t.Fatalf("org %q: Text() = %q takes %d segments, want 1", org, got, Segments(got))
			}
		}
	}
}
