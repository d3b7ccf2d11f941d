package api

import (
	"net/http"
	"testing"
)

// BenchmarkPublicLookup is the public token lookup through the whole
// handler stack (no network), on SQLite: the path issue 14 holds to half
// of a bare hello world.
func BenchmarkPublicLookup(b *testing.B) {
	e := newEnv(b, func(d *Deps) { d.PublicLimit = nil })
	org := e.createOrg("Acme")
	token := tokenOf(b, e.invite(e.admin, org.ID, map[string]any{"email": "ada@example.com", "roles": []string{"member"}}).URL)
	path := "/v1/invitation-tokens/" + token
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := httptestDo(e.h, "GET", path, nil); rec.Code != http.StatusOK {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
}

// BenchmarkAuthenticatedRead reads an organization with an API key
// through the whole handler stack, on SQLite: the clock stands still, so
// every lookup of the key but the first is a hit of the store's cache.
func BenchmarkAuthenticatedRead(b *testing.B) {
	e := newEnv(b)
	org := e.createOrg("Acme")
	header := map[string]string{"Authorization": "Bearer " + e.admin}
	path := "/v1/orgs/" + org.ID
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := httptestDo(e.h, "GET", path, header); rec.Code != http.StatusOK {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
}
