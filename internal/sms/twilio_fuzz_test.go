package sms

import (
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/testutil"
)

// FuzzTwilioURL reads any text as INVITED_SMS_URL: either it is refused,
// or it has credentials, exactly one of an E.164 sender and a messaging
// service, a positive timeout and an endpoint under its base; and with an
// auth token of the test's own in it, neither the error nor the
// description shows it.
func FuzzTwilioURL(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		if marked, token, ok := testutil.WithPassword(raw); ok {
			if tw, err := NewTwilio(marked, nil); err != nil && strings.Contains(err.Error(), token) {
				t.Fatalf("%q: the error shows the auth token: %v", marked, err)
			} else if err == nil && strings.Contains(tw.String(), token) {
				t.Fatalf("%q: the description shows the auth token: %s", marked, tw)
			}
		}
		tw, err := NewTwilio(raw, nil)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: an empty error", raw)
			}
			return
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
