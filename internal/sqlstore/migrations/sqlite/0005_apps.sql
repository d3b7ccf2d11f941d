-- Connector applications (issue 6): an organization's (org_id set) or
-- system-wide (NULL). oauth is the platform's configuration as JSON,
-- without the client secret: that is kept apart, sealed with the
-- configured encryption keys for the context "app:<id>:client_secret", and
-- NULL for a public client.
CREATE TABLE apps (
	id                   TEXT PRIMARY KEY,
	org_id               TEXT REFERENCES organizations (id),
	name                 TEXT NOT NULL,
	description          TEXT NOT NULL DEFAULT '',
	oauth                TEXT NOT NULL,
	client_secret_sealed TEXT,
	created_at           BIGINT NOT NULL,
	updated_at           BIGINT NOT NULL
);
-- Keyset pages of the apps of some organizations and the system-wide ones
-- (org_id IS NULL is in the index too).
CREATE INDEX apps_org ON apps (org_id, id);

-- Links that let a partner connect an external platform through an app,
-- for the organization org_id. The code is a secret like an invitation
-- token: only its hash is stored.
CREATE TABLE app_invites (
	id                 TEXT PRIMARY KEY,
	app_id             TEXT NOT NULL REFERENCES apps (id),
	org_id             TEXT NOT NULL REFERENCES organizations (id),
	code_hash          BLOB NOT NULL UNIQUE,
	status             TEXT NOT NULL CHECK (status IN ('pending', 'active', 'archived', 'revoked', 'expired')),
	email              TEXT NOT NULL DEFAULT '',
	note               TEXT NOT NULL DEFAULT '',
	inviter_user_id    TEXT REFERENCES users (id),
	inviter_api_key_id TEXT REFERENCES api_keys (id),
	inviter_name       TEXT NOT NULL DEFAULT '',
	created_at         BIGINT NOT NULL,
	updated_at         BIGINT NOT NULL,
	expires_at         BIGINT NOT NULL,
	activated_at       BIGINT,
	revoked_at         BIGINT,
	archived_at        BIGINT
);
-- Keyset pages of one organization, newest first.
CREATE INDEX app_invites_org ON app_invites (org_id, id);
-- The app filter of the list.
CREATE INDEX app_invites_app ON app_invites (app_id, id);
-- The sweeper: its cost follows what expired, not the table size.
CREATE INDEX app_invites_pending_expiry ON app_invites (expires_at) WHERE status = 'pending';
