package invited

import (
	"strings"
	"time"
)

// APIKey is a server-to-server credential: system-wide (admin) or bound to
// one organization with a list of permissions. Only its hash is stored; the
// secret is shown once, when created.
type APIKey struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	OrgID       string       `json:"org_id,omitempty" doc:"absent for system-wide admin keys"`
	Admin       bool         `json:"admin"`
	Permissions []Permission `json:"permissions"`
	Prefix      string       `json:"prefix" doc:"the first characters of the secret, to recognize it"`
	CreatedAt   time.Time    `json:"created_at"`
	LastUsedAt  *time.Time   `json:"last_used_at"`
	RevokedAt   *time.Time   `json:"revoked_at"`
	CreatedBy   string       `json:"created_by,omitempty" doc:"the key or user that created it"`
}

// APIKeyCreate is the input for a new key: either admin (system-wide) or
// bound to org_id with permissions.
type APIKeyCreate struct {
	Name        string       `json:"name"`
	OrgID       string       `json:"org_id,omitempty"`
	Admin       bool         `json:"admin,omitempty"`
	Permissions []Permission `json:"permissions,omitempty"`
}

// APIKeyFilter selects keys visible to the actor.
type APIKeyFilter struct {
	OrgID string
	Page
}

// NewAPIKey validates c and returns the key and its secret.
func NewAPIKey(c APIKeyCreate, createdBy string, now time.Time) (*APIKey, string, error) {
	f := FieldErrors{}
	c.Name = strings.TrimSpace(c.Name)
	CheckText(f, "name", c.Name, false)
	if c.Name == "" || len([]rune(c.Name)) > MaxNameRunes {
		f.Add("name", Problemf("length_range", "max", MaxNameRunes))
	}
	switch {
	case c.Admin && (c.OrgID != "" || len(c.Permissions) > 0):
		f.Add("admin", Problemf("admin_key_scoped"))
	case !c.Admin && c.OrgID == "":
		f.Add("org_id", Problemf("required_unless_admin"))
	case !c.Admin && len(c.Permissions) == 0:
		f.Add("permissions", Problemf("no_permissions"))
	}
	for _, p := range c.Permissions {
		if !ValidPermission(p) {
			f.Add("permissions", Problemf("unknown_permission", "permission", quote(string(p))))
		}
	}
	if err := f.Err(); err != nil {
		return nil, "", err
	}
	secret := NewSecret(SecretPrefixAPIKey)
	k := &APIKey{
		ID:          NewID(PrefixAPIKey, now),
		Name:        c.Name,
		OrgID:       c.OrgID,
		Admin:       c.Admin,
		Permissions: NewPermissionSet(c.Permissions...).List(),
		Prefix:      secret[:len(SecretPrefixAPIKey)+6],
		CreatedAt:   now,
		CreatedBy:   createdBy,
	}
	return k, secret, nil
}
