-- Send quotas shared by every process that uses the database. A call of
-- ReserveSend locks its key's row in send_quota_keys (an upsert), so calls
-- for one key run one at a time, then counts the key's rows in sends.
-- updated_at and sent_at are Unix milliseconds.
CREATE TABLE send_quota_keys (
	quota_key TEXT PRIMARY KEY,
	updated_at BIGINT NOT NULL
);

CREATE TABLE sends (
	id {{.PrimaryKey}},
	quota_key TEXT NOT NULL,
	sent_at BIGINT NOT NULL
);

-- ReserveSend counts, reads and deletes a key's sends by time through this
-- index.
CREATE INDEX sends_by_key ON sends (quota_key, sent_at);
