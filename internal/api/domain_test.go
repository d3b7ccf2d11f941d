package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/dnsverify"
	"github.com/invitedhq/invited/internal/testutil/dnstest"
)

// newDNSEnv starts the API with its resolver asking a real DNS server,
// which serves no records until the test sets them.
func newDNSEnv(t *testing.T) (*env, *dnstest.Server) {
	t.Helper()
	dns := dnstest.Start(t, nil)
	return newEnv(t, func(d *Deps) { d.DNS = dnsverify.NewResolver(dns.Addr) }), dns
}

// createDomain claims a domain for orgID with cred.
func (e *env) createDomain(cred, orgID string, body map[string]any) client.DomainWithChallenge {
	e.t.Helper()
	var d client.DomainWithChallenge
	e.call(request{Method: "POST", Path: "/v1/orgs/" + orgID + "/domains", Cred: cred, Body: body}, http.StatusCreated, &d)
	return d
}

// verifiedDomain claims a domain for orgID and has the admin key vouch
// for it.
func (e *env) verifiedDomain(orgID string, body map[string]any) client.DomainWithChallenge {
	e.t.Helper()
	d := e.createDomain(e.admin, orgID, body)
	e.call(request{Method: "POST", Path: "/v1/domains/" + d.ID + "/verify", Cred: e.admin, Body: map[string]any{"method": "admin"}}, http.StatusOK, &d)
	return d
}

// TestDomainVerification verifies claims against a real DNS server: a
// missing record and a wrong one are explained, the right one verifies,
// a second organization is refused the same domain, and an admin key
// vouches without DNS.
func TestDomainVerification(t *testing.T) {
	e, dns := newDNSEnv(t)
	acme, rival := e.createOrg("Acme"), e.createOrg("Rival")
	d := e.createDomain(e.admin, acme.ID, map[string]any{"domain": "Acme.Test", "policy": "auto"})
	if d.Name != "acme.test" || d.Status != invited.DomainPending || d.VerifiedAt != nil || d.Challenge.Type != "TXT" ||
		d.Challenge.Name != "_invited-challenge.acme.test" || !strings.HasPrefix(d.Challenge.Value, "invited-domain-verification=") {
		t.Fatalf("created %+v", d)
	}
	verify := func(cred, id string, body any) response {
		t.Helper()
		return e.do(request{Method: "POST", Path: "/v1/domains/" + id + "/verify", Cred: cred, Body: body})
	}
	refused := func(r response, status int, code string, says ...string) {
		t.Helper()
		if r.Status != status || r.apiError(t).Code != code {
			t.Fatalf("%d %s, want %d %s", r.Status, r.Body, status, code)
		}
		for _, s := range says {
			if !strings.Contains(r.apiError(t).Message, s) {
				t.Errorf("the message %q does not say %q", r.apiError(t).Message, s)
			}
		}
	}

	t.Run("no record", func(t *testing.T) {
		refused(verify(e.admin, d.ID, nil), http.StatusConflict, invited.EDOMAINNOTVERIFIED, "create a TXT record named "+d.Challenge.Name, d.Challenge.Value)
	})
	t.Run("a wrong record", func(t *testing.T) {
		dns.SetTXT(map[string][]string{d.Challenge.Name: {dnsverify.RecordValue("stale")}})
		refused(verify(e.admin, d.ID, nil), http.StatusConflict, invited.EDOMAINNOTVERIFIED, "none of the 1 TXT records", d.Challenge.Value)
	})
	// The rival claims the domain too, and publishes its record beside.
	theirs := e.createDomain(e.admin, rival.ID, map[string]any{"domain": "acme.test"})
	dns.SetTXT(map[string][]string{d.Challenge.Name: {d.Challenge.Value, theirs.Challenge.Value}})
	t.Run("the right record", func(t *testing.T) {
		var got client.DomainWithChallenge
		e.call(request{Method: "POST", Path: "/v1/domains/" + d.ID + "/verify", Cred: e.admin, Body: map[string]any{}}, http.StatusOK, &got)
		if got.Status != invited.DomainVerified || got.VerifiedAt == nil || got.VerificationMethod != invited.VerifyDNS {
			t.Fatalf("verified %+v", got)
		}
		refused(verify(e.admin, d.ID, nil), http.StatusConflict, invited.EINVALIDSTATE)
	})
	t.Run("a second organization", func(t *testing.T) {
		refused(verify(e.admin, theirs.ID, nil), http.StatusConflict, invited.ECONFLICT, "verified by another organization")
		refused(verify(e.admin, theirs.ID, map[string]any{"method": "admin"}), http.StatusConflict, invited.ECONFLICT)
	})
	t.Run("an admin vouches", func(t *testing.T) {
		other := e.createDomain(e.admin, rival.ID, map[string]any{"domain": "rival.test"})
		manager := e.createKey(rival.ID, invited.PermOrgManage)
		refused(verify(manager, other.ID, map[string]any{"method": "admin"}), http.StatusForbidden, invited.EFORBIDDEN, "admin key")
		var got client.DomainWithChallenge
		e.call(request{Method: "POST", Path: "/v1/domains/" + other.ID + "/verify", Cred: e.admin, Body: map[string]any{"method": "admin"}}, http.StatusOK, &got)
		if got.VerificationMethod != invited.VerifyAdmin || got.Status != invited.DomainVerified {
			t.Fatalf("%+v", got)
		}
		var events struct {
			Events []*invited.AuditEvent `json:"events"`
		}
		e.call(request{Method: "GET", Path: "/v1/audit-events?resource=domain&org_id=" + rival.ID, Cred: e.admin}, http.StatusOK, &events)
		if !slices.ContainsFunc(events.Events, func(ev *invited.AuditEvent) bool {
			return ev.Action == invited.EventDomainVerified && ev.ResourceID == other.ID && ev.ActorAPIKeyID != ""
		}) {
			t.Fatalf("no domain.verified event by the admin key: %+v", events.Events)
		}
	})
	t.Run("deleted, the domain is free", func(t *testing.T) {
		e.call(request{Method: "DELETE", Path: "/v1/domains/" + d.ID, Cred: e.admin}, http.StatusNoContent, nil)
		e.call(request{Method: "GET", Path: "/v1/domains/" + d.ID, Cred: e.admin}, http.StatusNotFound, nil)
		e.call(request{Method: "POST", Path: "/v1/domains/" + theirs.ID + "/verify", Cred: e.admin}, http.StatusOK, nil)
	})
}

