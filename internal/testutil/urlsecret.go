package testutil

import (
	"net/url"
	"strings"
)

// URLPassword returns the password of rawURL's userinfo when nothing else
// in the URL repeats it, so that a test of a URL's parser may require that
// its errors and descriptions never show it; ok is false when the URL has
// no such password.
func URLPassword(rawURL string) (password string, ok bool) {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return "", false
	}
	password, set := u.User.Password()
	if !set || len(password) < 4 {
		return "", false
	}
	rest := []string{u.Scheme, u.User.Username(), u.Host, u.Path, u.RawPath, u.RawQuery, u.Fragment}
	if q, err := url.QueryUnescape(u.RawQuery); err == nil {
		rest = append(rest, q)
	}
	for _, s := range rest {
		if strings.Contains(s, password) {
			return "", false
		}
	}
	return password, true
}
