-- Times are INTEGER unix milliseconds (UTC), so values round-trip exactly and
-- compare as numbers. Lists of names and settings are JSON text.

CREATE TABLE organizations (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	slug       TEXT NOT NULL UNIQUE,
	settings   TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

-- email and external_id are NULL when unknown: UNIQUE allows many NULLs.
CREATE TABLE users (
	id             TEXT PRIMARY KEY,
	external_id    TEXT UNIQUE,
	email          TEXT UNIQUE,
	email_verified INTEGER NOT NULL DEFAULT 0,
	phone          TEXT,
	name           TEXT NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);
CREATE INDEX users_phone ON users (phone);

CREATE TABLE memberships (
	org_id     TEXT NOT NULL REFERENCES organizations (id),
	user_id    TEXT NOT NULL REFERENCES users (id),
	roles      TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (org_id, user_id)
);
-- A user's grants are read on every authenticated request.
CREATE INDEX memberships_user ON memberships (user_id);

-- Custom roles only: the built-in ones live in code.
CREATE TABLE roles (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL REFERENCES organizations (id),
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	permissions TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	UNIQUE (org_id, name)
);

CREATE TABLE api_keys (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	org_id       TEXT REFERENCES organizations (id),
	admin        INTEGER NOT NULL DEFAULT 0,
	permissions  TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	secret_hash  BLOB NOT NULL UNIQUE,
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
);
CREATE INDEX api_keys_org ON api_keys (org_id, id);

CREATE TABLE invitations (
	id                 TEXT PRIMARY KEY,
	org_id             TEXT NOT NULL REFERENCES organizations (id),
	status             TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'accepted', 'declined', 'revoked', 'expired', 'archived')),
	email              TEXT,
	phone              TEXT,
	user_id            TEXT REFERENCES users (id),
	invitee_key        TEXT NOT NULL,
	first_name         TEXT NOT NULL DEFAULT '',
	last_name          TEXT NOT NULL DEFAULT '',
	roles              TEXT NOT NULL,
	message            TEXT NOT NULL DEFAULT '',
	redirect_url       TEXT NOT NULL DEFAULT '',
	audience           TEXT NOT NULL DEFAULT '',
	metadata           TEXT,
	channel            TEXT NOT NULL DEFAULT '',
	inviter_user_id    TEXT REFERENCES users (id),
	inviter_api_key_id TEXT REFERENCES api_keys (id),
	inviter_name       TEXT NOT NULL DEFAULT '',
	-- NULL for drafts: a draft has no link until it is sent.
	token_hash         BLOB UNIQUE,
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	expires_at         INTEGER NOT NULL,
	sent_at            INTEGER,
	accepted_at        INTEGER,
	accepted_user_id   TEXT REFERENCES users (id),
	revoked_at         INTEGER,
	declined_at        INTEGER
);
-- One open invitation per (organization, invitee).
CREATE UNIQUE INDEX invitations_open_invitee ON invitations (org_id, invitee_key) WHERE status IN ('draft', 'pending');
-- Keyset pages of one organization, newest first.
CREATE INDEX invitations_org ON invitations (org_id, id);
-- The email filter of the list.
CREATE INDEX invitations_email ON invitations (email, id) WHERE email IS NOT NULL;
-- The sweeper: its cost follows what expired, not the table size.
CREATE INDEX invitations_pending_expiry ON invitations (expires_at) WHERE status = 'pending';

-- status 0 marks a request in flight; otherwise the HTTP status it answered.
CREATE TABLE idempotency_keys (
	scope        TEXT NOT NULL,
	key          TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	status       INTEGER NOT NULL DEFAULT 0,
	body         BLOB,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
