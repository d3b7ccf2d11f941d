-- Join links (issue 15): multi-use secret links into one organization.
-- The token is a secret like an invitation token: only its hash is stored,
-- and rotating the link replaces it. max_uses NULL is no limit but the
-- expiry; uses counts the people who joined through the link, each once
-- (join_link_uses).
CREATE TABLE join_links (
	id                    TEXT PRIMARY KEY,
	org_id                TEXT NOT NULL REFERENCES organizations (id),
	token_hash            BLOB NOT NULL UNIQUE,
	status                TEXT NOT NULL CHECK (status IN ('active', 'exhausted', 'revoked', 'expired')),
	roles                 TEXT NOT NULL,
	max_uses              INTEGER CHECK (max_uses > 0),
	uses                  INTEGER NOT NULL DEFAULT 0,
	allowed_email_domains TEXT NOT NULL DEFAULT '[]',
	require_approval      BOOLEAN NOT NULL DEFAULT FALSE,
	note                  TEXT NOT NULL DEFAULT '',
	redirect_url          TEXT NOT NULL DEFAULT '',
	audience              TEXT NOT NULL DEFAULT '',
	inviter_user_id       TEXT REFERENCES users (id),
	inviter_api_key_id    TEXT REFERENCES api_keys (id),
	inviter_name          TEXT NOT NULL DEFAULT '',
	created_at            INTEGER NOT NULL,
	updated_at            INTEGER NOT NULL,
	expires_at            INTEGER NOT NULL,
	last_used_at          INTEGER,
	rotated_at            INTEGER,
	revoked_at            INTEGER,
	exhausted_at          INTEGER,
	CHECK (max_uses IS NULL OR uses <= max_uses)
);
-- Keyset pages of one organization, newest first.
CREATE INDEX join_links_org ON join_links (org_id, id);
-- The sweeper: its cost follows what expired, not the table size.
CREATE INDEX join_links_active_expiry ON join_links (expires_at) WHERE status = 'active';

-- Who joined through which link: one row per person and link, so that a
-- second use by the same person changes nothing.
CREATE TABLE join_link_uses (
	link_id    TEXT NOT NULL REFERENCES join_links (id),
	user_id    TEXT NOT NULL REFERENCES users (id),
	created_at INTEGER NOT NULL,
	PRIMARY KEY (link_id, user_id)
);
