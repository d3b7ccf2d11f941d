package sqlstore

import (
	"testing"

	"github.com/invitedhq/invited"
)

// FuzzPageToken reads any text as a page_token of each kind of list: either
// it is refused as invalid_request naming page_token, or it is exactly the
// token the store issues for the id it names, an id of that list's kind, so
// that nothing but an id the service minted reaches the query.
func FuzzPageToken(f *testing.F) {
	prefixes := []string{
		invited.PrefixOrganization, invited.PrefixInvitation, invited.PrefixUser, invited.PrefixAPIKey, invited.PrefixApp,
		invited.PrefixAppInvite, invited.PrefixProfile, invited.PrefixWebhook, invited.PrefixMessage, invited.PrefixAuditEvent,
	}
	for _, p := range prefixes {
		f.Add(pageToken(p+"01hzzzzzzzzzzzzzzzzzzzzzzz"), 0)
	}
	f.Fuzz(func(t *testing.T, token string, size int) {
		for _, prefix := range prefixes {
			k, err := newKeyset(invited.Page{PageToken: token, PageSize: size}, prefix)
			if err != nil {
				e, ok := err.(*invited.Error)
				if !ok || e.Code != invited.EINVALID || (e.Fields["page_token"] == "" && e.Fields["page_size"] == "") {
					t.Fatalf("%q, size %d: refused with %#v, want invalid_request naming page_token or page_size", token, size, err)
				}
				continue
			}
			if k.size < 1 || k.size > invited.MaxPageSize {
				t.Fatalf("size %d accepted as %d", size, k.size)
			}
			if token == "" {
				continue
			}
			if !invited.ValidID(k.after, prefix) {
				t.Fatalf("%q accepted for %s… naming %q, not an id of that kind", token, prefix, k.after)
			}
			if again := pageToken(k.after); again != token {
				t.Fatalf("%q accepted for %s…, but the token of %q is %q", token, prefix, k.after, again)
			}
		}
	})
}
