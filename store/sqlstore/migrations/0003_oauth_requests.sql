-- Pending 3-legged OAuth authorizations, one row per request token that a
-- merchant's flow obtained from X and that X has not redirected back yet.
-- sealed_secret is the request token secret, encrypted by the service.
-- created_at and expires_at are Unix milliseconds; a row can be taken while
-- the time is before expires_at, and expired rows are deleted.
CREATE TABLE oauth_requests (
	token TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	sealed_secret {{.Blob}} NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);

-- PutOAuthRequest and TakeOAuthRequest delete the expired rows through this
-- index.
CREATE INDEX oauth_requests_by_expiry ON oauth_requests (expires_at);
