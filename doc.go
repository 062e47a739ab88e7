// Package xactivity is the root of an SDK for X's Account Activity API, X
// Activity API webhooks and Direct Messages. The root package holds only
// this overview; the work is done by its packages, each usable on its own.
//
// # Packages
//
//   - crc answers X's challenge-response check (CRC) and refuses to sign
//     tokens that could be a forged delivery body.
//   - webhook verifies delivery signatures over the raw body in constant
//     time, with several secrets during a rotation, and provides the
//     http.Handler for the webhook URL: GET is the CRC, POST hands verified
//     bodies to a Receiver whose result decides whether X retries.
//   - accountactivity decodes deliveries of both body families (the Account
//     Activity body with for_user_id and *_events arrays, and the X Activity
//     API envelope) into typed events, derives deduplication keys, and
//     dispatches events to typed handlers.
//   - store defines the persistence contracts of a service (accounts,
//     conversations, messages, contacts, the webhook inbox) with an
//     in-memory implementation; store/sqlstore implements them over
//     database/sql, and store/storetest is the conformance suite.
//   - xtest is a fake X API server for tests: it checks OAuth 1.0a
//     signatures as X does and serves the endpoints the SDK calls.
//
// # Receiving webhooks
//
// The path of one delivery through a service built on the SDK:
//
//	X → webhook.Handler (size limit, signature) → Receiver stores the raw
//	body in a durable inbox → 200 to X → a worker decodes the stored body
//	with accountactivity and applies each event idempotently
//
// Acknowledge a delivery only after it is committed: X retries what was not
// acknowledged, and event keys make the redelivered copies harmless.
//
// The examples module (github.com/goodgo/xactivity/examples) assembles these
// packages into a complete service, mktx-service, and an operators' CLI,
// xactivity.
//
// # Errors
//
// The API clients return *APIError when X refuses a call, in either API
// generation's error shape, and *RequestError when a call got no response.
// IsPermanent and IsRetryable sort both into never-retry and retry-later;
// on a 429, errors.As also finds the *ratelimit.Error with the reset time.
package xactivity
