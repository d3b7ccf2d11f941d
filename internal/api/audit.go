package api

import (
	"net/http"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

func (s *server) listAuditEvents(r *http.Request) (client.AuditEventList, error) {
	q, f := r.URL.Query(), invited.FieldErrors{}
	filter := invited.AuditFilter{OrgID: queryOrgID(q, f), Resource: q.Get("resource"), Actor: q.Get("actor"), Page: pageOf(q, f)}
	if err := f.Err(); err != nil {
		return client.AuditEventList{}, err
	}
	events, next, err := s.deps.Audit.FindAuditEvents(r.Context(), filter)
	return client.AuditEventList{Events: nonNil(events), NextPageToken: next}, err
}
