package oauthserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/invitedhq/invited/internal/testutil/oauthserver"
)

const redirectURI = "https://invited.test/oauth/callback"

// start runs a server with a confidential client and returns it with a
// golang.org/x/oauth2 configuration of that client.
func start(t *testing.T, consent string) (*oauthserver.Server, *oauth2.Config) {
	t.Helper()
	s := oauthserver.Start(t, oauthserver.Options{
		ClientID: "client-1", ClientSecret: "s3cret", RedirectURI: redirectURI, AutoConsent: consent,
	})
	return s, &oauth2.Config{
		ClientID: "client-1", ClientSecret: "s3cret", RedirectURL: redirectURI,
		Endpoint: oauth2.Endpoint{AuthURL: s.AuthorizeURL(), TokenURL: s.TokenURL()},
		Scopes:   []string{"read", "write"},
	}
}

// noRedirects stops at the first answer, for the answers that are not
// redirects to the client.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, rawURL string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestCodeExchange checks that the server enforces PKCE with S256.
func TestCodeExchange(t *testing.T) {
	s, cfg := start(t, oauthserver.Approve)
	ctx := context.Background()
	tests := []struct {
		name     string
		verifier func(v string) []oauth2.AuthCodeOption
		wantErr  string // the OAuth error code; "" for a token
	}{
		{"verifier", func(v string) []oauth2.AuthCodeOption { return []oauth2.AuthCodeOption{oauth2.VerifierOption(v)} }, ""},
		{"no verifier", func(string) []oauth2.AuthCodeOption { return nil }, "invalid_request"},
		{"another verifier", func(string) []oauth2.AuthCodeOption {
			return []oauth2.AuthCodeOption{oauth2.VerifierOption(oauth2.GenerateVerifier())}
		}, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			q := s.Decide(t, cfg.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier)))
			if q.Get("state") != "st-1" || q.Get("code") == "" {
				t.Fatalf("redirect query %v, want state st-1 and a code", q)
			}
			tok, err := cfg.Exchange(ctx, q.Get("code"), tt.verifier(verifier)...)
			if tt.wantErr != "" {
				var re *oauth2.RetrieveError
				if !errors.As(err, &re) || re.ErrorCode != tt.wantErr {
					t.Fatalf("exchange: %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" || tok.Expiry.IsZero() || tok.Extra("scope") != "read write" {
				t.Fatalf("token %+v, scope %v: want access and refresh tokens, an expiry and the scopes", tok, tok.Extra("scope"))
			}
		})
	}
	if n := s.TokenRequests("authorization_code"); n != len(tests) {
		t.Errorf("TokenRequests(authorization_code) = %d, want %d", n, len(tests))
	}
}

// TestAuthorizeRefused checks the requests that must not yield a code.
func TestAuthorizeRefused(t *testing.T) {
	_, cfg := start(t, oauthserver.Approve)
	challenge := oauth2.S256ChallengeOption(oauth2.GenerateVerifier())
	tests := []struct {
		name string
		url  string
	}{
		{"no PKCE", cfg.AuthCodeURL("st")},
		{"plain PKCE", cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)),
			oauth2.SetAuthURLParam("code_challenge_method", "plain"))},
		{"unregistered redirect_uri", cfg.AuthCodeURL("st", challenge, oauth2.SetAuthURLParam("redirect_uri", redirectURI+"/x"))},
		{"unknown client", strings.Replace(cfg.AuthCodeURL("st", challenge), "client-1", "client-2", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := noRedirects.Do(get(t, tt.url))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("got %s, Location %q; want 400 without a redirect", resp.Status, resp.Header.Get("Location"))
			}
		})
	}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// TestConsentPage answers the consent page as a browser would: posting
// its form with the button's decision.
func TestConsentPage(t *testing.T) {
	s, cfg := start(t, "")
	tests := []struct {
		decision string
		want     func(q url.Values) bool
	}{
		{"approve", func(q url.Values) bool { return q.Get("code") != "" && q.Get("error") == "" }},
		{"deny", func(q url.Values) bool { return q.Get("code") == "" && q.Get("error") == "access_denied" }},
	}
	for _, tt := range tests {
		t.Run(tt.decision, func(t *testing.T) {
			resp, err := noRedirects.Do(get(t, cfg.AuthCodeURL("st-2", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))))
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			page := string(body)
			if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="`+tt.decision+`"`) || !strings.Contains(page, "<li>write</li>") {
				t.Fatalf("got %s:\n%s\nwant the consent page", resp.Status, page)
			}
			form := url.Values{"decision": {tt.decision}}
			for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
				form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
			}
			req, err := http.NewRequest(http.MethodPost, cfg.Endpoint.AuthURL, strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			q := s.Redirect(t, req)
			if q.Get("state") != "st-2" || !tt.want(q) {
				t.Fatalf("redirect query %v after %s", q, tt.decision)
			}
		})
	}
}

// TestRefreshAndUserinfo checks the discovery document, that a refresh
// rotates the refresh token, and that userinfo answers the new access
// token alone.
func TestRefreshAndUserinfo(t *testing.T) {
	s, cfg := start(t, oauthserver.Approve)
	ctx := context.Background()

	var doc map[string]any
	getJSON(t, get(t, s.DiscoveryURL()), http.StatusOK, &doc)
	if doc["token_endpoint"] != s.TokenURL() || doc["userinfo_endpoint"] != s.UserinfoURL() {
		t.Errorf("discovery document %v", doc)
	}

	verifier := oauth2.GenerateVerifier()
	q := s.Decide(t, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
	first, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: first.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if renewed.RefreshToken == first.RefreshToken || renewed.AccessToken == first.AccessToken {
		t.Fatalf("refresh answered the same tokens")
	}
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: first.RefreshToken}).Token()
	if re := (*oauth2.RetrieveError)(nil); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("reusing a rotated refresh token: %v, want invalid_grant", err)
	}
	if n := s.TokenRequests("refresh_token"); n != 2 {
		t.Errorf("TokenRequests(refresh_token) = %d, want 2", n)
	}

	for _, tt := range []struct {
		token  string
		status int
	}{{renewed.AccessToken, http.StatusOK}, {first.AccessToken, http.StatusUnauthorized}, {"", http.StatusUnauthorized}} {
		req := get(t, s.UserinfoURL())
		req.Header.Set("Authorization", "Bearer "+tt.token)
		var info map[string]any
		getJSON(t, req, tt.status, &info)
		if tt.status == http.StatusOK && (info["sub"] != "acct-42" || info["id"] != "acct-42") {
			t.Errorf("userinfo %v, want sub and id acct-42", info)
		}
	}
}

// getJSON sends req, requires status, and decodes a 200 answer into out.
func getJSON(t *testing.T, req *http.Request, status int, out any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %s, want %d", req.Method, req.URL, resp.Status, status)
	}
	if status == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}
