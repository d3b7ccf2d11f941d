package connect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/egress"
)

// The calls to the platforms: the discovery document, the token endpoint
// through golang.org/x/oauth2, and the userinfo endpoint.

const (
	// maxBodyBytes bounds what is read of a platform's JSON answer.
	maxBodyBytes = 1 << 20
	// discoveryTTL is how long a discovery document is used before it is
	// fetched again.
	discoveryTTL = time.Hour
	// maxDescriptionRunes bounds a platform's error description, which
	// pages and API answers repeat.
	maxDescriptionRunes = 500
)

// endpoints are a platform's endpoints, as the discovery document names
// them.
type endpoints struct {
	AuthorizationURL string `json:"authorization_endpoint"`
	TokenURL         string `json:"token_endpoint"`
	UserinfoURL      string `json:"userinfo_endpoint"`
}

// cachedDocument is a fetched discovery document.
type cachedDocument struct {
	endpoints
	fetchedAt time.Time
}

// oauthConfig returns the client of app configuration o at the platform,
// and the userinfo URL, "" when there is none. With a discovery URL the
// endpoints come from that document.
func (s *Service) oauthConfig(ctx context.Context, o *invited.OAuthConfig) (*oauth2.Config, string, error) {
	ep := endpoints{AuthorizationURL: o.AuthorizationURL, TokenURL: o.TokenURL, UserinfoURL: o.UserinfoURL}
	if o.DiscoveryURL != "" {
		doc, err := s.discover(ctx, o.DiscoveryURL)
		if err != nil {
			return nil, "", err
		}
		ep.AuthorizationURL, ep.TokenURL = doc.AuthorizationURL, doc.TokenURL
		if ep.UserinfoURL == "" {
			ep.UserinfoURL = doc.UserinfoURL
		}
	}
	return &oauth2.Config{
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret,
		// AuthStyleAutoDetect: HTTP Basic, else the secret in the form.
		Endpoint:    oauth2.Endpoint{AuthURL: ep.AuthorizationURL, TokenURL: ep.TokenURL},
		RedirectURL: s.redirectURI,
		Scopes:      o.Scopes,
	}, ep.UserinfoURL, nil
}

// discover returns the endpoints the discovery document at rawURL names,
// from the cache while it is fresh.
func (s *Service) discover(ctx context.Context, rawURL string) (endpoints, error) {
	s.mu.Lock()
	doc, ok := s.discovery[rawURL]
	s.mu.Unlock()
	if ok && s.now().Sub(doc.fetchedAt) < discoveryTTL {
		return doc.endpoints, nil
	}

	var ep endpoints
	if err := s.getJSON(ctx, "the discovery document", rawURL, nil, &ep); err != nil {
		return ep, &PlatformError{Step: "discovery", Description: err.Error()}
	}
	if ep.AuthorizationURL == "" || ep.TokenURL == "" {
		return ep, &PlatformError{Step: "discovery", Description: "the discovery document names no authorization_endpoint or no token_endpoint"}
	}
	// The document is the platform's word, held to the rules of an app's
	// own endpoints: the code and the client secret go there.
	for _, u := range []string{ep.AuthorizationURL, ep.TokenURL, ep.UserinfoURL} {
		if u == "" {
			continue
		}
		var bad *invited.Error
		if errors.As(invited.OAuthEndpointError(u), &bad) {
			return ep, &PlatformError{Step: "discovery", Description: "the discovery document's " + bad.Message}
		}
	}
	s.mu.Lock()
	s.discovery[rawURL] = cachedDocument{endpoints: ep, fetchedAt: s.now()}
	s.mu.Unlock()
	return ep, nil
}

