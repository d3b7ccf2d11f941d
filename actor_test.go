package invited_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

func TestBuiltInRoles(t *testing.T) {
	perms := func(name string) invited.PermissionSet {
		r, ok := invited.BuiltInRole(name)
		if !ok {
			t.Fatalf("no built-in role %q", name)
		}
		return invited.NewPermissionSet(r.Permissions...)
	}
	all := invited.NewPermissionSet(invited.AllPermissions...)
	if perms("owner") != all {
		t.Error("owner must hold every permission")
	}
	if a := perms("admin"); a.Has(invited.PermOrgDelete) || a|invited.NewPermissionSet(invited.PermOrgDelete) != all {
		t.Error("admin must hold all but org:delete")
	}
	if m := perms("member"); m != invited.NewPermissionSet(invited.PermMembersRead) {
		t.Errorf("member holds %v", m.List())
	}
}

func TestActorDecisions(t *testing.T) {
	create := invited.NewPermissionSet(invited.PermInvitationsCreate)
	read := invited.NewPermissionSet(invited.PermInvitationsRead, invited.PermInvitationsCreate)
	user := &invited.User{ID: "usr_me"}

	tests := []struct {
		name     string
		actor    invited.Actor
		org      string
		perm     invited.Permission
		wantCode string // "" means allowed
	}{
		{"admin key anywhere", invited.Actor{Admin: true}, "org_a", invited.PermOrgDelete, ""},
		{"org key, own org, held", invited.Actor{KeyOrgID: "org_a", KeyPermissions: create}, "org_a", invited.PermInvitationsCreate, ""},
		{"org key, own org, not held", invited.Actor{KeyOrgID: "org_a", KeyPermissions: create}, "org_a", invited.PermInvitationsRevoke, invited.EFORBIDDEN},
		{"org key, other org", invited.Actor{KeyOrgID: "org_a", KeyPermissions: create}, "org_b", invited.PermInvitationsCreate, invited.ENOTFOUND},
		{"user with grant", invited.Actor{User: user, Grants: map[string]invited.PermissionSet{"org_a": read}}, "org_a", invited.PermInvitationsRead, ""},
		{"user member without grant", invited.Actor{User: user, Grants: map[string]invited.PermissionSet{"org_a": 0}}, "org_a", invited.PermInvitationsRead, invited.EFORBIDDEN},
		{"user non-member", invited.Actor{User: user, Grants: map[string]invited.PermissionSet{"org_a": read}}, "org_b", invited.PermInvitationsRead, invited.ENOTFOUND},
		{"org key acting for user, in key org", invited.Actor{KeyOrgID: "org_a", User: user, Grants: map[string]invited.PermissionSet{"org_a": read, "org_b": read}}, "org_a", invited.PermInvitationsRead, ""},
		{"org key acting for user, outside key org", invited.Actor{KeyOrgID: "org_a", User: user, Grants: map[string]invited.PermissionSet{"org_a": read, "org_b": read}}, "org_b", invited.PermInvitationsRead, invited.ENOTFOUND},
		{"no actor at all", invited.Actor{}, "org_a", invited.PermMembersRead, invited.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.actor.Authorize(tt.org, tt.perm)
			got := ""
			if err != nil {
				got = invited.ErrorCode(err)
			}
			if got != tt.wantCode {
				t.Fatalf("Authorize = %q (%v), want %q", got, err, tt.wantCode)
			}
		})
	}
}

func TestInvitationScope(t *testing.T) {
	me := &invited.User{ID: "usr_me"}
	grants := map[string]invited.PermissionSet{
		"org_read":   invited.NewPermissionSet(invited.PermInvitationsRead),
		"org_create": invited.NewPermissionSet(invited.PermInvitationsCreate),
		"org_member": invited.NewPermissionSet(invited.PermMembersRead),
	}
	user := invited.Actor{User: me, Grants: grants}
	scope := user.InvitationScope()
	if scope.All || !slices.Equal(scope.OrgIDs, []string{"org_read"}) || !slices.Equal(scope.CreatorOrgIDs, []string{"org_create"}) || scope.CreatorUserID != "usr_me" {
		t.Fatalf("user scope %+v", scope)
	}
	tests := []struct {
		name string
		inv  invited.Invitation
		want bool
	}{
		{"read org, anyone's", invited.Invitation{OrgID: "org_read", Inviter: invited.Inviter{UserID: "usr_other"}}, true},
		{"create-only org, mine", invited.Invitation{OrgID: "org_create", Inviter: invited.Inviter{UserID: "usr_me"}}, true},
		{"create-only org, someone else's", invited.Invitation{OrgID: "org_create", Inviter: invited.Inviter{UserID: "usr_other"}}, false},
		{"create-only org, a key's", invited.Invitation{OrgID: "org_create", Inviter: invited.Inviter{APIKeyID: "key_1"}}, false},
		{"member without invitation rights", invited.Invitation{OrgID: "org_member", Inviter: invited.Inviter{UserID: "usr_me"}}, false},
		{"other tenant", invited.Invitation{OrgID: "org_x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scope.Allows(&tt.inv); got != tt.want {
				t.Fatalf("Allows = %v, want %v", got, tt.want)
			}
		})
	}

	if s := (&invited.Actor{Admin: true}).InvitationScope(); !s.All {
		t.Error("admin key must see all")
	}
	key := invited.Actor{KeyOrgID: "org_k", KeyPermissions: invited.NewPermissionSet(invited.PermInvitationsRead)}
	if s := key.InvitationScope(); !slices.Equal(s.OrgIDs, []string{"org_k"}) || len(s.CreatorOrgIDs) != 0 {
		t.Errorf("org key scope %+v", s)
	}
	if !(&invited.Actor{}).InvitationScope().Empty() {
		t.Error("the zero actor must see nothing")
	}
}

