package invited_test

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// TestTransition covers every (status, action) pair: the legal ones land
// where DESIGN.md §2 says, the illegal ones fail with the code a caller
// should see.
func TestTransition(t *testing.T) {
	legal := map[invited.Status]map[invited.Action]invited.Status{
		invited.StatusDraft:    {invited.ActionSend: invited.StatusPending, invited.ActionRevoke: invited.StatusRevoked},
		invited.StatusPending:  {invited.ActionResend: invited.StatusPending, invited.ActionRenew: invited.StatusPending, invited.ActionAccept: invited.StatusAccepted, invited.ActionDecline: invited.StatusDeclined, invited.ActionRevoke: invited.StatusRevoked, invited.ActionExpire: invited.StatusExpired},
		invited.StatusExpired:  {invited.ActionRenew: invited.StatusPending},
		invited.StatusAccepted: {invited.ActionArchive: invited.StatusArchived},
	}
	// The code an illegal accept or decline answers, by status; every other
	// illegal move is invalid_state.
	tokenCode := map[invited.Status]string{
		invited.StatusAccepted: invited.EALREADYACCEPTED,
		invited.StatusArchived: invited.EALREADYACCEPTED,
		invited.StatusExpired:  invited.EEXPIRED,
		invited.StatusRevoked:  invited.EREVOKED,
		invited.StatusDeclined: invited.EDECLINED,
	}
	actions := []invited.Action{invited.ActionSend, invited.ActionResend, invited.ActionRenew, invited.ActionAccept,
		invited.ActionDecline, invited.ActionRevoke, invited.ActionExpire, invited.ActionArchive}

	for _, from := range invited.Statuses {
		for _, action := range actions {
			t.Run(string(from)+"/"+string(action), func(t *testing.T) {
				to, err := invited.InvitationLifecycle.Transition(from, action)
				if want, ok := legal[from][action]; ok {
					if err != nil || to != want {
						t.Fatalf("Transition = %s, %v; want %s", to, err, want)
					}
					return
				}
				want := invited.EINVALIDSTATE
				if c, ok := tokenCode[from]; ok && (action == invited.ActionAccept || action == invited.ActionDecline) {
					want = c
				}
				if got := invited.ErrorCode(err); got != want {
					t.Fatalf("illegal move: code %q (err %v), want %q", got, err, want)
				}
				if to != from {
					t.Fatalf("illegal move changed status to %s", to)
				}
			})
		}
	}
}

func TestApplyReadsExpiryAtOnce(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	inv := &invited.Invitation{Status: invited.StatusPending, Email: "a@example.com", ExpiresAt: now}
	if got := inv.StatusAt(now.Add(-time.Millisecond)); got != invited.StatusPending {
		t.Fatalf("before expiry: %s", got)
	}
	if got := inv.StatusAt(now); got != invited.StatusExpired {
		t.Fatalf("at expiry: %s", got)
	}
	if err := inv.Apply(invited.ActionAccept, now); invited.ErrorCode(err) != invited.EEXPIRED {
		t.Fatalf("accept after expiry: %v", err)
	}
	if err := inv.Renew(invited.Renewal{}, time.Hour, now); err != nil {
		t.Fatalf("renew expired: %v", err)
	}
	if inv.Status != invited.StatusPending || !inv.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("after renew: %s %s", inv.Status, inv.ExpiresAt)
	}
	if err := inv.Apply(invited.ActionAccept, now); err != nil || inv.AcceptedAt == nil || inv.Status != invited.StatusAccepted {
		t.Fatalf("accept after renew: %v %+v", err, inv)
	}
}

