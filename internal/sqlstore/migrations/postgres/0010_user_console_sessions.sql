-- Console sessions for user access tokens too (issue 13): a session stands
-- for an API key (api_key_id) or for the user of an access token
-- (user_external_id, the token's subject, and identity, its claims as a
-- user's JSON), never both.
ALTER TABLE console_sessions ALTER COLUMN api_key_id DROP NOT NULL;
ALTER TABLE console_sessions ADD COLUMN user_external_id TEXT COLLATE "C";
ALTER TABLE console_sessions ADD COLUMN identity TEXT;
ALTER TABLE console_sessions ADD CONSTRAINT console_sessions_one_credential
	CHECK ((api_key_id IS NULL) <> (user_external_id IS NULL));
-- A user's sessions, newest first.
CREATE INDEX console_sessions_user ON console_sessions (user_external_id, id);
-- The sweeper's purge of ended sessions.
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
