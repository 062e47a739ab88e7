-- DM campaigns. A campaign sends content, with quick_replies (a JSON array
-- as in outbox.quick_replies), from one account to each of its recipients.
-- status is running, completed or cancelled; finished_at is 0 while the
-- campaign runs.
CREATE TABLE campaigns (
	id {{.PrimaryKey}},
	merchant_id TEXT NOT NULL,
	account_id BIGINT NOT NULL REFERENCES accounts (id),
	name TEXT NOT NULL,
	content TEXT NOT NULL,
	quick_replies TEXT NOT NULL,
	status TEXT NOT NULL,
	recipients INTEGER NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	finished_at BIGINT NOT NULL
);

CREATE INDEX campaigns_by_merchant ON campaigns (merchant_id, created_at, id);
CREATE INDEX campaigns_by_account ON campaigns (account_id);
-- RunningCampaigns walks this index in id order.
CREATE INDEX campaigns_running ON campaigns (id) WHERE status = 'running';

-- One row per recipient of a campaign: the UNIQUE constraint stores an X
-- user once per campaign, and outbox_id links a row to one DM at most.
-- status is pending, then opted_out or skipped, or queued once its DM is
-- in the outbox (outbox_id) since started_at. A queued row becomes settled
-- when its outbox row leaves the queue; the DM's message then tells
-- whether it was sent. Withdrawn rows become opted_out or cancelled.
CREATE TABLE campaign_recipients (
	id {{.PrimaryKey}},
	campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
	account_id BIGINT NOT NULL REFERENCES accounts (id),
	x_user_id TEXT NOT NULL,
	status TEXT NOT NULL,
	outbox_id BIGINT UNIQUE REFERENCES outbox (id),
	started_at BIGINT,
	updated_at BIGINT NOT NULL,
	UNIQUE (campaign_id, x_user_id)
);

-- StartRecipients takes a campaign's pending rows in id order, which is
-- the order the recipients were given, and counts its queued rows.
CREATE INDEX campaign_recipients_by_status ON campaign_recipients (campaign_id, status, id);
-- The daily contacts limit counts an account's starts by time.
CREATE INDEX campaign_recipients_started ON campaign_recipients (account_id, started_at)
	WHERE started_at IS NOT NULL;
-- ApplyOptOut finds the rows of one contact of an account.
CREATE INDEX campaign_recipients_by_contact ON campaign_recipients (account_id, x_user_id);

-- What keeps a contact of an account out of campaigns. opted_out is 1 after
-- an opt-out; opt_out_at is the time of the opt-out or opt-in change last
-- applied, NULL until one was. undeliverable is X's reason for rejecting DMs
-- to the contact for good, '' while it is deliverable.
CREATE TABLE suppressions (
	account_id BIGINT NOT NULL REFERENCES accounts (id),
	x_user_id TEXT NOT NULL,
	opted_out INTEGER NOT NULL,
	opt_out_at BIGINT,
	undeliverable TEXT NOT NULL,
	undeliverable_at BIGINT,
	PRIMARY KEY (account_id, x_user_id)
);
