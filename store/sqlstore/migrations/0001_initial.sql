-- Times are Unix milliseconds in UTC. Ids are integers that are never
-- reused. Flags are integers, 0 or 1.

CREATE TABLE accounts (
	id {{.PrimaryKey}},
	merchant_id TEXT NOT NULL,
	x_user_id TEXT NOT NULL UNIQUE,
	username TEXT NOT NULL,
	status TEXT NOT NULL,
	credentials {{.Blob}},
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

CREATE INDEX accounts_by_merchant ON accounts (merchant_id, id);

-- last_message_x_event_id breaks ties between messages created in the same
-- millisecond, as Messages orders them.
CREATE TABLE conversations (
	id {{.PrimaryKey}},
	merchant_id TEXT NOT NULL,
	account_id BIGINT NOT NULL REFERENCES accounts (id),
	participant_id TEXT NOT NULL,
	participant_username TEXT NOT NULL,
	last_message_at BIGINT NOT NULL,
	last_message_x_event_id TEXT {{.BinaryCollation}} NOT NULL,
	last_message_preview TEXT NOT NULL,
	UNIQUE (account_id, participant_id)
);

CREATE INDEX conversations_by_merchant ON conversations (merchant_id, last_message_at, id);
CREATE INDEX conversations_by_account ON conversations (account_id, last_message_at, id);

CREATE TABLE messages (
	id {{.PrimaryKey}},
	conversation_id BIGINT NOT NULL REFERENCES conversations (id),
	account_id BIGINT NOT NULL REFERENCES accounts (id),
	direction TEXT NOT NULL,
	x_event_id TEXT {{.BinaryCollation}} NOT NULL,
	sender_id TEXT NOT NULL,
	content TEXT NOT NULL,
	type TEXT NOT NULL,
	status TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (account_id, x_event_id)
);

CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at);

-- A relation's *_at column is the At of the change that set it, NULL until
-- one did.
CREATE TABLE contacts (
	account_id BIGINT NOT NULL REFERENCES accounts (id),
	x_user_id TEXT NOT NULL,
	username TEXT NOT NULL,
	following INTEGER NOT NULL,
	following_at BIGINT,
	blocked INTEGER NOT NULL,
	blocked_at BIGINT,
	muted INTEGER NOT NULL,
	muted_at BIGINT,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, x_user_id)
);

CREATE TABLE inbox_deliveries (
	id {{.PrimaryKey}},
	body {{.Blob}} NOT NULL,
	received_at BIGINT NOT NULL
);

-- available_at is when a pending row may be claimed (its retry time) or
-- when the lease of a processing row ends.
CREATE TABLE inbox_events (
	id {{.PrimaryKey}},
	delivery_id BIGINT NOT NULL REFERENCES inbox_deliveries (id),
	event_key TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,
	for_user_id TEXT NOT NULL,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL,
	available_at BIGINT NOT NULL,
	lease_owner TEXT NOT NULL,
	last_error TEXT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- Claim walks this index in id order; it holds only the rows that may be
-- claimable.
CREATE INDEX inbox_events_claimable ON inbox_events (id) WHERE status IN ('pending', 'processing');
