package api

import (
	"net/http"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

func (s *server) createAPIKey(r *http.Request, c invited.APIKeyCreate) (client.APIKeyWithSecret, error) {
	key, secret, err := s.deps.APIKeys.CreateAPIKey(r.Context(), c)
	if err != nil {
		return client.APIKeyWithSecret{}, err
	}
	return client.APIKeyWithSecret{APIKey: *key, Secret: secret}, nil
}

func (s *server) listAPIKeys(r *http.Request) (client.APIKeyList, error) {
	q, f := r.URL.Query(), invited.FieldErrors{}
	filter := invited.APIKeyFilter{OrgID: queryOrgID(q, f), Page: pageOf(q, f)}
	if err := f.Err(); err != nil {
		return client.APIKeyList{}, err
	}
	keys, next, err := s.deps.APIKeys.FindAPIKeys(r.Context(), filter)
	return client.APIKeyList{APIKeys: nonNil(keys), NextPageToken: next}, err
}

func (s *server) deleteAPIKey(r *http.Request) (noContent, error) {
	id, err := pathID(r, "id", invited.PrefixAPIKey)
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.deps.APIKeys.RevokeAPIKey(r.Context(), id)
}
