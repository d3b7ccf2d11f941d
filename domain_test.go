package invited_test

import (
	"slices"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// TestNewDomain validates claims: the domain's shape, free-mail and
// disposable domains refused with why, the policy, and the same cap on
// roles as join links.
func TestNewDomain(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	org := &invited.Organization{ID: "org_1"}
	blocked := func(d string) (string, bool) { return "free email provider", d == "gmail.com" }
	exists := func(r string) bool { return r != "boss" }
	granted := func(roles []string) invited.PermissionSet {
		ps := invited.NewPermissionSet()
		for _, r := range roles {
			if role, ok := invited.BuiltInRole(r); ok {
				ps |= invited.NewPermissionSet(role.Permissions...)
			}
		}
		return ps
	}
	tests := []struct {
		name   string
		c      invited.DomainCreate
		field  string // of the refusal, or "" for none
		domain string // as stored
	}{
		{"a domain", invited.DomainCreate{Domain: " Acme.Example. "}, "", "acme.example"},
		{"auto with the default roles", invited.DomainCreate{Domain: "acme.example", Policy: invited.DomainAuto}, "", "acme.example"},
		{"admin with consent", invited.DomainCreate{Domain: "acme.example", Roles: []string{"admin"}, AllowPrivileged: true}, "", "acme.example"},
		{"empty", invited.DomainCreate{}, "domain", ""},
		{"no dot", invited.DomainCreate{Domain: "localhost"}, "domain", ""},
		{"an address", invited.DomainCreate{Domain: "ada@acme.example"}, "domain", ""},
		{"an empty label", invited.DomainCreate{Domain: "acme..example"}, "domain", ""},
		{"free mail", invited.DomainCreate{Domain: "GMail.com"}, "domain", ""},
		{"an unknown policy", invited.DomainCreate{Domain: "acme.example", Policy: "open"}, "policy", ""},
		{"an unknown role", invited.DomainCreate{Domain: "acme.example", Roles: []string{"boss"}}, "roles", ""},
		{"owner", invited.DomainCreate{Domain: "acme.example", Roles: []string{"owner"}, AllowPrivileged: true}, "roles", ""},
		{"admin without consent", invited.DomainCreate{Domain: "acme.example", Roles: []string{"admin"}}, "roles", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := invited.NewDomain(tt.c, org, blocked, exists, granted, invited.Inviter{}, now)
			if tt.field != "" {
				e, ok := err.(*invited.Error)
				if !ok || e.Fields[tt.field] == "" {
					t.Fatalf("err %v, want a problem with %s", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Name != tt.domain || d.Status != invited.DomainPending || len(d.Token) < 22 || len(d.Roles) == 0 ||
				(tt.c.Policy == "" && d.Policy != invited.DomainOff) {
				t.Fatalf("domain %+v", d)
			}
		})
	}
	t.Run("free mail says why", func(t *testing.T) {
		_, err := invited.NewDomain(invited.DomainCreate{Domain: "gmail.com"}, org, blocked, exists, granted, invited.Inviter{}, now)
		if e := err.(*invited.Error); e.Fields["domain"] != "gmail.com is a free email provider: claim a domain of the organization's own" {
			t.Fatalf("message %q", e.Fields["domain"])
		}
	})
}

// TestDomainVerify: a pending domain is verified once; then it stays.
func TestDomainVerify(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	d := &invited.Domain{Status: invited.DomainPending}
	if err := d.Verify(invited.VerifyDNS, now); err != nil || d.Status != invited.DomainVerified || !d.VerifiedAt.Equal(now) ||
		d.VerificationMethod != invited.VerifyDNS {
		t.Fatalf("verify: %+v, %v", d, err)
	}
	if err := d.Verify(invited.VerifyAdmin, now.Add(time.Hour)); invited.ErrorCode(err) != invited.EINVALIDSTATE ||
		d.VerificationMethod != invited.VerifyDNS {
		t.Fatalf("verify again: %+v, %v", d, err)
	}
}

// TestDomainUpdate keeps what an update does not name, and holds the
// result to the cap: withdrawing consent from privileged roles is refused.
func TestDomainUpdate(t *testing.T) {
	org := &invited.Organization{ID: "org_1"}
	exists := func(string) bool { return true }
	admin, _ := invited.BuiltInRole(invited.RoleAdmin)
	granted := func(roles []string) invited.PermissionSet {
		if slices.Contains(roles, invited.RoleAdmin) {
			return invited.NewPermissionSet(admin.Permissions...)
		}
		return invited.NewPermissionSet(invited.PermMembersRead)
	}
	d := &invited.Domain{Policy: invited.DomainRequest, Roles: []string{"admin"}, AllowPrivileged: true}
	auto, no := invited.DomainAuto, false
	if err := d.Update(invited.DomainUpdate{Policy: &auto}, org, exists, granted, time.Now()); err != nil ||
		d.Policy != invited.DomainAuto || !slices.Equal(d.Roles, []string{"admin"}) {
		t.Fatalf("policy update: %+v, %v", d, err)
	}
	err := d.Update(invited.DomainUpdate{AllowPrivileged: &no}, org, exists, granted, time.Now())
	if e, ok := err.(*invited.Error); !ok || e.Fields["roles"] == "" {
		t.Fatalf("consent withdrawn: %v", err)
	}
}
