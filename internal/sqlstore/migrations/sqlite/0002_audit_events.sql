-- The audit log: one row per mutation, written in the mutation's own
-- transaction. org_id is NULL for system-wide resources (admin keys); the
-- actor columns are NULL for the system's own work (the expiry sweeper).
CREATE TABLE audit_events (
	id               TEXT PRIMARY KEY,
	org_id           TEXT,
	actor_user_id    TEXT,
	actor_api_key_id TEXT,
	action           TEXT NOT NULL,
	resource         TEXT NOT NULL,
	resource_id      TEXT NOT NULL,
	remote_addr      TEXT NOT NULL DEFAULT '',
	created_at       INTEGER NOT NULL
);
-- Keyset pages of one organization, newest first.
CREATE INDEX audit_events_org ON audit_events (org_id, id);
-- The resource and actor filters.
CREATE INDEX audit_events_resource ON audit_events (resource, id);
CREATE INDEX audit_events_actor_user ON audit_events (actor_user_id, id) WHERE actor_user_id IS NOT NULL;
CREATE INDEX audit_events_actor_key ON audit_events (actor_api_key_id, id) WHERE actor_api_key_id IS NOT NULL;
