// Package oauthserver runs a real OAuth 2.0 authorization server
// (github.com/go-oauth2/oauth2/v4) in the test process, on 127.0.0.1: the
// external platform of the app invite tests. It registers one client with
// one exact redirect URI, insists on PKCE with S256, issues refresh tokens
// and rotates them, and has a consent page a browser can click through.
//
// Endpoints: GET /authorize (the consent page, or an immediate decision
// under Options.AutoConsent) and its POST (the page's form), POST /token,
// GET /userinfo (with the access token) and
// GET /.well-known/openid-configuration.
package oauthserver

import (
	"bytes"
	"encoding/json"
	"html/template"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	oauth2 "github.com/go-oauth2/oauth2/v4"
	oautherrors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
	"github.com/go-oauth2/oauth2/v4/store"
)

// Consent decisions, for Options.AutoConsent and SetAutoConsent.
const (
	Approve = "approve"
	Deny    = "deny"
)

// Options configure the server. ClientID and RedirectURI are required.
type Options struct {
	ClientID string
	// ClientSecret is the client's secret; "" makes it a public client,
	// whose token requests carry no secret.
	ClientSecret string
	// RedirectURI is the client's registered redirect URI: authorization
	// requests must name exactly this one, or none.
	RedirectURI string
	// AccountID is the user id that consent yields: the userinfo answer's
	// sub and id. Default "acct-42".
	AccountID string
	// AccessTokenTTL is the lifetime of access tokens; default 1h.
	// Refresh tokens do not expire.
	AccessTokenTTL time.Duration
	// AutoConsent decides every authorization at once: Approve or Deny.
	// "" shows the consent page instead, for a browser to answer.
	AutoConsent string
}

// Server is a running authorization server.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:port.
	URL string

	t    testing.TB
	opts Options
	srv  *server.Server

	mu            sync.Mutex
	autoConsent   string
	tokenRequests map[string]int
}

// Start starts a server configured by o; it is closed when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.ClientID == "" || o.RedirectURI == "" {
		t.Fatal("oauthserver: Options.ClientID and RedirectURI are required")
	}
	if o.AccountID == "" {
		o.AccountID = "acct-42"
	}
	if o.AccessTokenTTL == 0 {
		o.AccessTokenTTL = time.Hour
	}
	s := &Server{t: t, opts: o, tokenRequests: map[string]int{}}
	s.SetAutoConsent(o.AutoConsent)

	clients := store.NewClientStore()
	if err := clients.Set(o.ClientID, &models.Client{
		ID:     o.ClientID,
		Secret: o.ClientSecret,
		Domain: o.RedirectURI,
		Public: o.ClientSecret == "",
	}); err != nil {
		t.Fatal(err)
	}
	tokens, err := store.NewMemoryTokenStore()
	if err != nil {
		t.Fatal(err)
	}
	manager := manage.NewDefaultManager()
	manager.MapClientStorage(clients)
	manager.MapTokenStorage(tokens)
	manager.SetAuthorizeCodeTokenCfg(&manage.Config{AccessTokenExp: o.AccessTokenTTL, IsGenerateRefresh: true})
	// Each refresh answers a new refresh token and forgets the old
	// tokens: a refresh token works once, so a second renewal racing the
	// first fails, as at platforms that rotate.
	manager.SetRefreshTokenCfg(&manage.RefreshingConfig{
		AccessTokenExp:     o.AccessTokenTTL,
		IsGenerateRefresh:  true,
		IsRemoveAccess:     true,
		IsRemoveRefreshing: true,
	})
	// The library's default accepts any URI on the registered host.
	manager.SetValidateURIHandler(func(registered, redirectURI string) error {
		if redirectURI != registered {
			return oautherrors.ErrInvalidRedirectURI
		}
		return nil
	})

	s.srv = server.NewServer(&server.Config{
		TokenType:                   "Bearer",
		AllowedResponseTypes:        []oauth2.ResponseType{oauth2.Code},
		AllowedGrantTypes:           []oauth2.GrantType{oauth2.AuthorizationCode, oauth2.Refreshing},
		AllowedCodeChallengeMethods: []oauth2.CodeChallengeMethod{oauth2.CodeChallengeS256},
		ForcePKCE:                   true,
	}, manager)
	s.srv.SetClientInfoHandler(clientInfo)
	s.srv.SetUserAuthorizationHandler(s.userAuthorization)

	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("GET /userinfo", s.userinfo)
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// DiscoveryURL is the URL of the server's OpenID Connect discovery
// document.
func (s *Server) DiscoveryURL() string { return s.URL + "/.well-known/openid-configuration" }

// AuthorizeURL is the authorization endpoint.
func (s *Server) AuthorizeURL() string { return s.URL + "/authorize" }

// TokenURL is the token endpoint.
func (s *Server) TokenURL() string { return s.URL + "/token" }

// UserinfoURL is the userinfo endpoint.
func (s *Server) UserinfoURL() string { return s.URL + "/userinfo" }

