package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/invitedhq/invited"
)

// InvitationWithURL is an invitation with its secret link. Only the answers
// that issue a link (create, send, resend) carry it; it is shown once.
type InvitationWithURL struct {
	invited.Invitation
	URL string `json:"url,omitempty" doc:"the secret invitation link, {public URL}/i/{token}; absent for drafts and in replays"`
}

func (i InvitationWithURL) withoutSecrets() any {
	i.URL = ""
	return i
}

// InvitationList is a page of invitations.
type InvitationList struct {
	Invitations   []*invited.Invitation `json:"invitations"`
	NextPageToken string                `json:"next_page_token" doc:"empty on the last page"`
}

// BatchRequest is the body of a batch create.
type BatchRequest struct {
	Invitations []BatchInvitation `json:"invitations" doc:"1 to 1000 invitations, each like the body of a single create"`
}

// BatchInvitation is one item of a batch. It decodes on its own and keeps
// its error, so that a malformed item fails alone instead of sinking the
// batch.
type BatchInvitation struct {
	invited.InvitationCreate
	err error
}

func (b *BatchInvitation) UnmarshalJSON(data []byte) error {
	b.err = decodeJSON(data, &b.InvitationCreate)
	return nil
}

// BatchResponse has one result per item, in the order of the request.
type BatchResponse struct {
	Results []BatchResult `json:"results"`
}

// BatchResult is an item's invitation and link, or its error.
type BatchResult struct {
	Index      int                 `json:"index"`
	Invitation *invited.Invitation `json:"invitation,omitempty"`
	URL        string              `json:"url,omitempty" doc:"the secret invitation link; absent for drafts and in replays"`
	Error      *ErrorDetail        `json:"error,omitempty"`
}

func (b BatchResponse) withoutSecrets() any {
	results := slices.Clone(b.Results)
	for i := range results {
		results[i].URL = ""
	}
	return BatchResponse{Results: results}
}

// AcceptRequest is the body of an accept. An API key names the person it
// vouches for; a user access token, or a key acting for a user, accepts as
// that user and sends no body.
type AcceptRequest struct {
	User *invited.Acceptor `json:"user,omitempty" doc:"required with an API key, refused otherwise"`
}

// link returns the secret link of token, or "" when no token was issued.
func (s *server) link(token string) string { return invited.InvitationLink(s.deps.PublicURL, token) }

func (s *server) createInvitation(r *http.Request, c invited.InvitationCreate) (InvitationWithURL, error) {
	orgID, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return InvitationWithURL{}, err
	}
	if err := s.throttleCreates(r, orgID, invited.PermInvitationsCreate, 1); err != nil {
		return InvitationWithURL{}, err
	}
	inv, token, err := s.deps.Invitations.CreateInvitation(r.Context(), orgID, c)
	if err != nil {
		return InvitationWithURL{}, err
	}
	return InvitationWithURL{Invitation: *inv, URL: s.link(token)}, nil
}

func (s *server) createInvitations(r *http.Request, b BatchRequest) (BatchResponse, error) {
	orgID, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return BatchResponse{}, err
	}
	if n := len(b.Invitations); n == 0 || n > invited.MaxBatchSize {
		return BatchResponse{}, errField("invitations", fmt.Sprintf("must hold 1 to %d invitations", invited.MaxBatchSize))
	}
	results := make([]BatchResult, len(b.Invitations))
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
		return BatchResponse{Results: results}, nil
	}
	if err := s.throttleCreates(r, orgID, invited.PermInvitationsCreate, len(creates)); err != nil {
		return BatchResponse{}, err
	}
	created, err := s.deps.Invitations.CreateInvitations(r.Context(), orgID, creates)
	if err != nil {
		return BatchResponse{}, err
	}
	if len(created) != len(creates) {
		return BatchResponse{}, fmt.Errorf("batch create returned %d results for %d invitations", len(created), len(creates))
	}
	for j, c := range created {
		res := &results[at[j]]
		if c.Err != nil {
			res.Error = s.itemError(r, c.Err)
			continue
		}
		res.Invitation, res.URL = c.Invitation, s.link(c.Token)
	}
	return BatchResponse{Results: results}, nil
}

// itemError is the error of one batch item, shown as an error answer would be.
func (s *server) itemError(r *http.Request, err error) *ErrorDetail {
	_, d := s.errorDetail(r, err)
	return &d
}

func (s *server) listInvitations(r *http.Request) (InvitationList, error) {
	filter, err := invitationFilterOf(r.URL.Query())
	if err != nil {
		return InvitationList{}, err
	}
	invs, next, err := s.deps.Invitations.FindInvitations(r.Context(), filter)
	return InvitationList{Invitations: nonNil(invs), NextPageToken: next}, err
}

// invitationAction adapts a service method on one invitation, named by the
// path, to an endpoint. The service is looked up per call, not when the
// route table is built, so that the table can be built without services.
func (s *server) invitationAction(fn func(invited.InvitationService, context.Context, string) (*invited.Invitation, error)) func(*http.Request) (*invited.Invitation, error) {
	return func(r *http.Request) (*invited.Invitation, error) {
		id, err := pathID(r, "id", invited.PrefixInvitation)
		if err != nil {
			return nil, err
		}
		return fn(s.deps.Invitations, r.Context(), id)
	}
}

// linkAction is invitationAction for the methods that issue a new link.
func (s *server) linkAction(fn func(invited.InvitationService, context.Context, string) (*invited.Invitation, string, error)) func(*http.Request) (InvitationWithURL, error) {
	return func(r *http.Request) (InvitationWithURL, error) {
		id, err := pathID(r, "id", invited.PrefixInvitation)
		if err != nil {
			return InvitationWithURL{}, err
		}
		inv, token, err := fn(s.deps.Invitations, r.Context(), id)
		if err != nil {
			return InvitationWithURL{}, err
		}
		return InvitationWithURL{Invitation: *inv, URL: s.link(token)}, nil
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

func (s *server) acceptInvitation(r *http.Request, body AcceptRequest) (*invited.Acceptance, error) {
	token, err := s.publicToken(r)
	if err != nil {
		return nil, err
	}
	// A user accepts as themselves: naming someone else is refused rather
	// than ignored. The person a key names is checked by the service.
	if invited.ActorFromContext(r.Context()).IsUser() && body.User != nil {
		return nil, errField("user", "only an API key that is not acting for a user names the accepting user")
	}
	var a invited.Acceptor
	if body.User != nil {
		a = *body.User
		a.EmailVerified = true // the host application vouches for the person it names
	}
	return s.deps.Invitations.AcceptInvitation(r.Context(), token, a)
}
