package api

import (
	"net/http"

	"github.com/invitedhq/invited"
)

// APIKeyWithSecret is a new key with its secret, shown only in this answer.
type APIKeyWithSecret struct {
	invited.APIKey
	Secret string `json:"secret,omitempty" doc:"the key's secret (ik_…): shown once, absent in replays"`
}

func (k APIKeyWithSecret) withoutSecrets() any {
	k.Secret = ""
	return k
}

// APIKeyList is a page of API keys.
type APIKeyList struct {
	APIKeys       []*invited.APIKey `json:"api_keys"`
	NextPageToken string            `json:"next_page_token" doc:"empty on the last page"`
}

func (s *server) createAPIKey(r *http.Request, c invited.APIKeyCreate) (APIKeyWithSecret, error) {
	key, secret, err := s.deps.APIKeys.CreateAPIKey(r.Context(), c)
	if err != nil {
		return APIKeyWithSecret{}, err
	}
	return APIKeyWithSecret{APIKey: *key, Secret: secret}, nil
}

func (s *server) listAPIKeys(r *http.Request) (APIKeyList, error) {
	q, f := r.URL.Query(), invited.FieldErrors{}
	filter := invited.APIKeyFilter{OrgID: queryOrgID(q, f), Page: pageOf(q, f)}
	if err := f.Err(); err != nil {
		return APIKeyList{}, err
	}
	keys, next, err := s.deps.APIKeys.FindAPIKeys(r.Context(), filter)
	return APIKeyList{APIKeys: nonNil(keys), NextPageToken: next}, err
}

func (s *server) deleteAPIKey(r *http.Request) (noContent, error) {
	id, err := pathID(r, "id", invited.PrefixAPIKey)
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.deps.APIKeys.RevokeAPIKey(r.Context(), id)
}
