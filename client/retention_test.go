package client_test

import (
	"errors"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// TestRetentionSettings: an organization's retention settings go through
// PATCH and come back from GET, and what is out of bounds answers 400
// naming each field.
func TestRetentionSettings(t *testing.T) {
	s := newService(t)
	c := s.adminClient()
	ctx := t.Context()
	org := mustOrg(t, c, "Acme")
	days := func(n int) *invited.Duration { d := invited.Duration(time.Duration(n) * 24 * time.Hour); return &d }
	_, err := c.UpdateOrganization(ctx, org.ID, invited.OrganizationUpdate{Settings: &invited.OrgSettingsPatch{
		Retention: &invited.RetentionPatch{Messages: days(14), EndedInvitations: days(30)}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetOrganization(ctx, org.ID)
	want := invited.Retention{Messages: *days(14), EndedInvitations: *days(30)}
	if err != nil || got.Settings.Retention != want {
		t.Fatalf("retention %+v, %v; want %+v", got.Settings.Retention, err, want)
	}
	_, err = c.UpdateOrganization(ctx, org.ID, invited.OrganizationUpdate{Settings: &invited.OrgSettingsPatch{
		InvitationTTL: days(60), Retention: &invited.RetentionPatch{Messages: days(-1), AuditEvents: days(4000)}}})
	e, ok := errors.AsType[*client.Error](err)
	if !ok || e.StatusCode != 400 || e.Code != invited.EINVALID {
		t.Fatalf("error %v, want 400 invalid_request", err)
	}
	for _, f := range []string{"settings.retention.messages", "settings.retention.audit_events", "settings.retention.ended_invitations"} {
		if e.Fields[f] == "" {
			t.Errorf("fields %v, want one for %s", e.Fields, f)
		}
	}
	if got, err := c.GetOrganization(ctx, org.ID); err != nil || got.Settings.Retention != want {
		t.Errorf("after a refused update: %+v, %v", got.Settings.Retention, err)
	}
}
