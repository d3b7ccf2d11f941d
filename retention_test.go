package invited_test

import (
	"errors"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// TestOrgRetention: an organization's retention settings are zero (the
// system's) or within their bounds, ended invitations' no shorter than
// the invitation TTL as it ends up, and each part out of bounds is a
// field error of its own.
func TestOrgRetention(t *testing.T) {
	const day = 24 * time.Hour
	d := func(v time.Duration) *invited.Duration { p := invited.Duration(v); return &p }
	now := time.Now()
	tests := []struct {
		name   string
		create invited.OrgSettingsPatch
		update invited.OrgSettingsPatch
		want   invited.Retention
		fields []string // the fields in error, none on success
	}{
		{name: "unset", want: invited.Retention{}},
		{name: "all set", update: invited.OrgSettingsPatch{Retention: &invited.RetentionPatch{Messages: d(7 * day),
			AuditEvents: d(3650 * day), EndedInvitations: d(7 * day)}},
			want: invited.Retention{Messages: invited.Duration(7 * day), AuditEvents: invited.Duration(3650 * day), EndedInvitations: invited.Duration(7 * day)}},
		{name: "back to the default", create: invited.OrgSettingsPatch{Retention: &invited.RetentionPatch{Messages: d(30 * day)}},
			update: invited.OrgSettingsPatch{Retention: &invited.RetentionPatch{Messages: d(0)}}, want: invited.Retention{}},
		{name: "a part left alone", create: invited.OrgSettingsPatch{Retention: &invited.RetentionPatch{Messages: d(30 * day)}},
			update: invited.OrgSettingsPatch{Retention: &invited.RetentionPatch{AuditEvents: d(30 * day)}},
			want:   invited.Retention{Messages: invited.Duration(30 * day), AuditEvents: invited.Duration(30 * day)}},
		{name: "negative", update: invited.OrgSettingsPatch{Retention: &invited.RetentionPatch{Messages: d(-day), AuditEvents: d(-time.Hour)}},
			fields: []string{"settings.retention.messages", "settings.retention.audit_events"}},
		{name: "absurdly long", update: invited.OrgSettingsPatch{Retention: &invited.RetentionPatch{AuditEvents: d(3651 * day)}},
			fields: []string{"settings.retention.audit_events"}},
		{name: "messages too short", update: invited.OrgSettingsPatch{Retention: &invited.RetentionPatch{Messages: d(6 * day)}},
			fields: []string{"settings.retention.messages"}},
		{name: "shorter than the invitation TTL", update: invited.OrgSettingsPatch{InvitationTTL: d(14 * day),
			Retention: &invited.RetentionPatch{EndedInvitations: d(10 * day)}},
			fields: []string{"settings.retention.ended_invitations"}},
		{name: "a TTL raised past the retention", create: invited.OrgSettingsPatch{Retention: &invited.RetentionPatch{EndedInvitations: d(10 * day)}},
			update: invited.OrgSettingsPatch{InvitationTTL: d(30 * day)},
			fields: []string{"settings.retention.ended_invitations"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org, err := invited.NewOrganization(invited.OrganizationCreate{Name: "Acme", Settings: &tt.create}, now)
			if err != nil {
				t.Fatal(err)
			}
			err = org.Apply(invited.OrganizationUpdate{Settings: &tt.update}, func(string) bool { return true }, now)
			var e *invited.Error
			switch {
			case len(tt.fields) == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case len(tt.fields) == 0 && org.Settings.Retention != tt.want:
				t.Fatalf("retention %+v, want %+v", org.Settings.Retention, tt.want)
			case len(tt.fields) > 0 && (!errors.As(err, &e) || e.Code != invited.EINVALID):
				t.Fatalf("err = %v, want invalid_request", err)
			case len(tt.fields) > 0 && len(e.Fields) != len(tt.fields):
				t.Fatalf("fields %v, want %v", e.Fields, tt.fields)
			}
			for _, f := range tt.fields {
				if e.Fields[f] == "" {
					t.Errorf("no error for %s in %v", f, e.Fields)
				}
			}
		})
	}
}
