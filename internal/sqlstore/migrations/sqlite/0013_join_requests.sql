-- Join requests (issue 15): a person asks to join an organization and an
-- admin decides. via says how the request came about: the person asked
-- (user), a join link that requires approval (join_link, join_link_id
-- set), or a verified domain with the policy request (domain). roles are
-- what an approval grants unless the approver chooses others.
CREATE TABLE join_requests (
	id                    TEXT PRIMARY KEY,
	org_id                TEXT NOT NULL REFERENCES organizations (id),
	user_id               TEXT NOT NULL REFERENCES users (id),
	status                TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
	via                   TEXT NOT NULL CHECK (via IN ('user', 'join_link', 'domain')),
	join_link_id          TEXT REFERENCES join_links (id),
	domain                TEXT NOT NULL DEFAULT '',
	roles                 TEXT NOT NULL,
	message               TEXT NOT NULL DEFAULT '',
	decision_note         TEXT NOT NULL DEFAULT '',
	decided_by_user_id    TEXT REFERENCES users (id),
	decided_by_api_key_id TEXT REFERENCES api_keys (id),
	decided_by_name       TEXT NOT NULL DEFAULT '',
	created_at            INTEGER NOT NULL,
	updated_at            INTEGER NOT NULL,
	expires_at            INTEGER NOT NULL,
	approved_at           INTEGER,
	denied_at             INTEGER
);
-- One pending request per person and organization.
CREATE UNIQUE INDEX join_requests_pending ON join_requests (org_id, user_id) WHERE status = 'pending';
-- Keyset pages of one organization, newest first.
CREATE INDEX join_requests_org ON join_requests (org_id, id);
-- The sweeper: its cost follows what expired, not the table size.
CREATE INDEX join_requests_pending_expiry ON join_requests (expires_at) WHERE status = 'pending';
