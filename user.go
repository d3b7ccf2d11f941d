package invited

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// User is a person known to the service. Users are created only when someone
// accepts an invitation: being invited creates nobody.
type User struct {
	ID            string    `json:"id"`
	ExternalID    string    `json:"external_id,omitempty" doc:"the host application's id for this person"`
	Email         string    `json:"email,omitempty"`
	EmailVerified bool      `json:"email_verified"`
	Phone         string    `json:"phone,omitempty"`
	Name          string    `json:"name,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// EmailDomain is the domain of an email address, in lower case; "" when
// it has none.
func EmailDomain(email string) string {
	_, domain, _ := strings.Cut(strings.ToLower(email), "@")
	return domain
}

// Membership is a user's place in an organization.
type Membership struct {
	OrgID     string    `json:"org_id"`
	UserID    string    `json:"user_id"`
	Roles     []string  `json:"roles"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Member is a membership with the user it belongs to, as listed.
type Member struct {
	Membership
	User *User `json:"user"`
}

// MemberFilter selects the members of one organization.
type MemberFilter struct {
	OrgID string
	Page
}

// MemberUpdate replaces a member's roles.
type MemberUpdate struct {
	Roles []string `json:"roles"`
}

// Page is the cursor part of every list request.
type Page struct {
	PageSize  int    // 0 means DefaultPageSize
	PageToken string // opaque; from a previous answer's next_page_token
}

// Page size bounds for every list.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// Size returns the page size to use, or an error for an out-of-range one.
func (p Page) Size() (int, error) {
	switch {
	case p.PageSize == 0:
		return DefaultPageSize, nil
	case p.PageSize < 1 || p.PageSize > MaxPageSize:
		return 0, FieldErrors{"page_size": Problemf("page_size", "max", MaxPageSize)}.Errorf(EINVALID, "page_size out of range")
	}
	return p.PageSize, nil
}

// MergeRoles returns the union of a and b, a's order first, without
// duplicates: accepting into an organization you belong to adds roles.
func MergeRoles(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	seen := map[string]bool{}
	for _, r := range append(append([]string{}, a...), b...) {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// ValidPhone reports whether s is an E.164 phone number.
func ValidPhone(s string) bool { return e164.MatchString(s) }

// NormalizeEmail returns the address in s in lower case, or false if s is not
// exactly one plain address (no display name, no comments).
func NormalizeEmail(s string) (string, bool) {
	if len(s) > 254 {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", false
	}
	local, domain, ok := strings.Cut(a.Address, "@")
	if !ok || local == "" || !validDomain(strings.ToLower(domain)) {
		return "", false
	}
	return strings.ToLower(a.Address), true
}
