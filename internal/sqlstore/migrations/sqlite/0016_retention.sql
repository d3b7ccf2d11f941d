-- Retention (issue 16, docs/retention.md): a background pass deletes
-- finished messages and old audit events, and clears the personal data of
-- invitations, app invites and join requests that ended without being
-- accepted, in batches. Each of its searches goes by organization and age
-- through an index that holds only what it may remove, so that a pass
-- costs one index probe per organization and kind plus what it removes,
-- not the size of the tables.

-- The counts of a retention pass's audit event, as a JSON object; NULL for
-- every other event.
ALTER TABLE audit_events ADD COLUMN details TEXT;
-- When retention or erasure cleared a row's personal data: cleared rows
-- leave the indexes below.
ALTER TABLE invitations ADD COLUMN cleared_at INTEGER;
ALTER TABLE app_invites ADD COLUMN cleared_at INTEGER;
ALTER TABLE join_requests ADD COLUMN cleared_at INTEGER;

-- Finished messages by organization ('' for none: a system-wide webhook's
-- deliveries) and the time they finished: pending ones, which the outbox
-- still needs, are not in it. The organization is an expression so that
-- the system's scope is an equality too, and a batch comes in index order
-- whichever scope it is of.
CREATE INDEX messages_finished ON messages ((COALESCE(org_id, '')), updated_at) WHERE status <> 'pending';
-- The letters of an invitation whatever their status, deleted with its
-- personal data.
CREATE INDEX messages_of_invitation ON messages (invitation_id) WHERE invitation_id IS NOT NULL;
-- Audit events by organization ('' for none) and age.
CREATE INDEX audit_events_age ON audit_events ((COALESCE(org_id, '')), created_at);
CREATE INDEX invitations_ended ON invitations (org_id, updated_at)
	WHERE status IN ('declined', 'revoked', 'expired') AND cleared_at IS NULL;
CREATE INDEX app_invites_ended ON app_invites (org_id, updated_at)
	WHERE status IN ('revoked', 'expired') AND cleared_at IS NULL;
CREATE INDEX join_requests_ended ON join_requests (org_id, updated_at)
	WHERE status IN ('denied', 'expired') AND cleared_at IS NULL;
