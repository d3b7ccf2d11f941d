package api

import (
	"net/http"

	"github.com/invitedhq/invited"
)

func (s *server) eraseUser(r *http.Request, e invited.EraseRequest) (*invited.Erasure, error) {
	id, err := pathID(r, "id", invited.PrefixUser)
	if err != nil {
		return nil, err
	}
	return s.deps.Erasure.Erase(r.Context(), id, e)
}

func (s *server) eraseInvitee(r *http.Request, e invited.EraseRequest) (*invited.Erasure, error) {
	return s.deps.Erasure.Erase(r.Context(), "", e)
}
