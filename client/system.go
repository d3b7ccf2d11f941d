package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// Live answers liveness: ok while the process answers.
func (c *Client) Live(ctx context.Context) (*Health, error) {
	return answer[*Health](ctx, c, call{op: "live", method: http.MethodGet, path: "/livez"})
}

// Ready answers readiness. A service that is not ready answers its Health
// (status "unavailable", Reason the check that failed) with an
// *UnexpectedResponseError of status 503.
func (c *Client) Ready(ctx context.Context) (*Health, error) {
	return c.readiness(ctx, "ready", "/readyz")
}

// Health answers readiness like Ready, through GET /healthz, the alias of
// /readyz.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	return c.readiness(ctx, "health", "/healthz")
}

func (c *Client) readiness(ctx context.Context, op, path string) (*Health, error) {
	h, err := answer[*Health](ctx, c, call{op: op, method: http.MethodGet, path: path})
	if e, ok := errors.AsType[*UnexpectedResponseError](err); ok && e.StatusCode == http.StatusServiceUnavailable {
		h = &Health{}
		if json.Unmarshal(e.Body, h) != nil {
			h = nil
		}
	}
	return h, err
}

// OpenAPI answers the service's OpenAPI 3.1 document.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	return answer[[]byte](ctx, c, call{op: "openapi", method: http.MethodGet, path: "/openapi.json"})
}

// Docs answers the service's API reference page (HTML).
func (c *Client) Docs(ctx context.Context) ([]byte, error) {
	return answer[[]byte](ctx, c, call{op: "docs", method: http.MethodGet, path: "/docs"})
}

// Metrics answers the service's Prometheus metrics (text exposition
// format), when it serves them.
func (c *Client) Metrics(ctx context.Context) ([]byte, error) {
	return answer[[]byte](ctx, c, call{op: "metrics", method: http.MethodGet, path: "/metrics"})
}
