package invited

import "context"

// PseudonymPrefix starts the pseudonym that takes an erased person's place
// in the audit trail: the events stay, so that counts add up, but no longer
// name them.
const PseudonymPrefix = "erased_"

// EventUserErased is the action of the audit event an erasure records,
// about the pseudonym.
const EventUserErased = "user.erased"

// EraseRequest names a person by address: someone who was only invited,
// and has no user, or the addresses to erase beside a user's own.
type EraseRequest struct {
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Erasure is what erasing a person removed or blanked, counted per kind,
// and the pseudonym their audit events now carry.
type Erasure struct {
	Pseudonym         string `json:"pseudonym"`
	Users             int    `json:"users"`
	Memberships       int    `json:"memberships"`
	Invitations       int    `json:"invitations"`
	JoinRequests      int    `json:"join_requests"`
	JoinLinkUses      int    `json:"join_link_uses"`
	JoinConfirmations int    `json:"join_confirmations"`
	Tickets           int    `json:"tickets"`
	ConsoleSessions   int    `json:"console_sessions"`
	// Messages counts those deleted and the letters to others that no
	// longer name them.
	Messages    int `json:"messages"`
	AuditEvents int `json:"audit_events"`
	// Other counts the stored idempotent answers that quoted them, the app
	// invites to their email, and what they invited, decided or claimed.
	Other int `json:"other"`
}

// EraseService removes a person's personal data everywhere it lives. It
// needs an admin key. With a userID it erases that user (ENOTFOUND if
// there is none) and r's addresses too; with userID "" it erases r's
// addresses, of which there must be one (EINVALID otherwise).
type EraseService interface {
	Erase(ctx context.Context, userID string, r EraseRequest) (*Erasure, error)
}