// TestDomainDNSUnavailable: a lookup that fails is the DNS's fault, not
// the caller's: 503 with Retry-After, and the domain stays pending.
func TestDomainDNSUnavailable(t *testing.T) {
	// Nothing listens on port 1 of the loopback address: refused at once.
	e := newEnv(t, func(d *Deps) { d.DNS = dnsverify.NewResolver("127.0.0.1:1") })
	d := e.createDomain(e.admin, e.createOrg("Acme").ID, map[string]any{"domain": "acme.test"})
	r := e.do(request{Method: "POST", Path: "/v1/domains/" + d.ID + "/verify", Cred: e.admin})
	if r.Status != http.StatusServiceUnavailable || r.apiError(t).Code != invited.EUNAVAILABLE || r.Header.Get("Retry-After") != "30" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	e.call(request{Method: "GET", Path: "/v1/domains/" + d.ID, Cred: e.admin}, http.StatusOK, &d)
	if d.Status != invited.DomainPending {
		t.Fatalf("after a failed lookup: %+v", d)
	}
}

// TestDomainJoin: people with a verified address at a verified domain
// see its organization and join by its policy, with their user tokens.
func TestDomainJoin(t *testing.T) {
	e := newEnv(t)
	acme, beta, gamma := e.createOrg("Acme"), e.createOrg("Beta"), e.createOrg("Gamma")
	e.verifiedDomain(acme.ID, map[string]any{"domain": "acme.test", "policy": "auto"})
	e.verifiedDomain(beta.ID, map[string]any{"domain": "beta.test", "policy": "request"})
	e.verifiedDomain(gamma.ID, map[string]any{"domain": "gamma.test", "policy": "suggest"})
	e.createDomain(e.admin, e.createOrg("Pending").ID, map[string]any{"domain": "pending.test", "policy": "auto"})

	joinable := func(cred string) []string {
		t.Helper()
		var list client.JoinableOrgList
		e.call(request{Method: "GET", Path: "/v1/me/joinable-orgs", Cred: cred}, http.StatusOK, &list)
		var out []string
		for _, o := range list.JoinableOrgs {
			out = append(out, o.Organization.Name+" "+string(o.Policy))
		}
		return out
	}
	join := func(cred, orgID string, body any) response {
		t.Helper()
		return e.do(request{Method: "POST", Path: "/v1/orgs/" + orgID + "/join", Cred: cred, Body: body})
	}
	joined := func(cred, orgID string, body any) *invited.DomainJoin {
		t.Helper()
		var j invited.DomainJoin
		e.call(request{Method: "POST", Path: "/v1/orgs/" + orgID + "/join", Cred: cred, Body: body}, http.StatusOK, &j)
		return &j
	}

	ada := e.idp.Token(t, "sub-ada", "ada@acme.test")
	t.Run("auto", func(t *testing.T) {
		if got := joinable(ada); !slices.Equal(got, []string{"Acme auto"}) {
			t.Fatalf("joinable %v", got)
		}
		first := joined(ada, acme.ID, nil)
		if !first.Joined || first.Membership == nil || !slices.Equal(first.Membership.Roles, []string{invited.RoleMember, invited.RoleOwner}) ||
			first.User.Email != "ada@acme.test" {
			t.Fatalf("first join %+v", first)
		}
		if got := joinable(ada); got != nil {
			t.Fatalf("a member is offered %v", got)
		}
		if second := joined(e.idp.Token(t, "sub-bob", "bob@acme.test"), acme.ID, nil); !slices.Equal(second.Membership.Roles, []string{invited.RoleMember}) {
			t.Fatalf("second join %+v", second)
		}
		if r := join(ada, acme.ID, nil); r.Status != http.StatusConflict || r.apiError(t).Code != invited.EALREADYMEMBER {
			t.Fatalf("again: %d %s", r.Status, r.Body)
		}
	})
	t.Run("request", func(t *testing.T) {
		cy := e.idp.Token(t, "sub-cy", "cy@beta.test")
		asked := joined(cy, beta.ID, map[string]any{"message": "Team Beta, please"})
		if asked.Joined || asked.Membership != nil || asked.Request == nil || asked.Request.Status != invited.JoinRequestPending ||
			asked.Request.Via != invited.JoinViaDomain || asked.Request.Domain != "beta.test" || asked.Request.Message != "Team Beta, please" {
			t.Fatalf("request %+v", asked)
		}
	})
	for _, tt := range []struct {
		name, cred, orgID string
		status            int
		code, says        string
	}{
		{"suggest", e.idp.Token(t, "sub-dan", "dan@gamma.test"), gamma.ID, http.StatusForbidden, invited.EFORBIDDEN, "ask its admins for an invitation, or send a join request"},
		{"another domain's organization", e.idp.Token(t, "sub-fay", "fay@gamma.test"), acme.ID, http.StatusNotFound, invited.ENOTFOUND, ""},
		{"an unverified address", e.idp.UnverifiedToken(t, "sub-eve", "eve@acme.test"), acme.ID, http.StatusForbidden, invited.EFORBIDDEN, "verified email address"},
		{"an API key", e.admin, acme.ID, http.StatusForbidden, invited.EFORBIDDEN, "user access token"},
		{"no credentials", "", acme.ID, http.StatusUnauthorized, invited.EUNAUTHENTICATED, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := join(tt.cred, tt.orgID, nil)
			if r.Status != tt.status || r.apiError(t).Code != tt.code || !strings.Contains(r.apiError(t).Message, tt.says) {
				t.Fatalf("%d %s, want %d %s saying %q", r.Status, r.Body, tt.status, tt.code, tt.says)
			}
		})
	}
	t.Run("joinable-orgs omits", func(t *testing.T) {
		for name, cred := range map[string]string{
			"an unverified address": e.idp.UnverifiedToken(t, "sub-gus", "gus@acme.test"),
			"a pending domain":      e.idp.Token(t, "sub-hal", "hal@pending.test"),
			"an unclaimed domain":   e.idp.Token(t, "sub-ivy", "ivy@elsewhere.test"),
		} {
			if got := joinable(cred); got != nil {
				t.Errorf("%s: joinable %v", name, got)
			}
		}
		if got := joinable(e.idp.Token(t, "sub-jo", "jo@gamma.test")); !slices.Equal(got, []string{"Gamma suggest"}) {
			t.Errorf("suggest: joinable %v", got)
		}
		r := e.do(request{Method: "GET", Path: "/v1/me/joinable-orgs", Cred: e.admin})
		if r.Status != http.StatusForbidden {
			t.Errorf("an API key: %d %s", r.Status, r.Body)
		}
	})
}