// Account asks the server who accessToken belongs to, as a caller of the
// platform's API would (its userinfo endpoint): it proves that a token
// handed out is the platform's.
func (s *Server) Account(t testing.TB, accessToken string) string {
	t.Helper()
	req, err := http.NewRequest("GET", s.UserinfoURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		Sub string `json:"sub"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&info) != nil {
		t.Fatalf("the platform refuses the access token: %s", resp.Status)
	}
	return info.Sub
}

// Decide sends the authorization request authURL to the server without a
// browser, under AutoConsent, and returns the query of the redirect the
// server answers it with: the code or the error, and the state, that the
// client's callback would receive.
func (s *Server) Decide(t testing.TB, authURL string) url.Values {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, authURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.Redirect(t, req)
}

// Redirect sends req, an authorization request or the consent page's
// answer, and returns the query of the redirect to the client that the
// server answers it with. It fails the test when the answer is not such a
// redirect.
func (s *Server) Redirect(t testing.TB, req *http.Request) url.Values {
	t.Helper()
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil || loc.Scheme+"://"+loc.Host+loc.Path != s.opts.RedirectURI {
		t.Fatalf("the platform answered %s, Location %q; want a redirect to %s", resp.Status, resp.Header.Get("Location"), s.opts.RedirectURI)
	}
	return loc.Query()
}

// TokenRequests counts the requests to the token endpoint with grant_type
// grantType ("authorization_code", "refresh_token"), answered or refused.
func (s *Server) TokenRequests(grantType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests[grantType]
}

// SetAutoConsent changes Options.AutoConsent for the authorizations that
// follow.
func (s *Server) SetAutoConsent(decision string) {
	s.t.Helper()
	if decision != "" && decision != Approve && decision != Deny {
		s.t.Fatalf("oauthserver: AutoConsent %q: want %q, %q or \"\"", decision, Approve, Deny)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.autoConsent = decision
}

// clientInfo reads the client's credentials from HTTP Basic
// authentication, else from the form, as RFC 6749 §2.3.1 allows both.
func clientInfo(r *http.Request) (string, string, error) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return server.ClientFormHandler(r)
	}
	// The credentials are form-encoded inside Basic (§2.3.1).
	id, err := url.QueryUnescape(id)
	if err != nil {
		return "", "", oautherrors.ErrInvalidClient
	}
	if secret, err = url.QueryUnescape(secret); err != nil {
		return "", "", oautherrors.ErrInvalidClient
	}
	return id, secret, nil
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	// With an unknown client or an unregistered redirect URI the server
	// must not redirect (RFC 6749 §4.1.2.1); the library checks the
	// redirect URI only after consent, and would send its error there.
	if r.FormValue("client_id") != s.opts.ClientID || r.FormValue("redirect_uri") != "" && r.FormValue("redirect_uri") != s.opts.RedirectURI {
		http.Error(w, "unknown client_id or unregistered redirect_uri", http.StatusBadRequest)
		return
	}
	// The library answers (redirects) every error it can tie to a valid
	// request; what it returns, such as a missing code_challenge, it could
	// not.
	if err := s.srv.HandleAuthorizeRequest(w, r); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
	}
}

// userAuthorization is the resource owner's decision: AutoConsent, else
// the consent page's answer. It returns "" with no error after showing
// the page, which ends the request.
func (s *Server) userAuthorization(w http.ResponseWriter, r *http.Request) (string, error) {
	s.mu.Lock()
	decision := s.autoConsent
	s.mu.Unlock()
	if decision == "" {
		if r.Method != http.MethodPost {
			return "", s.consentPage(w, r)
		}
		decision = r.PostFormValue("decision")
	}
	switch decision {
	case Approve:
		return s.opts.AccountID, nil
	case Deny:
		return "", oautherrors.ErrAccessDenied
	}
	return "", oautherrors.ErrInvalidRequest
}

var consentTemplate = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorize {{.Client}}</title></head>
<body>
<h1>Authorize {{.Client}}</h1>
<p>{{.Client}} asks to access your Test Partner account{{if .Scopes}} with these scopes:{{else}}.{{end}}</p>
{{if .Scopes}}<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<form method="post" action="/authorize">
{{range .Params}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<button id="approve" name="decision" value="approve">Allow</button>
<button id="deny" name="decision" value="deny">Deny</button>
</form>
</body>
</html>
`))

// param is a query parameter the consent form carries over.
type param struct{ Name, Value string }

// consentPage shows the client and the scopes it asks for, with a form
// that posts the original request back with the decision.
func (s *Server) consentPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var params []param
	for _, name := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[name] {
			params = append(params, param{name, v})
		}
	}
	var buf bytes.Buffer
	err := consentTemplate.Execute(&buf, map[string]any{
		"Client": r.FormValue("client_id"),
		"Scopes": strings.Fields(r.FormValue("scope")),
		"Params": params,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write(buf.Bytes())
	return err
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenRequests[r.PostFormValue("grant_type")]++
	s.mu.Unlock()
	if err := s.srv.HandleTokenRequest(w, r); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	ti, err := s.srv.ValidationBearerToken(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	writeJSON(w, map[string]string{"sub": ti.GetUserID(), "id": ti.GetUserID(), "name": "Test Partner"})
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{
		"issuer":                           s.URL,
		"authorization_endpoint":           s.AuthorizeURL(),
		"token_endpoint":                   s.TokenURL(),
		"userinfo_endpoint":                s.UserinfoURL(),
		"response_types_supported":         []string{"code"},
		"grant_types_supported":            []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported": []string{"S256"},
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
