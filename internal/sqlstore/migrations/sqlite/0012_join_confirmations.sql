-- Joining through a link on the hosted page (issue 15): the page writes to
-- the address given, and following the letter's link proves it. The
-- secret of that link is stored only as a hash, and only from the moment
-- the letter is claimed for delivery: until then secret_hash is NULL, and
-- message_id names the letter that will carry it. link_token_hash is the
-- join link's token hash when the confirmation was asked for: a rotated
-- link no longer matches it, so its pending confirmations open nothing.
CREATE TABLE join_confirmations (
	id              TEXT PRIMARY KEY,
	link_id         TEXT NOT NULL REFERENCES join_links (id),
	link_token_hash BLOB NOT NULL,
	message_id      TEXT NOT NULL UNIQUE REFERENCES messages (id),
	secret_hash     BLOB UNIQUE,
	email           TEXT NOT NULL,
	name            TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL,
	confirmed_at    INTEGER
);
-- The letters an address was sent in the last hour.
CREATE INDEX join_confirmations_email ON join_confirmations (email, created_at);

-- A ticket tells of an accepted invitation or of a join through a link:
-- invitation_id becomes optional beside the new join_link_id, one of them
-- set. SQLite cannot drop NOT NULL, so the table is rebuilt; nothing
-- references it.
CREATE TABLE acceptance_tickets_0012 (
	id            TEXT PRIMARY KEY,
	invitation_id TEXT UNIQUE REFERENCES invitations (id),
	join_link_id  TEXT REFERENCES join_links (id),
	org_id        TEXT NOT NULL REFERENCES organizations (id),
	user_id       TEXT NOT NULL REFERENCES users (id),
	email         TEXT NOT NULL,
	name          TEXT NOT NULL DEFAULT '',
	roles         TEXT NOT NULL,
	audience      TEXT NOT NULL DEFAULT '',
	issued_at     BIGINT NOT NULL,
	expires_at    BIGINT NOT NULL,
	redeemed_at   BIGINT,
	CHECK ((invitation_id IS NULL) <> (join_link_id IS NULL))
);
INSERT INTO acceptance_tickets_0012 (id, invitation_id, org_id, user_id, email, name, roles, audience, issued_at, expires_at, redeemed_at)
SELECT id, invitation_id, org_id, user_id, email, name, roles, audience, issued_at, expires_at, redeemed_at FROM acceptance_tickets;
DROP TABLE acceptance_tickets;
ALTER TABLE acceptance_tickets_0012 RENAME TO acceptance_tickets;
