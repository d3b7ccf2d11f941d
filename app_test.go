package invited_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// validApp is an app create that passes: each case of TestNewApp breaks
// one thing in it.
func validApp() invited.AppCreate {
	return invited.AppCreate{
		Name:        " CRM connector ",
		Description: "Connect your CRM so that we can sync contacts.",
		OAuth: invited.OAuthConfig{
			AuthorizationURL: "https://crm.example.com/oauth/authorize",
			TokenURL:         "https://crm.example.com/oauth/token",
			ClientID:         "client-123",
			ClientSecret:     "s3cret",
			Scopes:           []string{"contacts.read", "offline_access"},
			ExtraParams:      map[string]string{"access_type": "offline"},
		},
	}
}

func TestNewApp(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		change func(c *invited.AppCreate)
		fields string // the fields blamed, comma-separated; "" when valid
	}{
		{"valid", func(c *invited.AppCreate) {}, ""},
		{"discovery instead of endpoints", func(c *invited.AppCreate) {
			c.OAuth.AuthorizationURL, c.OAuth.TokenURL = "", ""
			c.OAuth.DiscoveryURL = "https://id.example.com/.well-known/openid-configuration"
		}, ""},
		{"public client", func(c *invited.AppCreate) { c.OAuth.ClientSecret = "" }, ""},
		{"no scopes", func(c *invited.AppCreate) { c.OAuth.Scopes = nil }, ""},
		{"http on localhost", func(c *invited.AppCreate) { c.OAuth.TokenURL = "http://localhost:9000/token" }, ""},
		{"http on 127.0.0.1", func(c *invited.AppCreate) { c.OAuth.TokenURL = "http://127.0.0.1:9000/token" }, ""},
		{"http on ::1", func(c *invited.AppCreate) { c.OAuth.TokenURL = "http://[::1]:9000/token" }, ""},
		{"name of 200 runes", func(c *invited.AppCreate) { c.Name = strings.Repeat("é", 200) }, ""},
		// Lengths count characters, as the spec's maxLength does.
		{"client id of 500 runes", func(c *invited.AppCreate) { c.OAuth.ClientID = strings.Repeat("é", 500) }, ""},
		{"client secret of 2000 runes", func(c *invited.AppCreate) { c.OAuth.ClientSecret = strings.Repeat("é", 2000) }, ""},
		{"url of 2000 runes", func(c *invited.AppCreate) {
			c.OAuth.TokenURL = "https://crm.example.com/" + strings.Repeat("é", 2000-len("https://crm.example.com/"))
		}, ""},

		{"no name", func(c *invited.AppCreate) { c.Name = "  " }, "name"},
		{"name too long", func(c *invited.AppCreate) { c.Name = strings.Repeat("é", 201) }, "name"},
		{"description too long", func(c *invited.AppCreate) { c.Description = strings.Repeat("é", 2001) }, "description"},
		{"no client id", func(c *invited.AppCreate) { c.OAuth.ClientID = " " }, "oauth.client_id"},
		{"client id too long", func(c *invited.AppCreate) { c.OAuth.ClientID = strings.Repeat("c", 501) }, "oauth.client_id"},
		{"client secret too long", func(c *invited.AppCreate) { c.OAuth.ClientSecret = strings.Repeat("s", 2001) }, "oauth.client_secret"},
		{"discovery and endpoints", func(c *invited.AppCreate) {
			c.OAuth.DiscoveryURL = "https://id.example.com/.well-known/openid-configuration"
		}, "oauth.discovery_url"},
		{"no endpoints", func(c *invited.AppCreate) { c.OAuth.AuthorizationURL, c.OAuth.TokenURL = "", "" }, "oauth.authorization_url,oauth.token_url"},
		{"no token url", func(c *invited.AppCreate) { c.OAuth.TokenURL = "" }, "oauth.token_url"},
		{"http elsewhere", func(c *invited.AppCreate) { c.OAuth.TokenURL = "http://crm.example.com/token" }, "oauth.token_url"},
		{"http on a lookalike of localhost", func(c *invited.AppCreate) { c.OAuth.TokenURL = "http://localhost.example.com/token" }, "oauth.token_url"},
		{"other scheme", func(c *invited.AppCreate) { c.OAuth.AuthorizationURL = "ftp://crm.example.com/authorize" }, "oauth.authorization_url"},
		{"relative url", func(c *invited.AppCreate) { c.OAuth.AuthorizationURL = "/oauth/authorize" }, "oauth.authorization_url"},
		{"userinfo", func(c *invited.AppCreate) { c.OAuth.TokenURL = "https://user:pass@crm.example.com/token" }, "oauth.token_url"},
		{"fragment", func(c *invited.AppCreate) { c.OAuth.AuthorizationURL = "https://crm.example.com/authorize#x" }, "oauth.authorization_url"},
		{"empty fragment", func(c *invited.AppCreate) { c.OAuth.AuthorizationURL = "https://crm.example.com/authorize#" }, "oauth.authorization_url"},
		{"bad discovery url", func(c *invited.AppCreate) {
			c.OAuth.AuthorizationURL, c.OAuth.TokenURL, c.OAuth.DiscoveryURL = "", "", "http://id.example.com/"
		}, "oauth.discovery_url"},
		{"url too long", func(c *invited.AppCreate) {
			c.OAuth.TokenURL = "https://crm.example.com/" + strings.Repeat("t", 2000)
		}, "oauth.token_url"},
		{"too many scopes", func(c *invited.AppCreate) { c.OAuth.Scopes = make([]string, 51) }, "oauth.scopes"},
		{"empty scope", func(c *invited.AppCreate) { c.OAuth.Scopes = []string{""} }, "oauth.scopes"},
		{"scope with a space", func(c *invited.AppCreate) { c.OAuth.Scopes = []string{"contacts read"} }, "oauth.scopes"},
		{"scope with a quote", func(c *invited.AppCreate) { c.OAuth.Scopes = []string{`a"b`} }, "oauth.scopes"},
		{"scope not ASCII", func(c *invited.AppCreate) { c.OAuth.Scopes = []string{"contacts·read"} }, "oauth.scopes"},
		{"scope too long", func(c *invited.AppCreate) { c.OAuth.Scopes = []string{strings.Repeat("s", 201)} }, "oauth.scopes"},
		{"too many extra params", func(c *invited.AppCreate) {
			c.OAuth.ExtraParams = map[string]string{}
			for i := range 21 {
				c.OAuth.ExtraParams[strings.Repeat("p", i+1)] = "v"
			}
		}, "oauth.extra_params"},
		{"extra param the flow sets", func(c *invited.AppCreate) {
			c.OAuth.ExtraParams = map[string]string{"redirect_uri": "https://evil.example"}
		}, "oauth.extra_params"},
		{"extra param the flow sets, in capitals", func(c *invited.AppCreate) { c.OAuth.ExtraParams = map[string]string{"Code_Challenge": "x"} }, "oauth.extra_params"},
		{"extra param without a name", func(c *invited.AppCreate) { c.OAuth.ExtraParams = map[string]string{"": "x"} }, "oauth.extra_params"},
		{"extra param value too long", func(c *invited.AppCreate) {
			c.OAuth.ExtraParams = map[string]string{"prompt": strings.Repeat("v", 1001)}
		}, "oauth.extra_params"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validApp()
			tt.change(&c)
			app, err := invited.NewApp(c, allowLoopback, now)
			if tt.fields != "" {
				want := strings.Split(tt.fields, ",")
				e := wantFieldError(t, err, want[0])
				if got := slices.Sorted(maps.Keys(e.Fields)); !slices.Equal(got, want) {
					t.Errorf("fields %v, want %s", e.Fields, tt.fields)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !invited.ValidID(app.ID, invited.PrefixApp) || app.Name != strings.TrimSpace(c.Name) || app.OAuth.Scopes == nil ||
				app.ClientSecretSet != (c.OAuth.ClientSecret != "") || app.OAuth.ClientSecret != c.OAuth.ClientSecret ||
				!app.CreatedAt.Equal(now) || !app.UpdatedAt.Equal(now) {
				t.Fatalf("app %+v", app)
			}
		})
	}
}

