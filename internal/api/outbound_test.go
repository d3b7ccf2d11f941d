package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/testutil"
)

// TestOutboundRegistration registers webhook endpoints and apps whose
// endpoints name the service's own network by a literal address: refused
// with a field error naming the field by default, accepted where the
// operator's allow-list lets the address through (here loopback), and
// refused still where it does not.
func TestOutboundRegistration(t *testing.T) {
	tests := []struct {
		name, field, url string
		// says is what the field error says.
		says string
		// loopback: the address is loopback, which the allow-list lets
		// through.
		loopback bool
	}{
		{"webhook on 127.0.0.1", "url", "http://127.0.0.1:9/hook", "loopback", true},
		{"webhook on ::1", "url", "http://[::1]:9/hook", "loopback", true},
		{"webhook on localhost", "url", "http://localhost:9/hook", "loopback", true},
		{"webhook on IPv4-mapped loopback", "url", "http://[::ffff:127.0.0.1]:9/hook", "loopback", true},
		{"webhook on the metadata service", "url", "http://169.254.169.254/latest/meta-data/", "link-local", false},
		{"webhook on a private address", "url", "https://10.1.2.3/hook", "private", false},
		{"webhook on unspecified", "url", "http://0.0.0.0:9/hook", "unspecified", false},
		{"webhook on a decimal address", "url", "http://2130706433:9/hook", "four decimal numbers", false},
		{"token endpoint on 127.0.0.1", "oauth.token_url", "http://127.0.0.1:9/token", "loopback", true},
		{"discovery on the metadata service", "oauth.discovery_url", "https://169.254.169.254/.well-known/openid-configuration", "link-local", false},
		{"userinfo on unique local", "oauth.userinfo_url", "https://[fd00::1]/me", "unique local", false},
	}
	// body is the request registering url as field.
	body := func(field, url string) (string, any) {
		if field == "url" {
			return "/v1/webhooks", map[string]any{"url": url}
		}
		oauth := map[string]any{"authorization_url": "https://p.test/a", "token_url": "https://p.test/t", "client_id": "c"}
		if field == "oauth.discovery_url" {
			delete(oauth, "authorization_url")
			delete(oauth, "token_url")
		}
		oauth[strings.TrimPrefix(field, "oauth.")] = url
		return "/v1/apps", map[string]any{"name": "CRM", "oauth": oauth}
	}

	for _, env := range []struct {
		name    string
		e       *env
		allowed bool // loopback allowed
	}{
		{"default", newEnv(t), false},
		{"loopback allowed", newEnvWith(t, sqliteURL(t), testutil.AllowLoopback), true},
	} {
		t.Run(env.name, func(t *testing.T) {
			e := env.e
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					path, b := body(tt.field, tt.url)
					r := e.do(request{Method: "POST", Path: path, Cred: e.admin, Body: b})
					if env.allowed && tt.loopback {
						if r.Status != http.StatusCreated {
							t.Errorf("%d %s, want 201", r.Status, r.Body)
						}
						return
					}
					d := r.apiError(t)
					if r.Status != http.StatusBadRequest || d.Code != invited.EINVALID || !strings.Contains(d.Fields[tt.field], tt.says) {
						t.Errorf("%d %s, want 400 with %s saying %q", r.Status, r.Body, tt.field, tt.says)
					}
				})
			}
		})
	}
}
