package invited

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Joining through a link on the hosted page (issue 15). A join link is
// shared, so holding it proves nothing about who you are: the page asks
// for an address and writes to it, and following the letter's
// confirmation link proves the address, as following an emailed
// invitation link does. The confirmation's secret, like every link
// secret, is stored only as a hash, and only from the moment its letter is
// claimed for delivery (Outbox.ClaimMessages), which mints it.

// PrefixJoinConfirmation starts a join confirmation's id.
const PrefixJoinConfirmation = "jcf_"

// JoinConfirmationTTL is how long a confirmation link works.
const JoinConfirmationTTL = time.Hour

// MaxJoinConfirmationsPerHour bounds the confirmation letters one address
// receives in an hour, through any link: the form must not make the
// service a way to flood someone's inbox.
const MaxJoinConfirmationsPerHour = 3

// Join confirmation error codes: why a confirmation link no longer works.
const (
	EJOINCONFIRMED           = "join_already_confirmed"
	EJOINCONFIRMATIONEXPIRED = "join_confirmation_expired"
)

// JoinConfirmationStatus is where a confirmation is: pending until it is
// confirmed or its hour has passed.
type JoinConfirmationStatus string

const (
	JoinConfirmationPending   JoinConfirmationStatus = "pending"
	JoinConfirmationConfirmed JoinConfirmationStatus = "confirmed"
	JoinConfirmationExpired   JoinConfirmationStatus = "expired"
)

// JoinConfirmation is a request to join through a join link as the holder
// of Email, waiting for its letter's link to be followed.
type JoinConfirmation struct {
	ID          string
	LinkID      string
	Email       string
	Name        string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	ConfirmedAt *time.Time
}

// StatusAt is where c is at now.
func (c *JoinConfirmation) StatusAt(now time.Time) JoinConfirmationStatus {
	switch {
	case c.ConfirmedAt != nil:
		return JoinConfirmationConfirmed
	case !now.Before(c.ExpiresAt):
		return JoinConfirmationExpired
	}
	return JoinConfirmationPending
}

// Check says why c cannot be confirmed at now, or returns nil.
func (c *JoinConfirmation) Check(now time.Time) error {
	switch c.StatusAt(now) {
	case JoinConfirmationConfirmed:
		return Errorf(EJOINCONFIRMED, "this confirmation link was used already")
	case JoinConfirmationExpired:
		return Errorf(EJOINCONFIRMATIONEXPIRED, "this confirmation link has expired")
	}
	return nil
}

// Confirm marks c confirmed at now, or says why it cannot be (Check).
func (c *JoinConfirmation) Confirm(now time.Time) error {
	if err := c.Check(now); err != nil {
		return err
	}
	c.ConfirmedAt = &now
	return nil
}

// JoinConfirmationURL is the link of a confirmation secret,
// {publicURL}/j/confirm/{secret}. The join link's token is not in it: the
// service does not keep that token, and the confirmation names its link.
func JoinConfirmationURL(publicURL, secret string) string {
	return strings.TrimRight(publicURL, "/") + "/j/confirm/" + url.PathEscape(secret)
}

// LetterLink is the link a claimed letter m carries: a confirmation's, or
// an invitation's.
func LetterLink(publicURL string, m *Message) string {
	if m.Kind == KindJoinConfirmation {
		return JoinConfirmationURL(publicURL, m.Token)
	}
	return InvitationLink(publicURL, m.Token)
}

// AdmittedDomains are the email domains l, a link into an organization
// with settings s, admits (Admits): nil when it admits any, and empty when
// the link's and the organization's lists have none in common.
func (l *JoinLink) AdmittedDomains(s OrgSettings) []string {
	switch {
	case len(s.AllowedEmailDomains) == 0 && len(l.AllowedEmailDomains) == 0:
		return nil
	case len(s.AllowedEmailDomains) == 0:
		return l.AllowedEmailDomains
	case len(l.AllowedEmailDomains) == 0:
		return s.AllowedEmailDomains
	}
	return slices.DeleteFunc(slices.Clone(l.AllowedEmailDomains), func(d string) bool {
		return !slices.Contains(s.AllowedEmailDomains, d)
	})
}

// ConfirmationLetter is the letter that asks c's address to confirm a join
// through l into org.
func (c *JoinConfirmation) ConfirmationLetter(l *JoinLink, org *Organization) *Letter {
	return &Letter{
		Kind:         KindJoinConfirmation,
		To:           c.Email,
		ToName:       c.Name,
		Organization: org.Name,
		Inviter:      l.Inviter.Name,
		Roles:        l.Roles,
		ExpiresAt:    c.ExpiresAt,
		Locale:       org.Locales(l.Locale),
	}
}

// JoinConfirmed is the outcome of a confirmed join: the use of the link,
// its organization, and the ticket that tells the host application.
type JoinConfirmed struct {
	*JoinLinkAcceptance
	Organization *Organization
	Ticket       *AcceptanceTicket
}
