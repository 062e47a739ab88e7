-- withdrawn_as is the state that a queued recipient takes, opted_out or
-- cancelled, when an opt-out or a cancellation found its DM being sent and
-- the sender then returns the DM to the queue: Reschedule settles such a
-- DM as failed instead. It is '' for a recipient that nothing withdrew.
ALTER TABLE campaign_recipients ADD COLUMN withdrawn_as TEXT NOT NULL DEFAULT '';

-- expires_at is the time, in Unix milliseconds, after which no limit of
-- the key counts any of its recorded sends: the latest of the calls' now
-- plus their longest Per. ReserveSend deletes the keys whose time has
-- passed, with their sends, now and then. Keys stored before this column
-- existed keep NULL until their next ReserveSend call.
ALTER TABLE send_quota_keys ADD COLUMN expires_at BIGINT;

CREATE INDEX send_quota_keys_expiry ON send_quota_keys (expires_at);
