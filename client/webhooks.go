package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"

	"github.com/invitedhq/invited"
)

// CreateWebhook registers a webhook endpoint; the answer carries its
// signing secret, only here. It honours WithIdempotencyKey.
func (c *Client) CreateWebhook(ctx context.Context, in invited.WebhookCreate) (*WebhookWithSecret, error) {
	return answer[*WebhookWithSecret](ctx, c, call{op: "createWebhook", method: http.MethodPost, path: "/v1/webhooks", in: in})
}

// ListWebhooks answers a page of webhook endpoints.
func (c *Client) ListWebhooks(ctx context.Context, f invited.WebhookFilter) (WebhookList, error) {
	return answer[WebhookList](ctx, c, call{op: "listWebhooks", method: http.MethodGet, path: "/v1/webhooks", query: query(f.Page, "org_id", f.OrgID)})
}

// Webhooks iterates over webhook endpoints.
func (c *Client) Webhooks(ctx context.Context, f invited.WebhookFilter) iter.Seq2[*invited.Webhook, error] {
	return pages(f.PageToken, func(token string) ([]*invited.Webhook, string, error) {
		f.PageToken = token
		l, err := c.ListWebhooks(ctx, f)
		return l.Webhooks, l.NextPageToken, err
	})
}

// GetWebhook reads a webhook endpoint.
func (c *Client) GetWebhook(ctx context.Context, id string) (*invited.Webhook, error) {
	return answer[*invited.Webhook](ctx, c, call{op: "getWebhook", method: http.MethodGet, path: pathf("/v1/webhooks/%s", id)})
}

// DeleteWebhook deletes a webhook endpoint and cancels its pending
// deliveries.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.do(ctx, call{op: "deleteWebhook", method: http.MethodDelete, path: pathf("/v1/webhooks/%s", id)})
}

// messagesQuery is the query of the message lists, which read the endpoint
// from their path or from no filter at all.
func messagesQuery(f invited.MessageFilter) url.Values {
	return query(f.Page, "org_id", f.OrgID, "channel", f.Channel, "status", f.Status)
}

// ListWebhookDeliveries answers a page of the deliveries to the endpoint
// f.WebhookID.
func (c *Client) ListWebhookDeliveries(ctx context.Context, f invited.MessageFilter) (MessageList, error) {
	return answer[MessageList](ctx, c, call{op: "listWebhookDeliveries", method: http.MethodGet, path: pathf("/v1/webhooks/%s/deliveries", f.WebhookID),
		query: messagesQuery(f)})
}

// WebhookDeliveries iterates over the deliveries to the endpoint
// f.WebhookID.
func (c *Client) WebhookDeliveries(ctx context.Context, f invited.MessageFilter) iter.Seq2[*invited.Message, error] {
	return pages(f.PageToken, func(token string) ([]*invited.Message, string, error) {
		f.PageToken = token
		l, err := c.ListWebhookDeliveries(ctx, f)
		return l.Messages, l.NextPageToken, err
	})
}

// ListMessages answers a page of outbox messages: emails, texts and
// webhook deliveries. f.WebhookID is not a filter here (see
// ListWebhookDeliveries).
func (c *Client) ListMessages(ctx context.Context, f invited.MessageFilter) (MessageList, error) {
	return answer[MessageList](ctx, c, call{op: "listMessages", method: http.MethodGet, path: "/v1/messages", query: messagesQuery(f)})
}

// Messages iterates over outbox messages.
func (c *Client) Messages(ctx context.Context, f invited.MessageFilter) iter.Seq2[*invited.Message, error] {
	return pages(f.PageToken, func(token string) ([]*invited.Message, string, error) {
		f.PageToken = token
		l, err := c.ListMessages(ctx, f)
		return l.Messages, l.NextPageToken, err
	})
}

// GetMessage reads a message with its delivery attempts.
func (c *Client) GetMessage(ctx context.Context, id string) (*invited.Message, error) {
	return answer[*invited.Message](ctx, c, call{op: "getMessage", method: http.MethodGet, path: pathf("/v1/messages/%s", id)})
}

// ReplayMessage makes a dead message, or a finished webhook delivery,
// pending again. A dead letter is replayed only while its invitation is
// pending, and carries a new link when it is sent.
func (c *Client) ReplayMessage(ctx context.Context, id string) (*invited.Message, error) {
	return answer[*invited.Message](ctx, c, call{op: "replayMessage", method: http.MethodPost, path: pathf("/v1/messages/%s/replay", id)})
}

// ListAuditEvents answers a page of audit events, newest first.
func (c *Client) ListAuditEvents(ctx context.Context, f invited.AuditFilter) (AuditEventList, error) {
	return answer[AuditEventList](ctx, c, call{op: "listAuditEvents", method: http.MethodGet, path: "/v1/audit-events",
		query: query(f.Page, "org_id", f.OrgID, "resource", f.Resource, "actor", f.Actor)})
}

// AuditEvents iterates over audit events, newest first.
func (c *Client) AuditEvents(ctx context.Context, f invited.AuditFilter) iter.Seq2[*invited.AuditEvent, error] {
	return pages(f.PageToken, func(token string) ([]*invited.AuditEvent, string, error) {
		f.PageToken = token
		l, err := c.ListAuditEvents(ctx, f)
		return l.Events, l.NextPageToken, err
	})
}