func TestNewInvitation(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	org, err := invited.NewOrganization(invited.OrganizationCreate{Name: "Acme"}, now)
	if err != nil {
		t.Fatal(err)
	}
	org.Settings.AllowedRedirectOrigins = []string{"https://app.acme.test"}
	org.Settings.DefaultRedirectURL = "https://app.acme.test/home"
	roleExists := func(r string) bool { return r == "admin" || r == "member" || r == "billing" }
	dur := func(s string) *invited.Duration { d, _ := invited.ParseDuration(s); return &d }
	f := false
	at := now.Add(48 * time.Hour)

	tests := []struct {
		name      string
		in        invited.InvitationCreate
		wantField string // "" means valid
		check     func(t *testing.T, inv *invited.Invitation)
	}{
		{name: "email defaults", in: invited.InvitationCreate{Email: "Ann@Example.COM", Roles: []string{"admin"}},
			check: func(t *testing.T, inv *invited.Invitation) {
				if inv.Email != "ann@example.com" || inv.Status != invited.StatusPending || inv.Channel != "email" ||
					!inv.ExpiresAt.Equal(now.Add(invited.DefaultInvitationTTL)) || inv.SentAt == nil {
					t.Fatalf("%+v", inv)
				}
			}},
		{name: "draft", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"member"}, Send: &f},
			check: func(t *testing.T, inv *invited.Invitation) {
				if inv.Status != invited.StatusDraft || inv.SentAt != nil {
					t.Fatalf("%+v", inv)
				}
			}},
		{name: "phone", in: invited.InvitationCreate{Phone: "+14155550100", Roles: []string{"member"}},
			check: func(t *testing.T, inv *invited.Invitation) {
				if inv.Channel != "sms" || inv.InviteeKey() != "phone:+14155550100" {
					t.Fatalf("%+v", inv)
				}
			}},
		{name: "expires_in", in: invited.InvitationCreate{UserID: "usr_x", Roles: []string{"member"}, ExpiresIn: dur("3d")},
			check: func(t *testing.T, inv *invited.Invitation) {
				if !inv.ExpiresAt.Equal(now.Add(72 * time.Hour)) {
					t.Fatalf("%s", inv.ExpiresAt)
				}
			}},
		{name: "expires_at", in: invited.InvitationCreate{UserID: "usr_x", Roles: []string{"member"}, ExpiresAt: &at},
			check: func(t *testing.T, inv *invited.Invitation) {
				if !inv.ExpiresAt.Equal(at) {
					t.Fatalf("%s", inv.ExpiresAt)
				}
			}},
		{name: "duplicate roles collapse", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin", "admin", "billing"}},
			check: func(t *testing.T, inv *invited.Invitation) {
				if strings.Join(inv.Roles, ",") != "admin,billing" {
					t.Fatalf("%v", inv.Roles)
				}
			}},
		{name: "allowed redirect", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, RedirectURL: "https://APP.acme.test/welcome?x=1"}},
		// Lengths count characters, as the spec's maxLength does.
		{name: "audience of 200 runes", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, Audience: strings.Repeat("é", 200)}},
		{name: "metadata object", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, Metadata: json.RawMessage(`{"team":"red"}`)}},

		{name: "no invitee", in: invited.InvitationCreate{Roles: []string{"admin"}}, wantField: "email"},
		{name: "two invitees", in: invited.InvitationCreate{Email: "a@b.co", Phone: "+14155550100", Roles: []string{"admin"}}, wantField: "email"},
		{name: "bad email", in: invited.InvitationCreate{Email: "not-an-email", Roles: []string{"admin"}}, wantField: "email"},
		{name: "display-name email", in: invited.InvitationCreate{Email: "Ann <ann@example.com>", Roles: []string{"admin"}}, wantField: "email"},
		{name: "bad phone", in: invited.InvitationCreate{Phone: "555-0100", Roles: []string{"admin"}}, wantField: "phone"},
		{name: "bad user id", in: invited.InvitationCreate{UserID: "bob", Roles: []string{"admin"}}, wantField: "user_id"},
		{name: "roles default to the organization's", in: invited.InvitationCreate{Email: "a@b.co"},
			check: func(t *testing.T, inv *invited.Invitation) {
				if !slices.Equal(inv.Roles, []string{"member"}) {
					t.Fatalf("%v", inv.Roles)
				}
			}},
		{name: "relative redirect", in: invited.InvitationCreate{Email: "a@b.co", RedirectURL: "/somewhere/on/my/site#"},
			check: func(t *testing.T, inv *invited.Invitation) {
				if inv.RedirectURL != "https://app.acme.test/somewhere/on/my/site" {
					t.Fatalf("%q", inv.RedirectURL)
				}
			}},
		{name: "too many roles", in: invited.InvitationCreate{Email: "a@b.co", Roles: slices.Repeat([]string{"member"}, invited.MaxRoles+1)}, wantField: "roles"},
		{name: "unknown role", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"wizard"}}, wantField: "roles"},
		{name: "long audience", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, Audience: strings.Repeat("a", 201)}, wantField: "audience"},
		{name: "long message", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, Message: strings.Repeat("é", 2001)}, wantField: "message"},
		{name: "redirect elsewhere", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, RedirectURL: "https://evil.test/"}, wantField: "redirect_url"},
		{name: "redirect neither absolute nor a path", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, RedirectURL: "welcome"}, wantField: "redirect_url"},
		{name: "redirect to another host", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, RedirectURL: "//evil.test/welcome"}, wantField: "redirect_url"},
		{name: "metadata array", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, Metadata: json.RawMessage(`[1]`)}, wantField: "metadata"},
		{name: "metadata too big", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, Metadata: json.RawMessage(`{"x":"` + strings.Repeat("a", 9000) + `"}`)}, wantField: "metadata"},
		{name: "negative expiry", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, ExpiresIn: dur("-1h")}, wantField: "expires_in"},
		{name: "absurd expiry", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, ExpiresIn: dur("100000h")}, wantField: "expires_in"},
		{name: "both expiries", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, ExpiresIn: dur("1h"), ExpiresAt: &at}, wantField: "expires_in"},
		{name: "expires_at in the past", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, ExpiresAt: &now}, wantField: "expires_at"},
		{name: "sms to email invitee", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, Channel: "sms"}, wantField: "channel"},
		{name: "unknown channel", in: invited.InvitationCreate{Email: "a@b.co", Roles: []string{"admin"}, Channel: "fax"}, wantField: "channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := invited.NewInvitation(tt.in, org, roleExists, invited.Inviter{APIKeyID: "key_1"}, now)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if tt.check != nil {
					tt.check(t, inv)
				}
				return
			}
			var e *invited.Error
			if !asError(err, &e) || e.Code != invited.EINVALID || e.Fields[tt.wantField] == "" {
				t.Fatalf("want invalid_request naming %q, got %v (%+v)", tt.wantField, err, e)
			}
		})
	}
}

