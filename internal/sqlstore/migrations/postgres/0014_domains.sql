-- Verified email domains (issue 15): an organization's claim to an email
-- domain, proved by a DNS TXT record holding token (or vouched for by a
-- system admin: verification_method). The token is stored as is: the
-- check compares the published value with it, and it grants nothing by
-- itself. roles are what the policies auto and request grant.
CREATE TABLE domains (
	id                    TEXT COLLATE "C" PRIMARY KEY,
	org_id                TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
	domain                TEXT NOT NULL,
	status                TEXT NOT NULL CHECK (status IN ('pending', 'verified')),
	policy                TEXT NOT NULL CHECK (policy IN ('off', 'suggest', 'request', 'auto')),
	roles                 TEXT NOT NULL,
	allow_privileged      BOOLEAN NOT NULL DEFAULT FALSE,
	token                 TEXT NOT NULL,
	verification_method   TEXT NOT NULL DEFAULT '' CHECK (verification_method IN ('', 'dns', 'admin')),
	created_by_user_id    TEXT COLLATE "C" REFERENCES users (id),
	created_by_api_key_id TEXT COLLATE "C" REFERENCES api_keys (id),
	created_by_name       TEXT NOT NULL DEFAULT '',
	created_at            BIGINT NOT NULL,
	updated_at            BIGINT NOT NULL,
	verified_at           BIGINT,
	-- One claim per organization and domain.
	UNIQUE (org_id, domain)
);
-- A domain is verified by at most one organization; pending claims by
-- several may wait beside it. Also how a person's address finds the
-- organization that verified its domain.
CREATE UNIQUE INDEX domains_verified ON domains (domain) WHERE status = 'verified';
-- Keyset pages of one organization, newest first.
CREATE INDEX domains_org ON domains (org_id, id);
