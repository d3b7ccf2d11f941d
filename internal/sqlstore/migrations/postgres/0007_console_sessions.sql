-- Console sessions (issue 13): the console's cookie holds a session
-- secret, and only its hash is stored here, with the API key it stands
-- for. A session ends idle 30 minutes after last_seen_at or at
-- expires_at; its rows are deleted at sign-out, when ended from the list,
-- when found expired and when the key is revoked.
CREATE TABLE console_sessions (
	id           TEXT COLLATE "C" PRIMARY KEY,
	api_key_id   TEXT COLLATE "C" NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
	secret_hash  BYTEA NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL
);
-- A key's sessions, newest first.
CREATE INDEX console_sessions_key ON console_sessions (api_key_id, id);
