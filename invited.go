// Package invited is the domain of the invitation and membership service:
// organizations, users, memberships, roles and permissions, invitations and
// their state machine, API keys, and the service interfaces that storage
// implements and transports call.
//
// It imports nothing internal: storage (internal/sqlstore) and transports
// (internal/api) depend on it, never the reverse.
package invited

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Version and Commit are set at build time with -ldflags.
var (
	Version = "dev"
	Commit  = ""
)

// ID prefixes name the kind of a resource in its identifier.
const (
	PrefixOrganization = "org_"
	PrefixUser         = "usr_"
	PrefixInvitation   = "inv_"
	PrefixAPIKey       = "key_"
	PrefixRole         = "rol_"
	PrefixTicket       = "tkt_"
	PrefixSigningKey   = "sig_"
	PrefixApp          = "app_"
	PrefixAppInvite    = "ainv_"
)

// crockford is Crockford's base32 alphabet in lower case: no i, l, o, u, so
// identifiers read back unambiguously.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns prefix followed by 26 characters: a 48-bit millisecond
// timestamp and 80 random bits, both in base32. IDs sort by creation time, so
// the primary key doubles as the keyset pagination order and new rows land at
// the end of the index.
func NewID(prefix string, now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("invited: crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	// 128 bits into 26 base32 digits: the first digit carries 3 bits.
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return prefix + string(out[:])
}

// ValidID reports whether s has the shape of an id that NewID minted with
// prefix, so that transports can turn garbage into not_found without a query.
func ValidID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	return ok && len(rest) == idDigits && strings.Trim(rest, crockford) == ""
}

// idDigits is the length of an id after its prefix.
const idDigits = 26

// IDPattern is the regular expression of the ids NewID mints with prefix,
// which ValidID checks: what the spec states of an id parameter.
func IDPattern(prefix string) string {
	return fmt.Sprintf("^%s[%s]{%d}$", regexp.QuoteMeta(prefix), crockford, idDigits)
}

// Secret prefixes make leaked credentials recognizable to secret scanners.
const (
	SecretPrefixAPIKey = "ik_"
)

// NewSecret returns 256 bits from crypto/rand, base64url-encoded, after prefix.
// Invitation tokens, API keys and app codes all come from here.
func NewSecret(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("invited: crypto/rand failed: " + err.Error())
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// HashSecret is how secrets are stored and looked up: SHA-256 of the
// plaintext. Secrets carry 256 bits of entropy, so a fast unsalted hash is
// enough: there is nothing to brute-force.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// ValidSecretShape reports whether s could be a secret minted by NewSecret
// with the given prefix. It lets lookups reject garbage without a query.
func ValidSecretShape(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}

// Strings returns vs, values of a closed set of names (statuses,
// permissions), as plain strings, for messages and documents.
func Strings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
