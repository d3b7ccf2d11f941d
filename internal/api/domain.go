package api

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/dnsverify"
	"github.com/invitedhq/invited/internal/httpkit"
)

// Verified domains (issue 15): claimed and managed within an
// organization, verified through DNS, joined through by people with a
// verified address at them. The DNS lookup is made here, outside any
// transaction, and the store records its outcome.

// DomainChecker looks up the TXT challenge of a domain claim: a
// *dnsverify.Resolver, whose errors it returns.
type DomainChecker interface {
	Verify(ctx context.Context, domain, token string) error
}

// dnsRetryAfter is how long a caller whose verification met a failed DNS
// lookup is asked to wait.
const dnsRetryAfter = 30

func withChallenge(d *invited.Domain) client.DomainWithChallenge {
	return client.DomainWithChallenge{Domain: *d, Challenge: client.DomainChallenge{
		Type: "TXT", Name: dnsverify.RecordName(d.Name), Value: dnsverify.RecordValue(d.Token),
	}}
}

// domainResult adapts a service call that answers one domain.
func domainResult(d *invited.Domain, err error) (client.DomainWithChallenge, error) {
	if err != nil {
		return client.DomainWithChallenge{}, err
	}
	return withChallenge(d), nil
}

func (s *server) createDomain(r *http.Request, c invited.DomainCreate) (client.DomainWithChallenge, error) {
	orgID, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return client.DomainWithChallenge{}, err
	}
	return domainResult(s.deps.Domains.CreateDomain(r.Context(), orgID, c))
}

func (s *server) listDomains(r *http.Request) (client.DomainList, error) {
	orgID, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return client.DomainList{}, err
	}
	q, f := r.URL.Query(), invited.FieldErrors{}
	filter := invited.DomainFilter{OrgID: orgID, Status: queryStatus(q, f, invited.DomainStatuses), Page: pageOf(q, f)}
	if err := f.Err(); err != nil {
		return client.DomainList{}, err
	}
	domains, next, err := s.deps.Domains.FindDomains(r.Context(), filter)
	list := client.DomainList{Domains: make([]client.DomainWithChallenge, len(domains)), NextPageToken: next}
	for i, d := range domains {
		list.Domains[i] = withChallenge(d)
	}
	return list, err
}

func (s *server) getDomain(r *http.Request) (client.DomainWithChallenge, error) {
	id, err := pathID(r, "id", invited.PrefixDomain)
	if err != nil {
		return client.DomainWithChallenge{}, err
	}
	return domainResult(s.deps.Domains.FindDomainByID(r.Context(), id))
}

func (s *server) updateDomain(r *http.Request, u invited.DomainUpdate) (client.DomainWithChallenge, error) {
	id, err := pathID(r, "id", invited.PrefixDomain)
	if err != nil {
		return client.DomainWithChallenge{}, err
	}
	return domainResult(s.deps.Domains.UpdateDomain(r.Context(), id, u))
}

func (s *server) deleteDomain(r *http.Request) (noContent, error) {
	id, err := pathID(r, "id", invited.PrefixDomain)
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.deps.Domains.DeleteDomain(r.Context(), id)
}

// verifyDomain looks the challenge record up (method dns, the default)
// and has the store record the verification; method admin skips the
// lookup, and the store requires an admin key for it. A domain verified
// already is not looked up again: the store answers invalid_state.
func (s *server) verifyDomain(r *http.Request, v invited.DomainVerify) (client.DomainWithChallenge, error) {
	id, err := pathID(r, "id", invited.PrefixDomain)
	if err != nil {
		return client.DomainWithChallenge{}, err
	}
	method := cmp.Or(v.Method, invited.VerifyDNS)
	if method == invited.VerifyDNS {
		d, err := s.deps.Domains.FindDomainByID(r.Context(), id)
		if err != nil {
			return client.DomainWithChallenge{}, err
		}
		if d.Status == invited.DomainPending {
			if err := s.checkChallenge(r, d); err != nil {
				return client.DomainWithChallenge{}, err
			}
		}
	}
	return domainResult(s.deps.Domains.MarkDomainVerified(r.Context(), id, method))
}

// checkChallenge looks up d's TXT record. A record that is missing or
// does not match is the caller's to fix, and the answer says how; a lookup
// that failed is nobody's doing of theirs: unavailable, to be retried.
func (s *server) checkChallenge(r *http.Request, d *invited.Domain) error {
	if s.deps.DNS == nil {
		return invited.Errorf(invited.EUNAVAILABLE, "DNS verification is not configured on this server")
	}
	err := s.deps.DNS.Verify(r.Context(), d.Name, d.Token)
	e, ok := errors.AsType[*dnsverify.Error](err)
	switch {
	case err == nil:
		return nil
	case !ok:
		return err
	case errors.Is(e.Kind, dnsverify.ErrNotFound):
		return invited.Errorf(invited.EDOMAINNOTVERIFIED, "there is no TXT record at %s yet: create a TXT record named %s with the value %s, "+
			"then verify again (a new record can take a while to be seen)", e.Record, e.Record, e.Want)
	case errors.Is(e.Kind, dnsverify.ErrMismatch):
		return invited.Errorf(invited.EDOMAINNOTVERIFIED, "none of the %d TXT records at %s is %s: add a TXT record with that value, then verify again",
			e.Found, e.Record, e.Want)
	}
	s.logger.LogAttrs(r.Context(), slog.LevelWarn, "DNS lookup of a domain challenge failed",
		slog.String("request_id", httpkit.RequestID(r.Context())), slog.String("record", e.Record), slog.String("error", e.Err.Error()))
	return &invited.Error{Code: invited.EUNAVAILABLE, RetryAfterSeconds: dnsRetryAfter,
		Message: "the DNS lookup of " + e.Record + " failed, which is no fault of the request: try again in a minute"}
}

func (s *server) listJoinableOrgs(r *http.Request) (client.JoinableOrgList, error) {
	orgs, err := s.deps.Domains.JoinableOrgs(r.Context())
	return client.JoinableOrgList{JoinableOrgs: nonNil(orgs)}, err
}

func (s *server) joinOrganization(r *http.Request, c invited.JoinRequestCreate) (*invited.DomainJoin, error) {
	orgID, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return nil, err
	}
	return s.deps.Domains.JoinByDomain(r.Context(), orgID, c)
}