// TestDomainRefusals is bad input, another tenant's domains and
// escalation: clear errors, the right statuses, nothing changed.
func TestDomainRefusals(t *testing.T) {
	e := newEnv(t)
	acme, other := e.createOrg("Acme"), e.createOrg("Other")
	d := e.createDomain(e.admin, acme.ID, map[string]any{"domain": "acme.test"})
	otherKey := e.createKey(other.ID, invited.PermOrgManage)
	manager := e.createKey(acme.ID, invited.PermOrgManage)
	reader := e.createKey(acme.ID, invited.PermMembersRead)
	create, one := "/v1/orgs/"+acme.ID+"/domains", "/v1/domains/"+d.ID

	tests := []struct {
		name         string
		method, path string
		cred         string
		body         any
		status       int
		code         string
		field        string
		invalid      bool // the request breaks the spec
	}{
		{"free mail", "POST", create, e.admin, map[string]any{"domain": "gmail.com"}, 400, invited.EINVALID, "domain", false},
		{"disposable", "POST", create, e.admin, map[string]any{"domain": "mailinator.com"}, 400, invited.EINVALID, "domain", false},
		{"not a domain", "POST", create, e.admin, map[string]any{"domain": "acme test"}, 400, invited.EINVALID, "domain", false},
		{"no domain", "POST", create, e.admin, map[string]any{}, 400, invited.EINVALID, "domain", false},
		{"an unknown policy", "POST", create, e.admin, map[string]any{"domain": "b.test", "policy": "open"}, 400, invited.EINVALID, "policy", true},
		{"owner", "POST", create, e.admin, map[string]any{"domain": "b.test", "roles": []string{"owner"}, "allow_privileged": true}, 400, invited.EINVALID, "roles", false},
		{"admin without consent", "POST", create, e.admin, map[string]any{"domain": "b.test", "roles": []string{"admin"}}, 400, invited.EINVALID, "roles", false},
		{"claimed already", "POST", create, e.admin, map[string]any{"domain": "acme.test"}, 409, invited.ECONFLICT, "", false},
		{"more than the manager holds", "POST", create, manager, map[string]any{"domain": "b.test", "roles": []string{"admin"}, "allow_privileged": true}, 403, invited.EFORBIDDEN, "", false},
		{"a reader claims", "POST", create, reader, map[string]any{"domain": "b.test"}, 403, invited.EFORBIDDEN, "", false},
		{"a reader lists", "GET", create, reader, nil, 403, invited.EFORBIDDEN, "", false},
		{"a bad status filter", "GET", create + "?status=open", e.admin, nil, 400, invited.EINVALID, "status", true},
		{"a bad method", "POST", one + "/verify", e.admin, map[string]any{"method": "magic"}, 400, invited.EINVALID, "method", true},
		{"a bad update", "PATCH", one, e.admin, map[string]any{"roles": []string{"admin"}}, 400, invited.EINVALID, "roles", false},
		{"another tenant claims", "POST", create, otherKey, map[string]any{"domain": "b.test"}, 404, invited.ENOTFOUND, "", false},
		{"another tenant lists", "GET", create, otherKey, nil, 404, invited.ENOTFOUND, "", false},
		{"another tenant reads", "GET", one, otherKey, nil, 404, invited.ENOTFOUND, "", false},
		{"another tenant updates", "PATCH", one, otherKey, map[string]any{"policy": "auto"}, 404, invited.ENOTFOUND, "", false},
		{"another tenant verifies", "POST", one + "/verify", otherKey, map[string]any{"method": "admin"}, 404, invited.ENOTFOUND, "", false},
		{"another tenant deletes", "DELETE", one, otherKey, nil, 404, invited.ENOTFOUND, "", false},
		{"a malformed id", "GET", "/v1/domains/jl_nope", e.admin, nil, 404, invited.ENOTFOUND, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(request{Method: tt.method, Path: tt.path, Cred: tt.cred, Body: tt.body, Invalid: tt.invalid})
			if r.Status != tt.status {
				t.Fatalf("%d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if d := r.apiError(t); d.Code != tt.code || (tt.field != "" && d.Fields[tt.field] == "") {
				t.Fatalf("error %+v, want %s on %q", d, tt.code, tt.field)
			}
		})
	}
	var list client.DomainList
	e.call(request{Method: "GET", Path: create, Cred: manager}, http.StatusOK, &list)
	if len(list.Domains) != 1 || list.Domains[0].Policy != invited.DomainOff || list.Domains[0].Status != invited.DomainPending {
		t.Fatalf("the refusals changed something: %+v", list.Domains)
	}
	var updated client.DomainWithChallenge
	e.call(request{Method: "PATCH", Path: one, Cred: manager, Body: map[string]any{"policy": "request"}}, http.StatusOK, &updated)
	if updated.Policy != invited.DomainRequest || updated.Challenge.Value != d.Challenge.Value {
		t.Fatalf("updated %+v", updated)
	}
}