// TestNewAppOutbound checks that the endpoints the service calls may not
// name its own network unless the policy allows it, and that the
// authorization URL, which only browsers visit, is left alone.
func TestNewAppOutbound(t *testing.T) {
	tests := []struct {
		name    string
		change  func(o *invited.OAuthConfig)
		field   string // blamed by default; "" when valid
		allowed bool   // valid with loopback allowed
	}{
		{"public", func(o *invited.OAuthConfig) {}, "", true},
		{"authorization on loopback", func(o *invited.OAuthConfig) { o.AuthorizationURL = "http://127.0.0.1:9000/authorize" }, "", true},
		{"token on loopback", func(o *invited.OAuthConfig) { o.TokenURL = "http://127.0.0.1:9000/token" }, "oauth.token_url", true},
		{"token on localhost", func(o *invited.OAuthConfig) { o.TokenURL = "http://localhost:9000/token" }, "oauth.token_url", true},
		{"token on ::1", func(o *invited.OAuthConfig) { o.TokenURL = "http://[::1]:9000/token" }, "oauth.token_url", true},
		{"token private", func(o *invited.OAuthConfig) { o.TokenURL = "https://10.0.0.7/token" }, "oauth.token_url", false},
		{"discovery on the metadata service", func(o *invited.OAuthConfig) {
			o.AuthorizationURL, o.TokenURL, o.DiscoveryURL = "", "", "https://169.254.169.254/latest"
		}, "oauth.discovery_url", false},
		{"userinfo unique local", func(o *invited.OAuthConfig) { o.UserinfoURL = "https://[fd00::1]/me" }, "oauth.userinfo_url", false},
		{"userinfo in decimal", func(o *invited.OAuthConfig) { o.UserinfoURL = "https://2130706433/me" }, "oauth.userinfo_url", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validApp()
			tt.change(&c.OAuth)
			_, err := invited.NewApp(c, invited.OutboundPolicy{}, time.Now())
			if tt.field == "" {
				if err != nil {
					t.Fatalf("by default: %v", err)
				}
			} else if e := wantFieldError(t, err, tt.field); len(e.Fields) != 1 {
				t.Errorf("by default: fields %v, want %s alone", e.Fields, tt.field)
			}
			_, err = invited.NewApp(c, allowLoopback, time.Now())
			if (err == nil) != tt.allowed {
				t.Errorf("with loopback allowed: %v, want valid %v", err, tt.allowed)
			}
		})
	}
}

