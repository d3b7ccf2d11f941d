package testutil

import (
	"net/url"
	"strings"
)

// urlPassword is the password WithPassword writes: text that no parser's
// fixed message holds.
const urlPassword = "pw-7f3a9c1e"

// WithPassword returns rawURL with its userinfo's password (and the user
// name "user", when it names none) set to a password of its own, which it
// returns too, so that a test of a URL's parser may require that its errors
// and descriptions never show that password. ok is false when rawURL does
// not parse, or already holds that text elsewhere.
func WithPassword(rawURL string) (marked, password string, ok bool) {
	u, err := url.Parse(rawURL)
	if err != nil || strings.Contains(rawURL, urlPassword) {
		return "", "", false
	}
	name := "user"
	if u.User != nil && u.User.Username() != "" {
		name = u.User.Username()
	}
	u.User = url.UserPassword(name, urlPassword)
	return u.String(), urlPassword, true
}
