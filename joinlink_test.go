package invited_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// TestJoinLinkTransition covers every (status, action) pair: a use of a
// dead link says why it is dead; every other illegal move is
// invalid_state.
func TestJoinLinkTransition(t *testing.T) {
	legal := map[invited.JoinLinkStatus]map[invited.Action]invited.JoinLinkStatus{
		invited.JoinLinkActive: {invited.ActionUse: invited.JoinLinkActive, invited.ActionExhaust: invited.JoinLinkExhausted,
			invited.ActionRotate: invited.JoinLinkActive, invited.ActionRevoke: invited.JoinLinkRevoked, invited.ActionExpire: invited.JoinLinkExpired},
	}
	useCode := map[invited.JoinLinkStatus]string{
		invited.JoinLinkExhausted: invited.EJOINLINKEXHAUSTED,
		invited.JoinLinkExpired:   invited.EEXPIRED,
		invited.JoinLinkRevoked:   invited.EREVOKED,
	}
	actions := []invited.Action{invited.ActionUse, invited.ActionExhaust, invited.ActionRotate, invited.ActionRevoke,
		invited.ActionExpire, invited.ActionAccept, invited.ActionRenew, invited.ActionArchive}
	for _, from := range invited.JoinLinkStatuses {
		for _, action := range actions {
			t.Run(string(from)+"/"+string(action), func(t *testing.T) {
				to, err := invited.JoinLinkLifecycle.Transition(from, action)
				if want, ok := legal[from][action]; ok {
					if err != nil || to != want {
						t.Fatalf("Transition = %s, %v; want %s", to, err, want)
					}
					return
				}
				want := invited.EINVALIDSTATE
				if action == invited.ActionUse {
					want = useCode[from]
				}
				if got := invited.ErrorCode(err); got != want || to != from {
					t.Fatalf("illegal move: %s, code %q (%v); want %q", to, got, err, want)
				}
			})
		}
	}
}

// TestJoinLinkUse counts uses up to the limit, exhausts the link on the
// last one, and refuses an overdue link before the sweeper marks it.
func TestJoinLinkUse(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	two := 2
	tests := []struct {
		name      string
		maxUses   *int
		uses      int
		expires   time.Time
		exhausted bool
		code      string // of a refused use
	}{
		{"first of two", &two, 0, now.Add(time.Hour), false, ""},
		{"last of two", &two, 1, now.Add(time.Hour), true, ""},
		{"unlimited", nil, 5000, now.Add(time.Hour), false, ""},
		{"overdue", nil, 0, now, false, invited.EEXPIRED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created := now.Add(-time.Hour)
			l := &invited.JoinLink{Status: invited.JoinLinkActive, MaxUses: tt.maxUses, Uses: tt.uses,
				CreatedAt: created, UpdatedAt: created, ExpiresAt: tt.expires}
			exhausted, err := l.Use(now)
			if tt.code != "" {
				if invited.ErrorCode(err) != tt.code || l.Uses != tt.uses || l.Status != invited.JoinLinkActive {
					t.Fatalf("refused use: %v, %+v", err, l)
				}
				return
			}
			if err != nil || exhausted != tt.exhausted || l.Uses != tt.uses+1 || l.LastUsedAt == nil || !l.UpdatedAt.Equal(now) {
				t.Fatalf("Use = %v, %v; link %+v", exhausted, err, l)
			}
			if want := map[bool]invited.JoinLinkStatus{false: invited.JoinLinkActive, true: invited.JoinLinkExhausted}[tt.exhausted]; l.Status != want || (l.ExhaustedAt != nil) != tt.exhausted {
				t.Fatalf("status %s, exhausted_at %v; want %s", l.Status, l.ExhaustedAt, want)
			}
		})
	}
}

