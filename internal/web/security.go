package web

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/invitedhq/invited"
)

// maxFormBytes bounds every form post, CSV uploads included.
const maxFormBytes = 10 << 20

// csrfCookie holds the token every form posts back as csrfField.
const (
	csrfCookie = "invited_csrf"
	csrfField  = "csrf_token"
)

// crossOrigin refuses state-changing requests that a browser says came
// from another site (Sec-Fetch-Site, else Origin).
var crossOrigin = http.NewCrossOriginProtection()

// protect sets the headers every page carries and guards every post
// twice: the browser's own cross-origin signal, and a form token that must
// match the csrf cookie (double submit), for browsers that send neither
// Sec-Fetch-Site nor Origin.
func (p *Pages) protect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		// Page URLs carry invitation tokens: a page must never tell the
		// next site where the visitor came from.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := parseForm(r); err != nil {
				p.fail(w, r, defaultBrand, err)
				return
			}
			if err := crossOrigin.Check(r); err != nil || !p.validCSRF(r) {
				p.failSaying(w, r, defaultBrand, invited.Errorf(invited.EFORBIDDEN,
					"This form could not be accepted: it has expired or came from another site. Go back, reload the page and try again."),
					"error.form_expired")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// parseForm reads the posted form, so that a form too large or malformed
// is told so instead of failing the CSRF check for want of its token. As in
// the API, too large is invalid_request (400), not a code of its own.
func parseForm(r *http.Request) error {
	err := r.ParseMultipartForm(maxFormBytes)
	switch {
	case err == nil, errors.Is(err, http.ErrNotMultipart):
		if err = r.ParseForm(); err == nil {
			return nil
		}
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return invited.Errorf(invited.EINVALID, "The form is too large: at most %d MiB can be sent at once.", maxFormBytes>>20)
	}
	return invited.Errorf(invited.EINVALID, "The form could not be read. Go back, reload the page and try again.")
}

// csrfToken returns the request's csrf token, setting the cookie when the
// browser has none yet.
func (p *Pages) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 26 {
		return c.Value
	}
	token := rand.Text()
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: token, Path: "/",
		HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode,
	})
	return token
}

// validCSRF reports whether the form's token matches the cookie.
func (p *Pages) validCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 26 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(csrfField))) == 1
}