// TestInviteeFields: an invitation names exactly one invitee, and a
// request that names none or several is told which fields to fix: the ones
// it sent, or all three when it sent none.
func TestInviteeFields(t *testing.T) {
	now := time.Now()
	org, err := invited.NewOrganization(invited.OrganizationCreate{Name: "Acme"}, now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   invited.InvitationCreate
		want []string // the fields blamed, sorted
	}{
		{"none", invited.InvitationCreate{}, []string{"email", "phone", "user_id"}},
		{"blank ones are none", invited.InvitationCreate{Email: " ", Phone: "\t"}, []string{"email", "phone", "user_id"}},
		{"email and phone", invited.InvitationCreate{Email: "a@b.co", Phone: "+14155550100"}, []string{"email", "phone"}},
		{"phone and user_id", invited.InvitationCreate{Phone: "+14155550100", UserID: "usr_x"}, []string{"phone", "user_id"}},
		{"email and user_id", invited.InvitationCreate{Email: "a@b.co", UserID: "usr_x"}, []string{"email", "user_id"}},
		{"all three", invited.InvitationCreate{Email: "a@b.co", Phone: "+14155550100", UserID: "usr_x"}, []string{"email", "phone", "user_id"}},
		{"one bad phone", invited.InvitationCreate{Phone: "555"}, []string{"phone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := invited.NewInvitation(tt.in, org, func(string) bool { return true }, invited.Inviter{}, now)
			var e *invited.Error
			if !asError(err, &e) || e.Code != invited.EINVALID {
				t.Fatalf("got %v, want invalid_request", err)
			}
			if got := slices.Sorted(maps.Keys(e.Fields)); !slices.Equal(got, tt.want) {
				t.Fatalf("fields %v, want %v", e.Fields, tt.want)
			}
		})
	}
}

func TestEmailDomains(t *testing.T) {
	now := time.Now()
	org, _ := invited.NewOrganization(invited.OrganizationCreate{Name: "Acme"}, now)
	org.Settings.AllowedEmailDomains = []string{"acme.test"}
	roleExists := func(string) bool { return true }
	if _, err := invited.NewInvitation(invited.InvitationCreate{Email: "a@acme.test", Roles: []string{"member"}}, org, roleExists, invited.Inviter{}, now); err != nil {
		t.Fatalf("allowed domain: %v", err)
	}
	if _, err := invited.NewInvitation(invited.InvitationCreate{Email: "a@evil.test", Roles: []string{"member"}}, org, roleExists, invited.Inviter{}, now); invited.ErrorCode(err) != invited.EINVALID {
		t.Fatalf("other domain: %v", err)
	}
}

