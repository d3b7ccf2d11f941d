-- The same schema as migrations/sqlite/0001_initial.sql, in the same plain
-- types, so that one implementation of every query serves both databases:
--
-- * Times are BIGINT unix milliseconds (UTC), not timestamptz. They
--   round-trip exactly as on SQLite (timestamptz keeps microseconds and would
--   need its own scanning), compare as numbers, and the code reads and writes
--   them in one way for both databases.
-- * Lists of names and settings are JSON as TEXT, not jsonb: the code only
--   stores and loads them whole, and jsonb would reorder keys and need its
--   own encoding on the way in.
-- * Flags are BOOLEAN: the driver binds Go's bool to it, where SQLite stores
--   0 and 1 in INTEGER.
-- * Secrets' hashes are BYTEA, SQLite's BLOB.
-- * Ids, and the role names lists are sorted by, use the "C" collation:
--   byte order, as SQLite compares text. Keyset pages then sort the same on
--   both databases whatever the database's default collation, and their
--   indexes do not depend on the operating system's locale data.

CREATE TABLE organizations (
	id         TEXT COLLATE "C" PRIMARY KEY,
	name       TEXT NOT NULL,
	slug       TEXT NOT NULL UNIQUE,
	settings   TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- email and external_id are NULL when unknown: UNIQUE allows many NULLs.
CREATE TABLE users (
	id             TEXT COLLATE "C" PRIMARY KEY,
	external_id    TEXT UNIQUE,
	email          TEXT UNIQUE,
	email_verified BOOLEAN NOT NULL DEFAULT false,
	phone          TEXT,
	name           TEXT NOT NULL DEFAULT '',
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);
CREATE INDEX users_phone ON users (phone);

CREATE TABLE memberships (
	org_id     TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
	user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id),
	roles      TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (org_id, user_id)
);
-- A user's grants are read on every authenticated request.
CREATE INDEX memberships_user ON memberships (user_id);

-- Custom roles only: the built-in ones live in code.
CREATE TABLE roles (
	id          TEXT COLLATE "C" PRIMARY KEY,
	org_id      TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
	name        TEXT COLLATE "C" NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	permissions TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	UNIQUE (org_id, name)
);

CREATE TABLE api_keys (
	id           TEXT COLLATE "C" PRIMARY KEY,
	name         TEXT NOT NULL,
	org_id       TEXT COLLATE "C" REFERENCES organizations (id),
	admin        BOOLEAN NOT NULL DEFAULT false,
	permissions  TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	secret_hash  BYTEA NOT NULL UNIQUE,
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	last_used_at BIGINT,
	revoked_at   BIGINT
);
CREATE INDEX api_keys_org ON api_keys (org_id, id);

CREATE TABLE invitations (
	id                 TEXT COLLATE "C" PRIMARY KEY,
	org_id             TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
	status             TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'accepted', 'declined', 'revoked', 'expired', 'archived')),
	email              TEXT,
	phone              TEXT,
	user_id            TEXT COLLATE "C" REFERENCES users (id),
	invitee_key        TEXT NOT NULL,
	first_name         TEXT NOT NULL DEFAULT '',
	last_name          TEXT NOT NULL DEFAULT '',
	roles              TEXT NOT NULL,
	message            TEXT NOT NULL DEFAULT '',
	redirect_url       TEXT NOT NULL DEFAULT '',
	audience           TEXT NOT NULL DEFAULT '',
	metadata           TEXT,
	channel            TEXT NOT NULL DEFAULT '',
	inviter_user_id    TEXT COLLATE "C" REFERENCES users (id),
	inviter_api_key_id TEXT COLLATE "C" REFERENCES api_keys (id),
	inviter_name       TEXT NOT NULL DEFAULT '',
	-- NULL for drafts: a draft has no link until it is sent.
	token_hash         BYTEA UNIQUE,
	created_at         BIGINT NOT NULL,
	updated_at         BIGINT NOT NULL,
	expires_at         BIGINT NOT NULL,
	sent_at            BIGINT,
	accepted_at        BIGINT,
	accepted_user_id   TEXT COLLATE "C" REFERENCES users (id),
	revoked_at         BIGINT,
	declined_at        BIGINT
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
	body         BYTEA,
	created_at   BIGINT NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
