package sms

import (
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/testutil"
)

// FuzzTwilioURL reads any text as INVITED_SMS_URL: either it is refused
// with an error that does not show the auth token, or it has credentials,
// exactly one of an E.164 sender and a messaging service, a positive
// timeout and an endpoint under its base, and its description does not
// show the auth token either.
func FuzzTwilioURL(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		token, secret := testutil.URLPassword(raw)
		tw, err := NewTwilio(raw, nil)
		if err != nil {
			if secret && strings.Contains(err.Error(), token) {
				t.Fatalf("%q: the error shows the auth token: %v", raw, err)
			}
			return
		}
		if secret && strings.Contains(tw.String(), token) {
			t.Fatalf("%q: the description shows the auth token: %s", raw, tw)
		}
		switch {
		case tw.accountSID == "" || tw.authToken == "":
			t.Fatalf("%q: no credentials", raw)
		case (tw.from == "") == (tw.service == ""):
			t.Fatalf("%q: from %q and service %q", raw, tw.from, tw.service)
		case tw.from != "" && !invited.ValidPhone(tw.from):
			t.Fatalf("%q: from %q", raw, tw.from)
		case tw.timeout <= 0:
			t.Fatalf("%q: timeout %v", raw, tw.timeout)
		case !strings.HasPrefix(tw.endpoint, tw.base+"/2010-04-01/Accounts/"):
			t.Fatalf("%q: endpoint %q outside %q", raw, tw.endpoint, tw.base)
		}
	})
}
