package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// batchRequest decodes a client.BatchRequest item by item, so that a
// malformed item fails alone instead of sinking the batch; the spec
// describes it as the client.BatchRequest it reads.
type batchRequest struct {
	Invitations []batchInvitation `json:"invitations"`
}

func (batchRequest) describedAs() any { return client.BatchRequest{} }

// batchInvitation is one item of a batch. It decodes on its own and keeps
// its error.
type batchInvitation struct {
	invited.InvitationCreate
	err error
}

func (b *batchInvitation) UnmarshalJSON(data []byte) error {
	b.err = decodeJSON(data, &b.InvitationCreate)
	return nil
}

// link returns the secret link of token, or "" when no token was issued.
func (s *server) link(token string) string { return invited.InvitationLink(s.deps.PublicURL, token) }

func (s *server) createInvitation(r *http.Request, c invited.InvitationCreate) (client.InvitationWithURL, error) {
	orgID, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return client.InvitationWithURL{}, err
	}
	if err := s.throttleCreates(r, orgID, invited.PermInvitationsCreate, 1); err != nil {
		return client.InvitationWithURL{}, err
	}
	inv, token, err := s.deps.Invitations.CreateInvitation(r.Context(), orgID, c)
	if err != nil {
		return client.InvitationWithURL{}, err
	}
	return client.InvitationWithURL{Invitation: *inv, URL: s.link(token)}, nil
}

func (s *server) createInvitations(r *http.Request, b batchRequest) (client.BatchResponse, error) {
	orgID, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return client.BatchResponse{}, err
	}
	if n := len(b.Invitations); n == 0 || n > invited.MaxBatchSize {
		return client.BatchResponse{}, errField("invitations", fmt.Sprintf("must hold 1 to %d invitations", invited.MaxBatchSize))
	}
	results := make([]client.BatchResult, len(b.Invitations))
	var creates []invited.InvitationCreate
	var at []int // at[j] is the index in the request of creates[j]
	for i, item := range b.Invitations {
		results[i].Index = i
		if item.err != nil {
			results[i].Error = s.itemError(r, item.err)
			continue
		}
		creates = append(creates, item.InvitationCreate)
		at = append(at, i)
	}
	if len(creates) == 0 {
		return client.BatchResponse{Results: results}, nil
	}
	if err := s.throttleCreates(r, orgID, invited.PermInvitationsCreate, len(creates)); err != nil {
		return client.BatchResponse{}, err
	}
	created, err := s.deps.Invitations.CreateInvitations(r.Context(), orgID, creates)
	if err != nil {
		return client.BatchResponse{}, err
	}
	if len(created) != len(creates) {
		return client.BatchResponse{}, fmt.Errorf("batch create returned %d results for %d invitations", len(created), len(creates))
	}
	for j, c := range created {
		res := &results[at[j]]
		if c.Err != nil {
			res.Error = s.itemError(r, c.Err)
			continue
		}
		res.Invitation, res.URL = c.Invitation, s.link(c.Token)
	}
	return client.BatchResponse{Results: results}, nil
}

// itemError is the error of one batch item, shown as an error answer would be.
func (s *server) itemError(r *http.Request, err error) *client.ErrorDetail {
	_, d := s.errorDetail(r, err)
	return &d
}

func (s *server) listInvitations(r *http.Request) (client.InvitationList, error) {
	filter, err := invitationFilterOf(r.URL.Query())
	if err != nil {
		return client.InvitationList{}, err
	}
	invs, next, err := s.deps.Invitations.FindInvitations(r.Context(), filter)
	return client.InvitationList{Invitations: nonNil(invs), NextPageToken: next}, err
}

// invitationAction adapts a service method on one invitation, named by the
// path, to an endpoint. The service is looked up per call, not when the
// route table is built, so that the table can be built without services.
func (s *server) invitationAction(fn func(invited.InvitationService, context.Context, string) (*invited.Invitation, error)) func(*http.Request) (*invited.Invitation, error) {
	return onPath(invited.PrefixInvitation, func() invited.InvitationService { return s.deps.Invitations }, fn)
}

// linkAction is invitationAction for the methods that issue a new link.
func (s *server) linkAction(fn func(invited.InvitationService, context.Context, string) (*invited.Invitation, string, error)) func(*http.Request) (client.InvitationWithURL, error) {
	return func(r *http.Request) (client.InvitationWithURL, error) {
		id, err := pathID(r, "id", invited.PrefixInvitation)
		if err != nil {
			return client.InvitationWithURL{}, err
		}
		inv, token, err := fn(s.deps.Invitations, r.Context(), id)
		if err != nil {
			return client.InvitationWithURL{}, err
		}
		return client.InvitationWithURL{Invitation: *inv, URL: s.link(token)}, nil
	}
}

func (s *server) renewInvitation(r *http.Request, renewal invited.Renewal) (*invited.Invitation, error) {
	id, err := pathID(r, "id", invited.PrefixInvitation)
	if err != nil {
		return nil, err
	}
	return s.deps.Invitations.RenewInvitation(r.Context(), id, renewal)
}

// maxTokenLength bounds a path token: real ones are far shorter, and
// anything longer is not worth hashing to find out.
const maxTokenLength = 256

// publicToken returns the invitation token of the path, once the client's
// address is within its allowance of token requests: a malformed token
// spends it too, as guessing would.
func (s *server) publicToken(r *http.Request) (string, error) {
	if err := s.throttlePublic(r); err != nil {
		return "", err
	}
	token := r.PathValue("token")
	if token == "" || len(token) > maxTokenLength {
		return "", errNotFound
	}
	return token, nil
}

func (s *server) previewInvitation(r *http.Request) (*invited.InvitationPreview, error) {
	token, err := s.publicToken(r)
	if err != nil {
		return nil, err
	}
	return s.deps.Invitations.PreviewInvitation(r.Context(), token)
}

// declineInvitation answers the public view of the declined invitation:
// the caller is anyone holding the link, who may not see the invitation's
// email, phone or metadata.
func (s *server) declineInvitation(r *http.Request) (*invited.InvitationPreview, error) {
	token, err := s.publicToken(r)
	if err != nil {
		return nil, err
	}
	if _, err := s.deps.Invitations.DeclineInvitation(r.Context(), token); err != nil {
		return nil, err
	}
	return s.deps.Invitations.PreviewInvitation(r.Context(), token)
}

func (s *server) acceptInvitation(r *http.Request, body client.AcceptRequest) (*invited.Acceptance, error) {
	token, err := s.publicToken(r)
	if err != nil {
		return nil, err
	}
	a, err := acceptorOf(r, body)
	if err != nil {
		return nil, err
	}
	return s.deps.Invitations.AcceptInvitation(r.Context(), token, a)
}

// acceptorOf reads who an accept (of an invitation, of a join link) is
// for. A user accepts as themselves: naming someone else is refused rather
// than ignored. The person a key names is checked by the service.
func acceptorOf(r *http.Request, body client.AcceptRequest) (invited.Acceptor, error) {
	if invited.ActorFromContext(r.Context()).IsUser() && body.User != nil {
		return invited.Acceptor{}, errField("user", "only an API key that is not acting for a user names the accepting user")
	}
	var a invited.Acceptor
	if body.User != nil {
		a = *body.User
		a.EmailVerified = true // the host application vouches for the person it names
	}
	return a, nil
}
