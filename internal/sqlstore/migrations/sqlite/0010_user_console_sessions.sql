-- Console sessions for user access tokens too (issue 13): a session stands
-- for an API key (api_key_id) or for the user of an access token
-- (user_external_id, the token's subject, and identity, its claims as a
-- user's JSON), never both. SQLite cannot drop a NOT NULL, so the table is
-- made again; sessions are short-lived, and dropping them signs every
-- console out once.
DROP TABLE console_sessions;
CREATE TABLE console_sessions (
	id               TEXT PRIMARY KEY,
	api_key_id       TEXT REFERENCES api_keys (id) ON DELETE CASCADE,
	user_external_id TEXT,
	identity         TEXT,
	secret_hash      BLOB NOT NULL UNIQUE,
	created_at       INTEGER NOT NULL,
	last_seen_at     INTEGER NOT NULL,
	expires_at       INTEGER NOT NULL,
	CHECK ((api_key_id IS NULL) <> (user_external_id IS NULL))
);
-- A credential's sessions, newest first.
CREATE INDEX console_sessions_key ON console_sessions (api_key_id, id);
CREATE INDEX console_sessions_user ON console_sessions (user_external_id, id);
-- The sweeper's purge of ended sessions.
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
