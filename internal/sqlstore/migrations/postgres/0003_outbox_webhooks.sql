-- Webhook endpoints: an organization's (org_id set) or system-wide (NULL).
-- The signing secret is kept as it is, because signing needs it. Deleting
-- an endpoint sets deleted_at, so that its deliveries keep their history.
CREATE TABLE webhooks (
	id          TEXT COLLATE "C" PRIMARY KEY,
	org_id      TEXT COLLATE "C" REFERENCES organizations (id),
	url         TEXT NOT NULL,
	events      TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	secret      TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	deleted_at  BIGINT
);
CREATE INDEX webhooks_org ON webhooks (org_id, id) WHERE deleted_at IS NULL;

-- The transactional outbox: messages written in the transaction of the
-- change they tell of, delivered at least once by the dispatcher.
-- next_attempt_at is set while pending; claiming a message moves it past
-- the lease, so that a dispatcher that dies leaves the message due again.
-- token is the plaintext link secret of a letter until it is delivered.
CREATE TABLE messages (
	id              TEXT COLLATE "C" PRIMARY KEY,
	org_id          TEXT COLLATE "C",
	channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
	kind            TEXT NOT NULL,
	recipient       TEXT NOT NULL,
	invitation_id   TEXT COLLATE "C",
	webhook_id      TEXT COLLATE "C",
	status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead', 'cancelled')),
	letter          TEXT,
	token           TEXT,
	payload         TEXT,
	attempt_count   INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	due_at          BIGINT NOT NULL,
	next_attempt_at BIGINT,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	delivered_at    BIGINT
);
-- What the dispatcher claims: only pending messages are in it.
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX messages_org ON messages (org_id, id);
CREATE INDEX messages_webhook ON messages (webhook_id, id) WHERE webhook_id IS NOT NULL;
-- The reminders of an invitation, rescheduled when it is renewed.
CREATE INDEX messages_invitation ON messages (invitation_id) WHERE invitation_id IS NOT NULL AND status = 'pending';

CREATE TABLE message_attempts (
	message_id  TEXT COLLATE "C" NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	attempt     INTEGER NOT NULL,
	at          BIGINT NOT NULL,
	duration_ms BIGINT NOT NULL,
	error       TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (message_id, attempt)
);

-- The history of one resource, such as the resends of an invitation that
-- its daily limit counts.
CREATE INDEX audit_events_resource_id ON audit_events (resource_id, action, created_at);