func TestActorFromContextFailsClosed(t *testing.T) {
	a := invited.ActorFromContext(context.Background())
	if a.Admin || a.Can("org_a", invited.PermMembersRead) || a.CanSee("org_a") {
		t.Fatal("missing actor must have no rights")
	}
}

func TestNewIDAndSecrets(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		s := invited.NewSecret("")
		if !invited.ValidSecretShape(s, "") || seen[s] {
			t.Fatalf("bad or repeated secret %q", s)
		}
		seen[s] = true
	}
	if invited.ValidSecretShape("short", "") || invited.ValidSecretShape(invited.NewSecret("ik_"), "") {
		t.Error("ValidSecretShape accepts garbage")
	}
	if len(invited.HashSecret("x")) != 32 {
		t.Error("hash is not SHA-256")
	}
}

func TestMayGrant(t *testing.T) {
	perms := func(name string) invited.PermissionSet {
		r, _ := invited.BuiltInRole(name)
		return invited.NewPermissionSet(r.Permissions...)
	}
	inviter := invited.Actor{User: &invited.User{ID: "usr_i"}, Grants: map[string]invited.PermissionSet{
		"org_a": invited.NewPermissionSet(invited.PermInvitationsCreate),
		"org_b": perms("admin"),
	}}
	tests := []struct {
		name    string
		actor   invited.Actor
		org     string
		granted invited.PermissionSet
		ok      bool
	}{
		{"create-only inviter grants member", inviter, "org_a", perms("member"), true},
		{"create-only inviter grants what it holds", inviter, "org_a", invited.NewPermissionSet(invited.PermInvitationsCreate), true},
		{"create-only inviter grants admin", inviter, "org_a", perms("admin"), false},
		{"admin grants admin", inviter, "org_b", perms("admin"), true},
		{"admin grants owner", inviter, "org_b", perms("owner"), false},
		{"admin key grants owner", invited.Actor{Admin: true}, "org_a", perms("owner"), true},
		{"org key grants beyond its list", invited.Actor{KeyOrgID: "org_a", KeyPermissions: invited.NewPermissionSet(invited.PermOrgManage)}, "org_a", invited.NewPermissionSet(invited.PermOrgDelete), false},
		{"outsider grants member elsewhere is still bounded", inviter, "org_x", perms("admin"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.actor.MayGrant(tt.org, tt.granted)
			if (err == nil) != tt.ok {
				t.Fatalf("MayGrant = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && invited.ErrorCode(err) != invited.EFORBIDDEN {
				t.Fatalf("code %s", invited.ErrorCode(err))
			}
		})
	}
}

func TestValidID(t *testing.T) {
	id := invited.NewID(invited.PrefixInvitation, time.Now())
	tests := []struct {
		s, prefix string
		want      bool
	}{
		{id, invited.PrefixInvitation, true},
		{id, invited.PrefixOrganization, false},
		{id + "0", invited.PrefixInvitation, false},
		{strings.ToUpper(id), invited.PrefixInvitation, false},
		{"inv_" + strings.Repeat("u", 26), invited.PrefixInvitation, false}, // u is not in the alphabet
		{"inv_../../etc/passwd", invited.PrefixInvitation, false},
	}
	for _, tt := range tests {
		if got := invited.ValidID(tt.s, tt.prefix); got != tt.want {
			t.Errorf("ValidID(%q, %q) = %v", tt.s, tt.prefix, got)
		}
	}
}
