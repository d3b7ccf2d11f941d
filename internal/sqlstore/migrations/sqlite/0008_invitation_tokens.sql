-- Issue 13 (D1): a copy of the database holds no working link. Every live
-- link of an invitation is a row here, by the SHA-256 hash of its token:
-- the one create, send and resend answer, and one per letter, minted when
-- the dispatcher claims the letter (links are never stored in plaintext,
-- not even while a letter waits). Resend deletes an invitation's rows and
-- adds the new one; renew keeps them.
--
-- SQLite cannot drop a UNIQUE column, so invitations is rebuilt without
-- token_hash. Dropping the table deletes its rows first, which the
-- references of acceptance_tickets would refuse at once; deferred, they
-- are satisfied again when the rows are back, before the migration's
-- transaction commits.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE invitations_0008 AS SELECT * FROM invitations;
DROP TABLE invitations;
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
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	expires_at         INTEGER NOT NULL,
	sent_at            INTEGER,
	accepted_at        INTEGER,
	accepted_user_id   TEXT REFERENCES users (id),
	revoked_at         INTEGER,
	declined_at        INTEGER
);
INSERT INTO invitations (id, org_id, status, email, phone, user_id, invitee_key, first_name, last_name, roles, message,
	redirect_url, audience, metadata, channel, inviter_user_id, inviter_api_key_id, inviter_name, created_at, updated_at,
	expires_at, sent_at, accepted_at, accepted_user_id, revoked_at, declined_at)
SELECT id, org_id, status, email, phone, user_id, invitee_key, first_name, last_name, roles, message,
	redirect_url, audience, metadata, channel, inviter_user_id, inviter_api_key_id, inviter_name, created_at, updated_at,
	expires_at, sent_at, accepted_at, accepted_user_id, revoked_at, declined_at
FROM invitations_0008;
-- One open invitation per (organization, invitee).
CREATE UNIQUE INDEX invitations_open_invitee ON invitations (org_id, invitee_key) WHERE status IN ('draft', 'pending');
-- Keyset pages of one organization, newest first.
CREATE INDEX invitations_org ON invitations (org_id, id);
-- The email filter of the list.
CREATE INDEX invitations_email ON invitations (email, id) WHERE email IS NOT NULL;
-- The sweeper: its cost follows what expired, not the table size.
CREATE INDEX invitations_pending_expiry ON invitations (expires_at) WHERE status = 'pending';

CREATE TABLE invitation_tokens (
	hash          BLOB PRIMARY KEY,
	invitation_id TEXT NOT NULL REFERENCES invitations (id),
	created_at    INTEGER NOT NULL
);
-- An invitation's links, deleted when it is resent.
CREATE INDEX invitation_tokens_invitation ON invitation_tokens (invitation_id);
INSERT INTO invitation_tokens (hash, invitation_id, created_at)
SELECT token_hash, id, COALESCE(sent_at, created_at) FROM invitations_0008 WHERE token_hash IS NOT NULL;
DROP TABLE invitations_0008;

-- Letters kept the plaintext token of their link until delivered. SQLite
-- rewrites every row without the column; the pages freed hold the old
-- bytes until the file is vacuumed (docs/deployment.md#backups).
ALTER TABLE messages DROP COLUMN token;
