-- Connection profiles (issue 6): what an activated app invite leaves in
-- the organization, one per invite. The platform's tokens are sealed with
-- the configured encryption keys, each for its own row and column (the
-- contexts "profile:<id>:access_token" and "profile:<id>:refresh_token"),
-- and deleted when the profile is archived: an active profile holds an
-- access token, an archived one no token at all. scopes is the JSON list
-- the platform granted. refresh_lease_until is held by the instance
-- renewing the token, so that one renewal runs at a time.
CREATE TABLE profiles (
	id                   TEXT COLLATE "C" PRIMARY KEY,
	org_id               TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
	app_id               TEXT COLLATE "C" NOT NULL REFERENCES apps (id),
	app_invite_id        TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES app_invites (id),
	status               TEXT NOT NULL CHECK (status IN ('active', 'archived')),
	external_account_id  TEXT NOT NULL DEFAULT '',
	scopes               TEXT NOT NULL,
	token_type           TEXT NOT NULL DEFAULT '',
	access_token_sealed  TEXT,
	refresh_token_sealed TEXT,
	token_expires_at     BIGINT,
	refresh_lease_until  BIGINT,
	created_at           BIGINT NOT NULL,
	updated_at           BIGINT NOT NULL,
	archived_at          BIGINT,
	CHECK ((status = 'active') = (access_token_sealed IS NOT NULL)),
	CHECK (status = 'active' OR refresh_token_sealed IS NULL)
);
-- Keyset pages of one organization, newest first.
CREATE INDEX profiles_org ON profiles (org_id, id);
-- The app filter of the list.
CREATE INDEX profiles_app ON profiles (app_id, id);

-- Started authorizations of app invites: the OAuth state sent to the
-- platform, bound to the browser that started it, until the platform
-- sends the partner back. Both are secrets; only their hashes are stored.
-- A row is deleted when it is used, and with the rest of its invite's when
-- the invite moves on.
CREATE TABLE oauth_states (
	state_hash    BYTEA PRIMARY KEY,
	app_invite_id TEXT COLLATE "C" NOT NULL REFERENCES app_invites (id),
	browser_hash  BYTEA NOT NULL,
	created_at    BIGINT NOT NULL,
	expires_at    BIGINT NOT NULL
);
-- An invite's open authorizations, counted against their cap, and its
-- expired ones, cleared.
CREATE INDEX oauth_states_invite ON oauth_states (app_invite_id, expires_at);
