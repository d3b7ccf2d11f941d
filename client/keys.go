package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/invitedhq/invited"
)

// CreateAPIKey creates an API key; the answer carries its secret, only
// here. It honours WithIdempotencyKey.
func (c *Client) CreateAPIKey(ctx context.Context, in invited.APIKeyCreate) (*APIKeyWithSecret, error) {
	return answer[*APIKeyWithSecret](ctx, c, call{op: "createAPIKey", method: http.MethodPost, path: "/v1/api-keys", in: in})
}

// ListAPIKeys answers a page of API keys.
func (c *Client) ListAPIKeys(ctx context.Context, f invited.APIKeyFilter) (APIKeyList, error) {
	return answer[APIKeyList](ctx, c, call{op: "listAPIKeys", method: http.MethodGet, path: "/v1/api-keys", query: query(f.Page, "org_id", f.OrgID)})
}

// APIKeys iterates over API keys.
func (c *Client) APIKeys(ctx context.Context, f invited.APIKeyFilter) iter.Seq2[*invited.APIKey, error] {
	return pages(f.PageToken, func(token string) ([]*invited.APIKey, string, error) {
		f.PageToken = token
		l, err := c.ListAPIKeys(ctx, f)
		return l.APIKeys, l.NextPageToken, err
	})
}

// DeleteAPIKey revokes an API key.
func (c *Client) DeleteAPIKey(ctx context.Context, id string) error {
	return c.do(ctx, call{op: "deleteAPIKey", method: http.MethodDelete, path: pathf("/v1/api-keys/%s", id)})
}
