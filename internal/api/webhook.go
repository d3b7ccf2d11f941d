package api

import (
	"net/http"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

func (s *server) createWebhook(r *http.Request, c invited.WebhookCreate) (client.WebhookWithSecret, error) {
	w, err := s.deps.Webhooks.CreateWebhook(r.Context(), c)
	if err != nil {
		return client.WebhookWithSecret{}, err
	}
	return client.WebhookWithSecret{Webhook: *w}, nil
}

func (s *server) listWebhooks(r *http.Request) (client.WebhookList, error) {
	q, f := r.URL.Query(), invited.FieldErrors{}
	filter := invited.WebhookFilter{OrgID: queryOrgID(q, f), Page: pageOf(q, f)}
	if err := f.Err(); err != nil {
		return client.WebhookList{}, err
	}
	hooks, next, err := s.deps.Webhooks.FindWebhooks(r.Context(), filter)
	return client.WebhookList{Webhooks: nonNil(hooks), NextPageToken: next}, err
}

func (s *server) getWebhook(r *http.Request) (*invited.Webhook, error) {
	id, err := pathID(r, "id", invited.PrefixWebhook)
	if err != nil {
		return nil, err
	}
	return s.deps.Webhooks.FindWebhookByID(r.Context(), id)
}

func (s *server) deleteWebhook(r *http.Request) (noContent, error) {
	id, err := pathID(r, "id", invited.PrefixWebhook)
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.deps.Webhooks.DeleteWebhook(r.Context(), id)
}

// listDeliveries lists an endpoint's messages: GET /v1/messages with the
// endpoint as filter.
func (s *server) listDeliveries(r *http.Request) (client.MessageList, error) {
	id, err := pathID(r, "id", invited.PrefixWebhook)
	if err != nil {
		return client.MessageList{}, err
	}
	return s.findMessages(r, id)
}

func (s *server) listMessages(r *http.Request) (client.MessageList, error) {
	return s.findMessages(r, "")
}

// findMessages lists messages by the query's filters, and to webhookID's
// endpoint when it is set.
func (s *server) findMessages(r *http.Request, webhookID string) (client.MessageList, error) {
	q, f := r.URL.Query(), invited.FieldErrors{}
	filter := invited.MessageFilter{OrgID: queryOrgID(q, f), WebhookID: webhookID, Channel: q.Get("channel"),
		Status: q.Get("status"), Page: pageOf(q, f)}
	if err := f.Err(); err != nil {
		return client.MessageList{}, err
	}
	msgs, next, err := s.deps.Outbox.FindMessages(r.Context(), filter)
	return client.MessageList{Messages: nonNil(msgs), NextPageToken: next}, err
}

func (s *server) getMessage(r *http.Request) (*invited.Message, error) {
	id, err := pathID(r, "id", invited.PrefixMessage)
	if err != nil {
		return nil, err
	}
	return s.deps.Outbox.FindMessageByID(r.Context(), id)
}

func (s *server) replayMessage(r *http.Request) (*invited.Message, error) {
	id, err := pathID(r, "id", invited.PrefixMessage)
	if err != nil {
		return nil, err
	}
	return s.deps.Outbox.ReplayMessage(r.Context(), id)
}
