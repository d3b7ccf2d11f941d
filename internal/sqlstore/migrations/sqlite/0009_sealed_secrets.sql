-- Issue 13 (D1): the secrets the service must read back to use, the
-- private keys acceptance tickets are signed with and webhook endpoints'
-- signing secrets, are sealed with the configured encryption keys
-- (INVITED_ENCRYPTION_KEYS), like apps' client secrets: in the _sealed
-- column, for the contexts "signing_key:<id>:private_key" and
-- "webhook:<id>:secret". Without keys they stay in the plain column; the
-- first start with keys seals them. Exactly one of the two is set.
--
-- SQLite cannot make a column nullable in place, so both tables are
-- rebuilt; nothing refers to them.
CREATE TABLE signing_keys_0009 (
	id                 TEXT PRIMARY KEY,
	algorithm          TEXT NOT NULL,
	private_key        BLOB,
	private_key_sealed TEXT,
	created_at         BIGINT NOT NULL,
	retired_at         BIGINT,
	CHECK ((private_key IS NULL) <> (private_key_sealed IS NULL))
);
INSERT INTO signing_keys_0009 (id, algorithm, private_key, created_at, retired_at)
SELECT id, algorithm, private_key, created_at, retired_at FROM signing_keys;
DROP TABLE signing_keys;
ALTER TABLE signing_keys_0009 RENAME TO signing_keys;
-- At most one active key: instances that start together on an empty
-- database cannot both install one.
CREATE UNIQUE INDEX signing_keys_active ON signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;
-- The published keys: the active one and those retired recently.
CREATE INDEX signing_keys_retired ON signing_keys (retired_at);

-- Deleting an endpoint sets deleted_at, so that its deliveries keep their
-- history.
CREATE TABLE webhooks_0009 (
	id            TEXT PRIMARY KEY,
	org_id        TEXT REFERENCES organizations (id),
	url           TEXT NOT NULL,
	events        TEXT NOT NULL,
	description   TEXT NOT NULL DEFAULT '',
	secret        TEXT,
	secret_sealed TEXT,
	created_at    BIGINT NOT NULL,
	deleted_at    BIGINT,
	CHECK ((secret IS NULL) <> (secret_sealed IS NULL))
);
INSERT INTO webhooks_0009 (id, org_id, url, events, description, secret, created_at, deleted_at)
SELECT id, org_id, url, events, description, secret, created_at, deleted_at FROM webhooks;
DROP TABLE webhooks;
ALTER TABLE webhooks_0009 RENAME TO webhooks;
CREATE INDEX webhooks_org ON webhooks (org_id, id) WHERE deleted_at IS NULL;
