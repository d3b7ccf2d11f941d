package api

import (
	"net/http"

	"github.com/invitedhq/invited"
)

// AuditEventList is a page of audit events.
type AuditEventList struct {
	Events        []*invited.AuditEvent `json:"events"`
	NextPageToken string                `json:"next_page_token" doc:"empty on the last page"`
}

func (s *server) listAuditEvents(r *http.Request) (AuditEventList, error) {
	q, f := r.URL.Query(), invited.FieldErrors{}
	filter := invited.AuditFilter{OrgID: queryOrgID(q, f), Resource: q.Get("resource"), Actor: q.Get("actor"), Page: pageOf(q, f)}
	if err := f.Err(); err != nil {
		return AuditEventList{}, err
	}
	events, next, err := s.deps.Audit.FindAuditEvents(r.Context(), filter)
	return AuditEventList{Events: nonNil(events), NextPageToken: next}, err
}
