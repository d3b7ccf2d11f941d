package invited

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Permission is one capability within an organization.
type Permission string

const (
	PermInvitationsCreate Permission = "invitations:create"
	PermInvitationsRead   Permission = "invitations:read"
	PermInvitationsRevoke Permission = "invitations:revoke"
	PermMembersRead       Permission = "members:read"
	PermMembersManage     Permission = "members:manage"
	PermRolesManage       Permission = "roles:manage"
	PermOrgManage         Permission = "org:manage"
	PermOrgDelete         Permission = "org:delete"
	PermAppsManage        Permission = "apps:manage"
	PermConnectionsManage Permission = "connections:manage"
)

// AllPermissions lists every permission, in documentation order.
var AllPermissions = []Permission{
	PermInvitationsCreate, PermInvitationsRead, PermInvitationsRevoke,
	PermMembersRead, PermMembersManage, PermRolesManage,
	PermOrgManage, PermOrgDelete, PermAppsManage, PermConnectionsManage,
}

// ValidPermission reports whether p is a known permission.
func ValidPermission(p Permission) bool { return slices.Contains(AllPermissions, p) }

// PermissionSet is a set of permissions as a bitmask: cheap to copy, union and
// test on every request.
type PermissionSet uint32

// NewPermissionSet returns the set of ps; unknown permissions are ignored.
func NewPermissionSet(ps ...Permission) PermissionSet {
	var s PermissionSet
	for _, p := range ps {
		if i := slices.Index(AllPermissions, p); i >= 0 {
			s |= 1 << i
		}
	}
	return s
}

// Has reports whether p is in s.
func (s PermissionSet) Has(p Permission) bool {
	i := slices.Index(AllPermissions, p)
	return i >= 0 && s&(1<<i) != 0
}

// Contains reports whether every permission of o is in s.
func (s PermissionSet) Contains(o PermissionSet) bool { return s&o == o }

// List returns the permissions of s in documentation order.
func (s PermissionSet) List() []Permission {
	out := []Permission{}
	for i, p := range AllPermissions {
		if s&(1<<i) != 0 {
			out = append(out, p)
		}
	}
	return out
}

// Built-in role names.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
	RoleGuest  = "guest"
)

// Role is a named set of permissions within an organization. Built-in roles
// exist in every organization; custom roles belong to one.
type Role struct {
	ID          string       `json:"id,omitempty"`
	OrgID       string       `json:"org_id,omitempty"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Permissions []Permission `json:"permissions"`
	BuiltIn     bool         `json:"built_in"`
}

// BuiltInRoles are present in every organization.
var BuiltInRoles = []Role{
	{Name: RoleOwner, Description: "Every permission.", Permissions: AllPermissions, BuiltIn: true},
	{Name: RoleAdmin, Description: "Every permission but deleting the organization.",
		Permissions: NewPermissionSet(AllPermissions...).without(PermOrgDelete).List(), BuiltIn: true},
	{Name: RoleMember, Description: "Sees the other members.", Permissions: []Permission{PermMembersRead}, BuiltIn: true},
	{Name: RoleGuest, Description: "Belongs to the organization, with no permission.", Permissions: []Permission{}, BuiltIn: true},
}

func (s PermissionSet) without(p Permission) PermissionSet { return s &^ NewPermissionSet(p) }

// BuiltInRole returns the built-in role called name.
func BuiltInRole(name string) (Role, bool) {
	for _, r := range BuiltInRoles {
		if r.Name == name {
			return r, true
		}
	}
	return Role{}, false
}

func isBuiltInRole(name string) bool {
	_, ok := BuiltInRole(name)
	return ok
}

// RoleCreate is the input for a custom role.
type RoleCreate struct {
	Name        string       `json:"name" doc:"lower-case letters, digits, '-' and '_'; 1-64 characters; not a built-in name"`
	Description string       `json:"description,omitempty"`
	Permissions []Permission `json:"permissions,omitempty" doc:"default none: a role may grant nothing but membership, as guest does"`
}

// Limits on custom roles.
const (
	MaxRoleNameLen        = 64
	MaxRoleDescriptionLen = 500
)

// Validate checks a custom role definition.
func (c *RoleCreate) Validate() error {
	f := FieldErrors{}
	c.Name = strings.TrimSpace(c.Name)
	CheckText(f, "name", c.Name, false)
	CheckText(f, "description", c.Description, true)
	switch {
	case !validSlug(c.Name, MaxRoleNameLen):
		f.Add("name", Problemf("slug_format"))
	case isBuiltInRole(c.Name):
		f.Add("name", Problemf("builtin_role"))
	}
	if utf8.RuneCountInString(c.Description) > MaxRoleDescriptionLen {
		f.Add("description", Problemf("must_too_long", "n", MaxRoleDescriptionLen))
	}
	for _, p := range c.Permissions {
		if !ValidPermission(p) {
			f.Add("permissions", Problemf("unknown_permission", "permission", quote(string(p))))
		}
	}
	return f.Err()
}

// SlugPattern is the form of custom role names and organization slugs:
// what validSlug checks, and what the spec states.
const SlugPattern = `^[a-z0-9_-]*$`

var slugRE = regexp.MustCompile(SlugPattern)

// validSlug reports whether s is 1..max characters of [a-z0-9_-].
func validSlug(s string, max int) bool {
	return len(s) > 0 && len(s) <= max && slugRE.MatchString(s)
}
