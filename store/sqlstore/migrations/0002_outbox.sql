-- The outbox of DMs to send. An outbound DM has no X event id until it is
-- sent, so messages.x_event_id becomes nullable: NULL until then, and the
-- UNIQUE (account_id, x_event_id) constraint allows any number of NULLs.
-- status_reason is X's error text for a failed, unknown or rescheduled DM.
{{if .DropNotNull}}
ALTER TABLE messages ALTER COLUMN x_event_id DROP NOT NULL;
ALTER TABLE messages ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
{{else}}
-- SQLite cannot drop a NOT NULL constraint, so the table is rebuilt. No
-- table refers to messages yet, so dropping it breaks no reference. The
-- AUTOINCREMENT counter moves to the new table, so that the ids of deleted
-- messages are not handed out again.
CREATE TABLE messages_new (
	id {{.PrimaryKey}},
	conversation_id BIGINT NOT NULL REFERENCES conversations (id),
	account_id BIGINT NOT NULL REFERENCES accounts (id),
	direction TEXT NOT NULL,
	x_event_id TEXT {{.BinaryCollation}},
	sender_id TEXT NOT NULL,
	content TEXT NOT NULL,
	type TEXT NOT NULL,
	status TEXT NOT NULL,
	status_reason TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (account_id, x_event_id)
);

INSERT INTO messages_new
	(id, conversation_id, account_id, direction, x_event_id, sender_id, content, type, status,
	 status_reason, created_at)
	SELECT id, conversation_id, account_id, direction, NULLIF(x_event_id, ''), sender_id, content,
		type, status, '', created_at
	FROM messages;

DELETE FROM sqlite_sequence WHERE name = 'messages_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'messages_new', seq FROM sqlite_sequence WHERE name = 'messages';

DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at);
{{end}}

-- RecordMessage looks for the queued DM that an echo matches among the
-- messages without an event id, which this index holds alone: by
-- conversation and content, oldest first.
CREATE INDEX messages_unsent ON messages (conversation_id, content, created_at, id) WHERE x_event_id IS NULL;

-- A row's id is the id of the message QueueMessage stored with it, so the
-- caller can claim the row of the message it got back. message_id is the
-- message the row sends now: MarkSent may exchange the messages of two rows
-- whose DMs have equal content. status is pending or sending while the row
-- is queued, then sent, failed or unknown. available_at is when a pending
-- row may be claimed, lease_until when a sending row's lease ends.
-- quick_replies is a JSON array of {"label", "description", "metadata"}.
CREATE TABLE outbox (
	id BIGINT PRIMARY KEY,
	message_id BIGINT NOT NULL REFERENCES messages (id),
	conversation_id BIGINT NOT NULL REFERENCES conversations (id),
	account_id BIGINT NOT NULL REFERENCES accounts (id),
	merchant_id TEXT NOT NULL,
	recipient_id TEXT NOT NULL,
	content TEXT NOT NULL,
	quick_replies TEXT NOT NULL,
	status TEXT NOT NULL,
	available_at BIGINT NOT NULL,
	lease_owner TEXT NOT NULL,
	lease_until BIGINT NOT NULL,
	attempts INTEGER NOT NULL,
	last_reason TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- ClaimOutbox walks this index in (available_at, id) order.
CREATE INDEX outbox_claimable ON outbox (available_at, id) WHERE status = 'pending';
-- ClaimOutbox finds the expired leases through this index.
CREATE INDEX outbox_leases ON outbox (lease_until) WHERE status = 'sending';
CREATE INDEX outbox_by_message ON outbox (message_id);
CREATE INDEX outbox_by_account ON outbox (account_id);
