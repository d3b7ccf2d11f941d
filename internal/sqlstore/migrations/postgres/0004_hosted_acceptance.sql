-- The keys acceptance tickets are signed with (PKCS #8, DER). A rotated-out
-- key is retired, not deleted: it stays published until the tickets it
-- signed have expired.
CREATE TABLE signing_keys (
	id          TEXT COLLATE "C" PRIMARY KEY,
	algorithm   TEXT NOT NULL,
	private_key BYTEA NOT NULL,
	created_at  BIGINT NOT NULL,
	retired_at  BIGINT
);
-- At most one active key: instances that start together on an empty
-- database cannot both install one.
CREATE UNIQUE INDEX signing_keys_active ON signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;
-- The published keys: the active one and those retired recently.
CREATE INDEX signing_keys_retired ON signing_keys (retired_at);

-- What the hosted page vouches for when someone accepts on it: redeemed at
-- most once, before expires_at, by the host application. One per
-- invitation, because an invitation is accepted once.
CREATE TABLE acceptance_tickets (
	id            TEXT COLLATE "C" PRIMARY KEY,
	invitation_id TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES invitations (id),
	org_id        TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
	user_id       TEXT COLLATE "C" NOT NULL REFERENCES users (id),
	email         TEXT NOT NULL,
	name          TEXT NOT NULL DEFAULT '',
	roles         TEXT NOT NULL,
	audience      TEXT NOT NULL DEFAULT '',
	issued_at     BIGINT NOT NULL,
	expires_at    BIGINT NOT NULL,
	redeemed_at   BIGINT
);
