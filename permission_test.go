package invited_test

import (
	"testing"

	"github.com/invitedhq/invited"
)

// TestRoleCreate: a custom role may grant nothing, like the built-in guest,
// but may not take a built-in name.
func TestRoleCreate(t *testing.T) {
	tests := []struct {
		name  string
		in    invited.RoleCreate
		field string // "" when valid
	}{
		{"with permissions", invited.RoleCreate{Name: "billing", Permissions: []invited.Permission{invited.PermMembersRead}}, ""},
		{"without permissions", invited.RoleCreate{Name: "visitor"}, ""},
		{"empty permissions", invited.RoleCreate{Name: "visitor", Permissions: []invited.Permission{}}, ""},
		{"unknown permission", invited.RoleCreate{Name: "visitor", Permissions: []invited.Permission{"fly"}}, "permissions"},
		{"built-in name", invited.RoleCreate{Name: invited.RoleGuest}, "name"},
		{"bad name", invited.RoleCreate{Name: "Visitor"}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			var e *invited.Error
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.field != "" && (!asError(err, &e) || e.Fields[tt.field] == ""):
				t.Fatalf("got %v, want a problem with %s", err, tt.field)
			}
		})
	}
}

// TestGuestRole: guest is built in and grants nothing.
func TestGuestRole(t *testing.T) {
	guest, ok := invited.BuiltInRole(invited.RoleGuest)
	if !ok || !guest.BuiltIn || guest.Permissions == nil || len(guest.Permissions) != 0 {
		t.Fatalf("guest: %+v, %v", guest, ok)
	}
}