func TestCheckAcceptor(t *testing.T) {
	strict := invited.DefaultOrgSettings()
	loose := invited.DefaultOrgSettings()
	loose.RequireEmailMatch = false
	domains := invited.DefaultOrgSettings()
	domains.RequireEmailMatch = false
	domains.AllowedEmailDomains = []string{"acme.test"}

	tests := []struct {
		name     string
		inv      invited.Invitation
		settings invited.OrgSettings
		user     invited.User
		want     string
		invitee  string // the masked address of an email_mismatch
	}{
		{"email match, any case", invited.Invitation{Email: "ann@acme.test"}, strict, invited.User{Email: "ANN@acme.test"}, "", ""},
		{"email mismatch", invited.Invitation{Email: "ann@acme.test"}, strict, invited.User{Email: "bob@acme.test"}, invited.EEMAILMISMATCH, "a***@acme.test"},
		{"email mismatch allowed when matching is off", invited.Invitation{Email: "ann@acme.test"}, loose, invited.User{Email: "bob@acme.test"}, "", ""},
		{"phone match", invited.Invitation{Phone: "+14155550100"}, strict, invited.User{Phone: "+14155550100"}, "", ""},
		{"phone mismatch", invited.Invitation{Phone: "+14155550100"}, strict, invited.User{Phone: "+14155550199"}, invited.EEMAILMISMATCH, "+*********00"},
		{"user id match", invited.Invitation{UserID: "usr_1"}, strict, invited.User{ID: "usr_1"}, "", ""},
		{"user id mismatch", invited.Invitation{UserID: "usr_1"}, strict, invited.User{ID: "usr_2"}, invited.EEMAILMISMATCH, ""},
		{"domain allowed", invited.Invitation{Email: "ann@acme.test"}, domains, invited.User{Email: "bob@acme.test"}, "", ""},
		{"domain refused", invited.Invitation{Email: "ann@acme.test"}, domains, invited.User{Email: "bob@evil.test"}, invited.EDOMAINNOTALLOWED, ""},
		{"domain refused without email", invited.Invitation{Phone: "+14155550100"}, domains, invited.User{Phone: "+14155550100"}, invited.EDOMAINNOTALLOWED, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := invited.CheckAcceptor(&tt.inv, tt.settings, &tt.user)
			got := ""
			if err != nil {
				got = invited.ErrorCode(err)
			}
			if got != tt.want {
				t.Fatalf("got %q (%v), want %q", got, err, tt.want)
			}
			if e, _ := err.(*invited.Error); e != nil && (e.Invitee != tt.invitee || !strings.Contains(e.Message, tt.invitee)) {
				t.Fatalf("error %+v, want invitee %q in it", e, tt.invitee)
			}
		})
	}
}

func TestMask(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"jane.doe@example.com", "j***@example.com"},
		{"j@example.com", "j***@example.com"},
		{"élodie@exemple.fr", "é***@exemple.fr"},
		{"@example.com", "***"},
		{"not an address", "***"},
	} {
		if got := invited.MaskEmail(tt.in); got != tt.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"+14155550167", "+*********67"},
		{"+4912345", "+*****45"},
		{"+123", "***"},
	} {
		if got := invited.MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPreviewRevealsNothingSensitive(t *testing.T) {
	now := time.Now().UTC()
	org := &invited.Organization{ID: "org_1", Name: "Acme"}
	inv := &invited.Invitation{ID: "inv_1", OrgID: "org_1", Status: invited.StatusPending, Email: "secret@acme.test",
		Phone: "+14155550100", FirstName: "Ann", LastName: "Secretlast", Roles: []string{"admin"},
		Metadata: json.RawMessage(`{"secret":1}`), Inviter: invited.Inviter{UserID: "usr_9", APIKeyID: "key_9", Name: "Bo"},
		ExpiresAt: now.Add(time.Hour)}
	b, err := json.Marshal(inv.Preview(org, now))
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"secret@acme.test", "+14155550100", "Secretlast", "secret", "usr_9", "key_9", "inv_1"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("preview leaks %q: %s", leak, b)
		}
	}
}

func asError(err error, target **invited.Error) bool {
	e, ok := err.(*invited.Error)
	*target = e
	return ok
}

func TestNewIDSortsByTime(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 100 {
		id := invited.NewID(invited.PrefixInvitation, t0.Add(time.Duration(i)*time.Millisecond))
		if len(id) != len(invited.PrefixInvitation)+26 || id <= prev {
			t.Fatalf("id %q does not sort after %q", id, prev)
		}
		prev = id
	}
}

// TestIDPattern checks that IDPattern matches what ValidID accepts.
func TestIDPattern(t *testing.T) {
	re := regexp.MustCompile(invited.IDPattern(invited.PrefixOrganization))
	id := invited.NewID(invited.PrefixOrganization, time.Now())
	for _, s := range []string{id, strings.ToUpper(id), id[:len(id)-1], id + "0", invited.PrefixApp + id[4:],
		strings.Replace(id, id[5:6], "u", 1), "org_", ""} {
		if got, want := re.MatchString(s), invited.ValidID(s, invited.PrefixOrganization); got != want {
			t.Errorf("%q: pattern %v, ValidID %v", s, got, want)
		}
	}
}

// TestActionPermission checks that every action a caller can take on an
// invitation declares its permission, and that the actions of the link's
// holder and of the service declare none.
func TestActionPermission(t *testing.T) {
	tests := []struct {
		action invited.Action
		want   invited.Permission
	}{
		{invited.ActionSend, invited.PermInvitationsCreate},
		{invited.ActionResend, invited.PermInvitationsCreate},
		{invited.ActionRenew, invited.PermInvitationsCreate},
		{invited.ActionRevoke, invited.PermInvitationsRevoke},
		{invited.ActionArchive, invited.PermInvitationsRevoke},
		{invited.ActionAccept, ""},
		{invited.ActionDecline, ""},
		{invited.ActionExpire, ""},
	}
	for _, tt := range tests {
		if got := tt.action.Permission(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.action, got, tt.want)
		}
	}
}