// accountID reads the connected account's id from field of the userinfo
// answer to the access token tok: a string, or a JSON number.
func (s *Service) accountID(ctx context.Context, userinfoURL string, tok *oauth2.Token, field string) (string, error) {
	var info map[string]any
	if err := s.getJSON(ctx, "the userinfo endpoint", userinfoURL, tok, &info); err != nil {
		return "", &PlatformError{Step: "userinfo", Description: err.Error()}
	}
	var id string
	switch v := info[field].(type) {
	case string:
		id = v
	case json.Number:
		id = v.String()
	}
	if id == "" {
		return "", &PlatformError{Step: "userinfo", Description: fmt.Sprintf("the userinfo answer has no account id in its field %q", field)}
	}
	// The id is shown and stored like any text an API user sends, so it
	// is held to the same rule (docs/security.md#hostile-text).
	f := invited.FieldErrors{}
	if invited.CheckText(f, field, id, false); len(f) > 0 || utf8.RuneCountInString(id) > maxAccountIDRunes {
		return "", &PlatformError{Step: "userinfo", Description: fmt.Sprintf(
			"the account id in the userinfo answer's field %q is not plain text of at most %d characters", field, maxAccountIDRunes)}
	}
	return id, nil
}

// maxAccountIDRunes bounds a platform's account id: real ones are short.
const maxAccountIDRunes = 256

// getJSON GETs rawURL, with the access token tok unless nil, and decodes
// the JSON of its 200 answer into out, numbers as json.Number. Its errors,
// naming what as the one answering, are fit to show; what they leave out
// is logged.
func (s *Service) getJSON(ctx context.Context, what, rawURL string, tok *oauth2.Token, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fmt.Errorf("%s has an invalid URL", what)
	}
	req.Header.Set("Accept", "application/json")
	if tok != nil {
		tok.SetAuthHeader(req)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.logger.WarnContext(ctx, "connect: platform unreachable", "what", what, "err", err)
		return unreachable(what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered HTTP %d", what, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	switch {
	case err != nil:
		s.logger.WarnContext(ctx, "connect: platform answer unreadable", "what", what, "err", err)
		return fmt.Errorf("%s could not be read", what)
	case len(body) > maxBodyBytes:
		return fmt.Errorf("%s is larger than 1 MiB", what)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%s is not a JSON object", what)
	}
	return nil
}

// unreachable is the error, fit to show, of a call to what that got no
// answer: by its category alone (refused_by_policy, timeout, …), never
// the addresses and messages behind it, which would make the platform's
// URL a probe of the service's network.
func unreachable(what string, err error) error {
	return fmt.Errorf("%s could not be reached: %s", what, egress.Category(err))
}

// clientContext carries the service's HTTP client to golang.org/x/oauth2.
func (s *Service) clientContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, s.client)
}

// platformError describes err, a failed call to the token endpoint at
// step, by the platform's OAuth error when it gave one. Never the answer's
// body: it may hold anything, tokens included.
func (s *Service) platformError(step string, err error) *PlatformError {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		s.logger.Warn("connect: token endpoint failed", "step", step, "err", err)
		if egress.Unreached(err) {
			return &PlatformError{Step: step, Description: unreachable("the token endpoint", err).Error()}
		}
		return &PlatformError{Step: step, Description: "the token endpoint did not answer with a token"}
	}
	pe := &PlatformError{Step: step, Code: re.ErrorCode, Description: clip(re.ErrorDescription)}
	if pe.Code == "" && pe.Description == "" && re.Response != nil {
		pe.Description = fmt.Sprintf("the platform answered HTTP %d", re.Response.StatusCode)
	}
	return pe
}

// oauthToken is tok as stored. The expiry is counted on the service's
// clock, which FreshAt compares it with, rather than on the wall clock
// the library counts expires_in on.
func (s *Service) oauthToken(tok *oauth2.Token) invited.OAuthToken {
	t := invited.OAuthToken{AccessToken: tok.AccessToken, TokenType: tok.Type(), RefreshToken: tok.RefreshToken}
	switch now := s.now(); {
	case tok.ExpiresIn > 0:
		t.Expiry = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	case !tok.Expiry.IsZero(): // a form-encoded answer, whose expires_in the library does not keep
		t.Expiry = now.Add(time.Until(tok.Expiry))
	}
	// As stored: to the millisecond, so that the answer of a renewal and
	// of the next read agree.
	t.Expiry = t.Expiry.Truncate(time.Millisecond)
	if scope, _ := tok.Extra("scope").(string); strings.TrimSpace(scope) != "" {
		t.Scopes = strings.Fields(scope)
	}
	return t
}

// clip bounds a description from outside.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "�")
	if utf8.RuneCountInString(s) <= maxDescriptionRunes {
		return s
	}
	return string([]rune(s)[:maxDescriptionRunes]) + "…"
}