// TestNewAppCopiesInput checks that the app shares no list or map with
// the request it came from.
func TestNewAppCopiesInput(t *testing.T) {
	c := validApp()
	app, err := invited.NewApp(c, invited.OutboundPolicy{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c.OAuth.Scopes[0] = "changed"
	c.OAuth.ExtraParams["access_type"] = "changed"
	if app.OAuth.Scopes[0] != "contacts.read" || app.OAuth.ExtraParams["access_type"] != "offline" {
		t.Fatalf("the app shares its input: %+v", app.OAuth)
	}
	// No extra parameters is none at all, as they read back from storage.
	c = validApp()
	c.OAuth.ExtraParams = map[string]string{}
	if app, _ := invited.NewApp(c, invited.OutboundPolicy{}, time.Now()); app.OAuth.ExtraParams != nil {
		t.Fatalf("empty extra_params kept: %#v", app.OAuth.ExtraParams)
	}
}

func TestNewAppInvite(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	org := &invited.Organization{ID: "org_a", Name: "Acme", Settings: invited.DefaultOrgSettings()}
	org.Settings.InvitationTTL = invited.Duration(48 * time.Hour)
	org.Settings.AllowedEmailDomains = []string{"acme.example"}
	systemApp := &invited.App{ID: "app_s"}
	inviter := invited.Inviter{UserID: "usr_a", Name: "Ann"}
	d := func(v time.Duration) *invited.Duration { x := invited.Duration(v); return &x }

	tests := []struct {
		name    string
		app     *invited.App
		c       invited.AppInviteCreate
		field   string    // the field blamed; "" when valid
		expires time.Time // when valid
		email   string    // when valid
	}{
		{"defaults", systemApp, invited.AppInviteCreate{OrgID: "org_a"}, "", now.Add(48 * time.Hour), ""},
		{"the organization's own app", &invited.App{ID: "app_o", OrgID: "org_a"}, invited.AppInviteCreate{OrgID: "org_a"}, "", now.Add(48 * time.Hour), ""},
		{"expires_in", systemApp, invited.AppInviteCreate{OrgID: "org_a", ExpiresIn: d(time.Hour)}, "", now.Add(time.Hour), ""},
		// Partners are not members: the email domain allowlist is not theirs.
		{"email", systemApp, invited.AppInviteCreate{OrgID: "org_a", Email: " Partner@Example.com "}, "", now.Add(48 * time.Hour), "partner@example.com"},
		{"note of 2000 runes", systemApp, invited.AppInviteCreate{OrgID: "org_a", Note: strings.Repeat("é", 2000)}, "", now.Add(48 * time.Hour), ""},

		{"another organization's app", &invited.App{ID: "app_b", OrgID: "org_b"}, invited.AppInviteCreate{OrgID: "org_a"}, "org_id", time.Time{}, ""},
		{"bad email", systemApp, invited.AppInviteCreate{OrgID: "org_a", Email: "Partner <p@example.com>"}, "email", time.Time{}, ""},
		{"note too long", systemApp, invited.AppInviteCreate{OrgID: "org_a", Note: strings.Repeat("é", 2001)}, "note", time.Time{}, ""},
		{"too short", systemApp, invited.AppInviteCreate{OrgID: "org_a", ExpiresIn: d(30 * time.Second)}, "expires_in", time.Time{}, ""},
		{"too long", systemApp, invited.AppInviteCreate{OrgID: "org_a", ExpiresIn: d(91 * 24 * time.Hour)}, "expires_in", time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ai, err := invited.NewAppInvite(tt.app, org, tt.c, inviter, now)
			if tt.field != "" {
				wantFieldError(t, err, tt.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := &invited.AppInvite{ID: ai.ID, AppID: tt.app.ID, OrgID: "org_a", Status: invited.AppInvitePending,
				Email: tt.email, Note: tt.c.Note, Inviter: inviter, CreatedAt: now, UpdatedAt: now, ExpiresAt: tt.expires}
			if !invited.ValidID(ai.ID, invited.PrefixAppInvite) || !reflect.DeepEqual(ai, want) {
				t.Fatalf("invite\n got %+v\nwant %+v", ai, want)
			}
		})
	}
}

// TestAppInviteTransition covers every (status, action) pair.
func TestAppInviteTransition(t *testing.T) {
	legal := map[invited.AppInviteStatus]map[invited.Action]invited.AppInviteStatus{
		invited.AppInvitePending: {invited.ActionActivate: invited.AppInviteActive, invited.ActionRevoke: invited.AppInviteRevoked,
			invited.ActionExpire: invited.AppInviteExpired},
		invited.AppInviteActive:  {invited.ActionArchive: invited.AppInviteArchived},
		invited.AppInviteRevoked: {invited.ActionArchive: invited.AppInviteArchived},
		invited.AppInviteExpired: {invited.ActionArchive: invited.AppInviteArchived},
	}
	actions := []invited.Action{invited.ActionActivate, invited.ActionRevoke, invited.ActionExpire, invited.ActionArchive,
		invited.ActionSend, invited.ActionRenew, invited.ActionAccept}
	for _, from := range invited.AppInviteStatuses {
		for _, action := range actions {
			t.Run(string(from)+"/"+string(action), func(t *testing.T) {
				to, err := invited.AppInviteLifecycle.Transition(from, action)
				if want, ok := legal[from][action]; ok {
					if err != nil || to != want {
						t.Fatalf("AppInviteTransition = %s, %v; want %s", to, err, want)
					}
					return
				}
				if invited.ErrorCode(err) != invited.EINVALIDSTATE || to != from {
					t.Fatalf("illegal move: %s, %v", to, err)
				}
			})
		}
	}
}

// TestAppInviteApply checks the stamps of each move, and that an overdue
// pending invite behaves as expired before the sweeper writes it down.
func TestAppInviteApply(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		expires time.Time
		action  invited.Action
		want    invited.AppInviteStatus // "" when refused
		stamp   func(*invited.AppInvite) *time.Time
	}{
		{"activate", now.Add(time.Minute), invited.ActionActivate, invited.AppInviteActive, func(ai *invited.AppInvite) *time.Time { return ai.ActivatedAt }},
		{"revoke", now.Add(time.Minute), invited.ActionRevoke, invited.AppInviteRevoked, func(ai *invited.AppInvite) *time.Time { return ai.RevokedAt }},
		{"archive pending", now.Add(time.Minute), invited.ActionArchive, "", nil},
		{"activate overdue", now, invited.ActionActivate, "", nil},
		{"revoke overdue", now, invited.ActionRevoke, "", nil},
		{"archive overdue", now, invited.ActionArchive, invited.AppInviteArchived, func(ai *invited.AppInvite) *time.Time { return ai.ArchivedAt }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created := now.Add(-time.Hour)
			ai := &invited.AppInvite{Status: invited.AppInvitePending, CreatedAt: created, UpdatedAt: created, ExpiresAt: tt.expires}
			err := ai.Apply(tt.action, now)
			if tt.want == "" {
				if invited.ErrorCode(err) != invited.EINVALIDSTATE || ai.Status != invited.AppInvitePending || !ai.UpdatedAt.Equal(created) {
					t.Fatalf("refused move: %v, %+v", err, ai)
				}
				return
			}
			if err != nil || ai.Status != tt.want || !ai.UpdatedAt.Equal(now) {
				t.Fatalf("Apply: %v, %+v", err, ai)
			}
			if at := tt.stamp(ai); at == nil || !at.Equal(now) {
				t.Fatalf("stamp %v, want %s", at, now)
			}
		})
	}
}

// TestAppInvitePreview checks that the public view holds the allowed
// metadata and nothing else: no email, note, ids of people or OAuth
// configuration.
func TestAppInvitePreview(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	app := &invited.App{ID: "app_a", Name: "CRM", Description: "Sync contacts.",
		OAuth: invited.OAuthConfig{ClientID: "client-123", TokenURL: "https://crm.example.com/token"}}
	org := &invited.Organization{ID: "org_a", Name: "acme-inc", Settings: invited.OrgSettings{DisplayName: "Acme"}}
	ai := &invited.AppInvite{ID: "ainv_a", AppID: app.ID, OrgID: org.ID, Status: invited.AppInvitePending,
		Email: "partner@example.com", Note: "internal note", ExpiresAt: now,
		Inviter: invited.Inviter{UserID: "usr_a", APIKeyID: "key_a", Name: "Ann"}}

	b, err := json.Marshal(ai.Preview(app, org, now))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"status":       "expired", // overdue reads as expired
		"expires_at":   now.Format(time.RFC3339),
		"app":          map[string]any{"name": "CRM", "description": "Sync contacts."},
		"organization": map[string]any{"id": "org_a", "name": "Acme"},
		"inviter":      map[string]any{"name": "Ann"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("preview\n got %v\nwant %v", got, want)
	}
}

// TestCanSeeApp checks who sees which app: the apps of organizations where
// the actor governs apps or connections, and the system-wide ones for
// whoever has such an organization.
func TestCanSeeApp(t *testing.T) {
	user := func(grants map[string]invited.PermissionSet) *invited.Actor {
		return &invited.Actor{User: &invited.User{ID: "usr_a"}, Grants: grants}
	}
	perms := invited.NewPermissionSet
	system := &invited.App{ID: "app_s"}
	own := &invited.App{ID: "app_a", OrgID: "org_a"}
	other := &invited.App{ID: "app_b", OrgID: "org_b"}
	tests := []struct {
		name  string
		actor *invited.Actor
		sees  []*invited.App
	}{
		{"admin", &invited.Actor{Admin: true}, []*invited.App{system, own, other}},
		{"apps:manage", user(map[string]invited.PermissionSet{"org_a": perms(invited.PermAppsManage)}), []*invited.App{system, own}},
		{"connections:manage", user(map[string]invited.PermissionSet{"org_a": perms(invited.PermConnectionsManage)}), []*invited.App{system, own}},
		{"organization key", &invited.Actor{APIKeyID: "key_a", KeyOrgID: "org_a", KeyPermissions: perms(invited.PermConnectionsManage)}, []*invited.App{system, own}},
		{"member without either", user(map[string]invited.PermissionSet{"org_a": perms(invited.PermMembersRead)}), nil},
		{"no actor", &invited.Actor{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, app := range []*invited.App{system, own, other} {
				if got, want := tt.actor.CanSeeApp(app), slices.Contains(tt.sees, app); got != want {
					t.Errorf("CanSeeApp(%s) = %v, want %v", app.ID, got, want)
				}
			}
		})
	}
}

// wantFieldError fails unless err is invalid_request blaming field.
func wantFieldError(t *testing.T, err error, field string) *invited.Error {
	t.Helper()
	var e *invited.Error
	if !asError(err, &e) || e.Code != invited.EINVALID || e.Fields[field] == "" {
		t.Fatalf("got %v, want invalid_request on %s", err, field)
	}
	return e
}
