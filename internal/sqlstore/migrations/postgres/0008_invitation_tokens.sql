-- Issue 13 (D1): a copy of the database holds no working link. Every live
-- link of an invitation is a row here, by the SHA-256 hash of its token:
-- the one create, send and resend answer, and one per letter, minted when
-- the dispatcher claims the letter (links are never stored in plaintext,
-- not even while a letter waits). Resend deletes an invitation's rows and
-- adds the new one; renew keeps them.
CREATE TABLE invitation_tokens (
	hash          BYTEA PRIMARY KEY,
	invitation_id TEXT COLLATE "C" NOT NULL REFERENCES invitations (id),
	created_at    BIGINT NOT NULL
);
-- An invitation's links, deleted when it is resent.
CREATE INDEX invitation_tokens_invitation ON invitation_tokens (invitation_id);
INSERT INTO invitation_tokens (hash, invitation_id, created_at)
SELECT token_hash, id, COALESCE(sent_at, created_at) FROM invitations WHERE token_hash IS NOT NULL;
-- Dropping the column drops its unique index.
ALTER TABLE invitations DROP COLUMN token_hash;

-- Letters kept the plaintext token of their link until delivered. The
-- update writes every such row anew without it before the column goes
-- (DROP COLUMN alone only hides the values); the old row versions are
-- gone once the table is vacuumed (docs/deployment.md#backups).
UPDATE messages SET token = NULL WHERE token IS NOT NULL;
ALTER TABLE messages DROP COLUMN token;
