-- Joining through a link on the hosted page (issue 15): the page writes to
-- the address given, and following the letter's link proves it. The
-- secret of that link is stored only as a hash, and only from the moment
-- the letter is claimed for delivery: until then secret_hash is NULL, and
-- message_id names the letter that will carry it. link_token_hash is the
-- join link's token hash when the confirmation was asked for: a rotated
-- link no longer matches it, so its pending confirmations open nothing.
CREATE TABLE join_confirmations (
	id              TEXT COLLATE "C" PRIMARY KEY,
	link_id         TEXT COLLATE "C" NOT NULL REFERENCES join_links (id),
	link_token_hash BYTEA NOT NULL,
	message_id      TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES messages (id),
	secret_hash     BYTEA UNIQUE,
	email           TEXT NOT NULL,
	name            TEXT NOT NULL,
	created_at      BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL,
	confirmed_at    BIGINT
);
-- The letters an address was sent in the last hour.
CREATE INDEX join_confirmations_email ON join_confirmations (email, created_at);

-- A ticket tells of an accepted invitation or of a join through a link:
-- invitation_id becomes optional beside the new join_link_id, one of them
-- set.
ALTER TABLE acceptance_tickets
	ALTER COLUMN invitation_id DROP NOT NULL,
	ADD COLUMN join_link_id TEXT COLLATE "C" REFERENCES join_links (id),
	ADD CHECK ((invitation_id IS NULL) <> (join_link_id IS NULL));
