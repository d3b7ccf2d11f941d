package api

import (
	"context"
	"net/http"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/ratelimit"
)

// Join links (issue 15): created and managed within an organization, used
// by whoever holds one through /v1/join-link-tokens/{token}.

func (s *server) joinLinkWithURL(l *invited.JoinLink, token string) client.JoinLinkWithURL {
	return client.JoinLinkWithURL{JoinLink: *l, Token: token, URL: invited.JoinLinkURL(s.deps.PublicURL, token)}
}

func (s *server) createJoinLink(r *http.Request, c invited.JoinLinkCreate) (client.JoinLinkWithURL, error) {
	orgID, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return client.JoinLinkWithURL{}, err
	}
	if err := s.throttleCreates(r, orgID, invited.PermInvitationsCreate, 1); err != nil {
		return client.JoinLinkWithURL{}, err
	}
	l, token, err := s.deps.JoinLinks.CreateJoinLink(r.Context(), orgID, c)
	if err != nil {
		return client.JoinLinkWithURL{}, err
	}
	return s.joinLinkWithURL(l, token), nil
}

func (s *server) listJoinLinks(r *http.Request) (client.JoinLinkList, error) {
	orgID, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return client.JoinLinkList{}, err
	}
	q, f := r.URL.Query(), invited.FieldErrors{}
	filter := invited.JoinLinkFilter{OrgID: orgID, Status: queryStatus(q, f, invited.JoinLinkStatuses), Page: pageOf(q, f)}
	if err := f.Err(); err != nil {
		return client.JoinLinkList{}, err
	}
	links, next, err := s.deps.JoinLinks.FindJoinLinks(r.Context(), filter)
	return client.JoinLinkList{JoinLinks: nonNil(links), NextPageToken: next}, err
}

// joinLinkAction adapts a service method on one join link, named by the
// path, to an endpoint. Like invitationAction, it looks the service up per
// call so that the route table can be built without services.
func (s *server) joinLinkAction(fn func(invited.JoinLinkService, context.Context, string) (*invited.JoinLink, error)) func(*http.Request) (*invited.JoinLink, error) {
	return onPath(invited.PrefixJoinLink, func() invited.JoinLinkService { return s.deps.JoinLinks }, fn)
}

func (s *server) rotateJoinLink(r *http.Request) (client.JoinLinkWithURL, error) {
	id, err := pathID(r, "id", invited.PrefixJoinLink)
	if err != nil {
		return client.JoinLinkWithURL{}, err
	}
	l, token, err := s.deps.JoinLinks.RotateJoinLink(r.Context(), id)
	if err != nil {
		return client.JoinLinkWithURL{}, err
	}
	return s.joinLinkWithURL(l, token), nil
}

func (s *server) previewJoinLink(r *http.Request) (*invited.JoinLinkPreview, error) {
	token, err := s.publicToken(r)
	if err != nil {
		return nil, err
	}
	return s.deps.JoinLinks.PreviewJoinLink(r.Context(), token)
}

// acceptJoinLink spends the client address's allowance of public link
// requests and the link's own allowance of uses: a link posted somewhere
// public must not be a way to create users as fast as the database allows.
func (s *server) acceptJoinLink(r *http.Request, body client.AcceptRequest) (*invited.JoinLinkAcceptance, error) {
	token, err := s.publicToken(r)
	if err != nil {
		return nil, err
	}
	a, err := acceptorOf(r, body)
	if err != nil {
		return nil, err
	}
	if err := ratelimit.Take(r.Context(), s.deps.JoinLimit, string(invited.HashSecret(token)), 1, "this join link is being used too fast; try again shortly"); err != nil {
		return nil, err
	}
	return s.deps.JoinLinks.AcceptJoinLink(r.Context(), token, a)
}