func TestNewJoinLink(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	org := &invited.Organization{ID: "org_a", Settings: invited.DefaultOrgSettings()}
	org.Settings.AllowedRedirectOrigins = []string{"https://app.example"}
	perms := map[string]invited.PermissionSet{
		"member":  invited.NewPermissionSet(invited.PermMembersRead),
		"viewer":  invited.NewPermissionSet(invited.PermInvitationsRead),
		"admin":   invited.NewPermissionSet(invited.PermMembersManage, invited.PermOrgManage),
		"owner":   invited.NewPermissionSet(invited.AllPermissions...),
		"nothing": 0,
	}
	exists := func(r string) bool { _, ok := perms[r]; return ok }
	granted := func(roles []string) (s invited.PermissionSet) {
		for _, r := range roles {
			s |= perms[r]
		}
		return s
	}
	ten, zero, many := 10, 0, invited.MaxJoinLinkUses+1
	week := invited.Duration(7 * 24 * time.Hour)
	tests := []struct {
		name   string
		c      invited.JoinLinkCreate
		fields []string // refused with exactly these
		want   func(*invited.JoinLink) bool
	}{
		{"defaults", invited.JoinLinkCreate{}, nil, func(l *invited.JoinLink) bool {
			return reflect.DeepEqual(l.Roles, []string{"member"}) && l.MaxUses == nil && l.ExpiresAt.Equal(now.Add(invited.DefaultInvitationTTL)) &&
				l.Status == invited.JoinLinkActive && len(l.AllowedEmailDomains) == 0
		}},
		{"read roles, limit, domains", invited.JoinLinkCreate{Roles: []string{"viewer", "member"}, MaxUses: &ten, ExpiresIn: &week,
			AllowedEmailDomains: []string{" Acme.example ", "acme.example", "sub.acme.example"}}, nil, func(l *invited.JoinLink) bool {
			return *l.MaxUses == 10 && reflect.DeepEqual(l.AllowedEmailDomains, []string{"acme.example", "sub.acme.example"})
		}},
		{"a role with no permission", invited.JoinLinkCreate{Roles: []string{"nothing"}}, nil, nil},
		{"privileged with consent", invited.JoinLinkCreate{Roles: []string{"admin"}, AllowPrivileged: true}, nil, nil},
		{"privileged without consent", invited.JoinLinkCreate{Roles: []string{"admin"}}, []string{"roles"}, nil},
		{"owner even with consent", invited.JoinLinkCreate{Roles: []string{"owner"}, AllowPrivileged: true}, []string{"roles"}, nil},
		{"unknown role", invited.JoinLinkCreate{Roles: []string{"boss"}}, []string{"roles"}, nil},
		{"no uses", invited.JoinLinkCreate{MaxUses: &zero}, []string{"max_uses"}, nil},
		{"too many uses", invited.JoinLinkCreate{MaxUses: &many}, []string{"max_uses"}, nil},
		{"bad domain", invited.JoinLinkCreate{AllowedEmailDomains: []string{"not a domain"}}, []string{"allowed_email_domains"}, nil},
		{"foreign redirect", invited.JoinLinkCreate{RedirectURL: "https://evil.example/"}, []string{"redirect_url"}, nil},
		{"lifetime beyond 90 days", invited.JoinLinkCreate{ExpiresIn: new(invited.Duration(91 * 24 * time.Hour))}, []string{"expires_in"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := invited.NewJoinLink(tt.c, org, exists, granted, invited.Inviter{Name: "Ada"}, now)
			if tt.fields != nil {
				e, ok := err.(*invited.Error)
				if !ok || e.Code != invited.EINVALID || len(e.Fields) != len(tt.fields) {
					t.Fatalf("err = %v, want fields %v", err, tt.fields)
				}
				for _, f := range tt.fields {
					if _, ok := e.Fields[f]; !ok {
						t.Fatalf("fields %v lack %s", e.Fields, f)
					}
				}
				return
			}
			if err != nil || !invited.ValidID(l.ID, invited.PrefixJoinLink) {
				t.Fatalf("NewJoinLink: %v, %+v", err, l)
			}
			if tt.want != nil && !tt.want(l) {
				t.Fatalf("link %+v", l)
			}
		})
	}
}

func TestJoinLinkAdmits(t *testing.T) {
	l := &invited.JoinLink{AllowedEmailDomains: []string{"acme.example"}}
	open, acme := invited.OrgSettings{}, invited.OrgSettings{AllowedEmailDomains: []string{"acme.example"}}
	tests := []struct {
		name     string
		link     *invited.JoinLink
		settings invited.OrgSettings
		user     invited.User
		ok       bool
	}{
		{"no restriction", &invited.JoinLink{}, open, invited.User{Phone: "+14155550100"}, true},
		{"verified at the domain", l, open, invited.User{Email: "ada@ACME.example", EmailVerified: true}, true},
		{"unverified at the domain", l, open, invited.User{Email: "ada@acme.example"}, false},
		{"verified elsewhere", l, open, invited.User{Email: "ada@other.example", EmailVerified: true}, false},
		{"a subdomain is another domain", l, open, invited.User{Email: "ada@eu.acme.example", EmailVerified: true}, false},
		{"no email", l, open, invited.User{Phone: "+14155550100"}, false},
		{"the organization's domains", &invited.JoinLink{}, acme, invited.User{Email: "ada@acme.example", EmailVerified: true}, true},
		{"outside the organization's domains", &invited.JoinLink{}, acme, invited.User{Email: "ada@other.example", EmailVerified: true}, false},
		{"unverified at the organization's domain", &invited.JoinLink{}, acme, invited.User{Email: "ada@acme.example"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.link.Admits(&tt.user, tt.settings)
			if tt.ok != (err == nil) || (err != nil && invited.ErrorCode(err) != invited.EDOMAINNOTALLOWED) {
				t.Fatalf("Admits = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestJoinLinkPreview shows what a holder may see and nothing more.
func TestJoinLinkPreview(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	org := &invited.Organization{ID: "org_a", Name: "Acme Inc", Settings: invited.OrgSettings{DisplayName: "Acme"}}
	l := &invited.JoinLink{Status: invited.JoinLinkActive, Roles: []string{"member"}, Note: "for the conference",
		Inviter: invited.Inviter{Name: "Ada", UserID: "usr_1"}, ExpiresAt: now.Add(time.Hour), Uses: 3}
	p := l.Preview(org, now)
	if !p.Usable || p.Organization.Name != "Acme" || p.Inviter.Name != "Ada" || p.Status != invited.JoinLinkActive {
		t.Fatalf("preview %+v", p)
	}
	if p = l.Preview(org, now.Add(time.Hour)); p.Usable || p.Status != invited.JoinLinkExpired {
		t.Fatalf("overdue preview %+v", p)
	}
}
