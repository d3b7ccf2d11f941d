// Package connect drives the partner's side of an app invite (issue 6):
// it sends the browser to the external platform's OAuth 2.0 authorization
// with a state bound to the invite and the browser and a PKCE challenge,
// exchanges the code the platform sends back, reads the connected
// account's id, and has the store activate the invite and create the
// connection profile. It also hands out a profile's access token,
// renewing it through the platform, one renewal at a time.
//
// It knows OAuth and HTTP clients, not pages or SQL: internal/web calls it
// for the pages, internal/api for the token endpoint, and the store is an
// invited.ConnectionStore.
package connect

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/egress"
)

// CallbackPath is where the platform sends the browser back; the redirect
// URI registered at the platform is the public URL plus this path.
const CallbackPath = "/oauth/callback"

// Limits on the browser secret that binds an authorization to the browser
// that started it: long enough to be unguessable, short enough to hash.
const (
	minBrowserSecretLen = 20
	maxBrowserSecretLen = 256
)

// DefaultTimeout bounds each call to a platform when Config.HTTPClient is
// not given.
const DefaultTimeout = 10 * time.Second

// Config is what the service needs.
type Config struct {
	Store invited.ConnectionStore
	// PublicURL is the service's base URL, of which the redirect URI is
	// made.
	PublicURL string
	// HTTPClient calls the platforms: the discovery document, the token
	// endpoint, the userinfo endpoint. Default an egress client that
	// refuses the service's own network (invited.OutboundPolicy's zero
	// value), with DefaultTimeout.
	HTTPClient *http.Client
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Service is the flow and the token renewal.
type Service struct {
	store       invited.ConnectionStore
	redirectURI string
	client      *http.Client
	now         func() time.Time
	logger      *slog.Logger

	// renewals runs one renewal of a profile's token at a time in this
	// process; the store's lease does so across processes.
	renewals singleflight.Group

	mu        sync.Mutex
	discovery map[string]cachedDocument // by discovery URL
}

// New returns the service of c.
func New(c Config) *Service {
	s := &Service{
		store:       c.Store,
		redirectURI: strings.TrimRight(c.PublicURL, "/") + CallbackPath,
		client:      c.HTTPClient,
		now:         c.Now,
		logger:      c.Logger,
		discovery:   map[string]cachedDocument{},
	}
	if s.client == nil {
		s.client = egress.Client(invited.OutboundPolicy{}, DefaultTimeout)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s
}

// RedirectURI is the redirect URI the platform must have registered for
// the app: PublicURL + CallbackPath.
func (s *Service) RedirectURI() string { return s.redirectURI }

// Authorize starts an authorization of the app invite code opens, for the
// browser holding the secret browser, and returns the platform's
// authorization URL to send that browser to.
func (s *Service) Authorize(ctx context.Context, code, browser string) (string, error) {
	if len(browser) < minBrowserSecretLen || len(browser) > maxBrowserSecretLen {
		return "", invited.Errorf(invited.EINVALID, "the browser secret must be %d-%d characters", minBrowserSecretLen, maxBrowserSecretLen)
	}
	auth, err := s.store.OpenAppInviteLink(ctx, code)
	if err != nil {
		return "", err
	}
	b := make([]byte, 32) // 256 bits
	rand.Read(b)
	state := base64.RawURLEncoding.EncodeToString(b)
	if err := s.store.StartAuthorization(ctx, code, state, browser, s.now().Add(invited.AuthorizationTTL)); err != nil {
		return "", err
	}
	// After the start, which refuses an invite no longer pending without
	// a call to the platform.
	cfg, _, err := s.oauthConfig(ctx, &auth.App.OAuth)
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(pkceVerifier(browser, state))}
	for k, v := range auth.App.OAuth.ExtraParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return cfg.AuthCodeURL(state, opts...), nil
}

// pkceVerifier is the PKCE code verifier of the authorization started
// with state in browser: derived from both rather than stored, so that
// the database never holds it and only the browser that started the
// authorization can finish it. It is 43 characters, RFC 7636's minimum.
func pkceVerifier(browser, state string) string {
	mac := hmac.New(sha256.New, []byte(browser))
	mac.Write([]byte("pkce:" + state))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Callback finishes the authorization that the platform's redirect to
// CallbackPath answers, query being that redirect's query, in the browser
// holding the secret browser. The Authorization is returned as soon as the
// state is known, on error too, so that a page can show whose invite it
// was; the profile only on success.
func (s *Service) Callback(ctx context.Context, query url.Values, browser string) (*invited.Authorization, *invited.Profile, error) {
	state := query.Get("state")
	if state == "" {
		return nil, nil, invited.Errorf(invited.EINVALID, "the platform's answer carries no state")
	}
	auth, err := s.store.TakeAuthorization(ctx, state, browser)
	if err != nil {
		return nil, nil, err
	}
	// The secret is for the exchange alone; the authorization goes on to
	// a page.
	oauthCfg := auth.App.OAuth
	auth.App.OAuth.ClientSecret = ""

	// An invite no longer pending, such as one that expired while the
	// partner was at the platform: the code would buy tokens no one keeps.
	if _, err := invited.AppInviteLifecycle.Transition(auth.Invite.Status, invited.ActionActivate); err != nil {
		return auth, nil, err
	}
	if code := query.Get("error"); code != "" {
		return auth, nil, &PlatformError{Step: "authorization", Code: code, Description: clip(query.Get("error_description"))}
	}
	code := query.Get("code")
	if code == "" {
		return auth, nil, invited.Errorf(invited.EINVALID, "the platform's answer carries neither a code nor an error")
	}

	cfg, userinfoURL, err := s.oauthConfig(ctx, &oauthCfg)
	if err != nil {
		return auth, nil, err
	}
	tok, err := cfg.Exchange(s.clientContext(ctx), code, oauth2.VerifierOption(pkceVerifier(browser, state)))
	if err != nil {
		return auth, nil, s.platformError("token exchange", err)
	}
	c := invited.ProfileCreate{Token: s.oauthToken(tok)}
	if userinfoURL != "" {
		if c.ExternalAccountID, err = s.accountID(ctx, userinfoURL, tok, oauthCfg.AccountIDFieldOrDefault()); err != nil {
			return auth, nil, err
		}
	}
	prof, err := s.store.ActivateAppInvite(ctx, auth.Invite.ID, c)
	if err != nil {
		return auth, nil, err
	}
	return auth, prof, nil
}

// PlatformError is a refusal or failure of the platform during the flow:
// Code is its OAuth error code, access_denied when the partner said no,
// and "" when it gave none (it could not be reached, or answered what is
// not OAuth).
type PlatformError struct {
	// Step is what failed: "authorization", "token exchange", "userinfo"
	// or "discovery".
	Step        string
	Code        string
	Description string
}

// Error reads "<step>: <code>: <description>", leaving out what is empty.
// It holds no secret: the description is the platform's own, or ours.
func (e *PlatformError) Error() string {
	msg := e.Step
	for _, part := range []string{e.Code, e.Description} {
		if part != "" {
			msg += ": " + part
		}
	}
	return msg
}

// Denied reports whether the partner refused the authorization.
func (e *PlatformError) Denied() bool { return e.Code == "access_denied" }
