// Package xtest is a fake X API server for tests. It checks OAuth 1.0a
// signatures the way X does, serves responses from an in-memory registry of apps and
// users, and records every request so a test can inspect what its client
// sent. It never sleeps while it serves a request, and its clock can be
// replaced: with a manual Clock, its background work, such as X's delivery
// retries and periodic CRC checks, runs at exact and repeatable times.
//
// # Starting a server
//
// NewServer starts a server on a loopback address, as httptest.NewServer
// does; URL returns its address and Close stops it. New returns a server
// that is not listening yet. Because a Server is an http.Handler, a command
// can also serve it on an address of its choice:
//
//	srv := xtest.New()
//	app, user, err := srv.AddDemo()
//	...
//	err = http.ListenAndServe("127.0.0.1:8080", srv)
//
// Behind a proxy or TLS terminator, WithBaseURL sets the URL that clients
// sign their requests for.
//
// # Apps and users
//
// AddApp registers an app with its consumer key and secret and its bearer
// token. AddUser registers a user and the OAuth 1.0a access token and token
// secret the user granted to one app. Ids are decimal strings and may exceed
// 2^53. Fields left empty are filled with generated, obviously fake values.
// AddDemo registers a fixed demo app and the demo user @shop_demo.
//
// Server.Client returns an *http.Client that signs requests with
// github.com/dghubble/oauth1 for a given app and user.
//
// # Authentication
//
// Every endpoint that acts for a user requires an OAuth 1.0a HMAC-SHA1
// signature over the method, the base URL, the query, a form body and the
// protocol parameters, keyed by the app's consumer secret and the user's
// token secret. The protocol parameters may be sent in the Authorization
// header, the query or a form body. The server rejects an unknown consumer
// key, a token not granted to that app, a wrong signature, an oauth_timestamp
// further from its clock than the window (5 minutes unless set with
// WithTimestampWindow), and a nonce already used with the same consumer key
// and token within that window. A rejected request gets status 401 with X's body:
// error code 32, or 135 for a timestamp outside the window, on v1.1 routes,
// and the "Unauthorized" problem JSON on v2 routes. The Date header of every
// response comes from the server's clock, so a client can detect clock skew.
//
// The webhook, subscription and replay endpoints also take an app-only
// bearer token, "Authorization: Bearer " followed by App.BearerToken. A
// missing or unknown bearer token gets the same 401 problem. An endpoint
// that X serves only with a bearer token answers an OAuth 1.0a request with
// X's 403 unsupported-authentication problem, and an endpoint that X serves
// only in user context answers a bearer token the same way.
//
// The v1.1 Account Activity endpoints reject the wrong kind of
// authentication with X's v1.1 errors instead: a bearer token on an endpoint
// that requires user context gets 403 with code 220, or code 261 when it
// registers a webhook, and OAuth 1.0a user context on an endpoint that
// requires a bearer token gets 401 with code 32.
//
// Request.AuthError in Server.Requests tells a test why its request was
// rejected, since X's answer does not.
//
// # Endpoints
//
//   - GET /2/users/me returns {"data":{"id","name","username"}}. The
//     user.fields parameter is accepted and ignored.
//   - GET /1.1/account/verify_credentials.json returns the v1.1 user object
//     with id (a JSON number), id_str, name and screen_name.
//
// Any other route returns 404: error code 34 under /1.1/ and the "Not Found"
// problem JSON elsewhere.
//
// # Three-legged OAuth
//
// POST /oauth/request_token, signed with the consumer key and no token,
// takes oauth_callback (an absolute URL or "oob") and returns a form-encoded
// oauth_token, oauth_token_secret and oauth_callback_confirmed=true. The
// request token expires 15 minutes later by the server's clock.
// SetCallbackURLs limits the callbacks an app may use, as X's app settings
// do; another one gets X's 403 error code 415. Server.Approve and
// Server.Deny act as the user on X's authorization page and return the
// callback URL that X redirects to. GET /oauth/authorize and
// /oauth/authenticate serve that page for demos: it lists the app's users as
// approve links, and the fake-only parameter user_id approves at once with
// a 302 to the callback. POST /oauth/access_token, signed with the request
// token and its secret, checks oauth_verifier and returns the approving
// user's existing access token, its secret, user_id and screen_name. A
// request token can be exchanged once. Errors of these endpoints use the
// v1.1 errors array.
//
// # Direct Messages
//
// Every registered user can send DMs to every other one, through these
// endpoints, all in OAuth 1.0a user context:
//
//   - POST /2/dm_conversations/with/{participant_id}/messages,
//     POST /2/dm_conversations/{dm_conversation_id}/messages and
//     POST /2/dm_conversations (a group of 2 to 49 other participants)
//     take {"text"} and/or {"attachments":[{"media_id"}]} and return 201
//     {"data":{"dm_conversation_id","dm_event_id"}}.
//   - GET /2/dm_events, GET /2/dm_conversations/with/{participant_id}/dm_events
//     and GET /2/dm_conversations/{id}/dm_events list events newest first,
//     with max_results (1 to 100, default 100), pagination_token,
//     event_types, dm_event.fields, expansions (sender_id and
//     participant_ids fill includes.users) and user.fields. meta.next_token
//     is present only while more events remain.
//   - GET /2/dm_events/{event_id} returns one event, and
//     DELETE /2/dm_events/{event_id} deletes one the user sent, for that
//     user only: {"data":{"deleted":true}}.
//   - POST /1.1/direct_messages/events/new.json takes a message_create event
//     with text, quick_reply, attachment and ctas, and returns it in the
//     v1.1 shape. GET .../events/list.json (count up to 50, cursor),
//     GET .../events/show.json?id= and DELETE .../events/destroy.json?id=
//     (204) read and delete one-to-one messages.
//   - POST /1.1/direct_messages/indicate_typing.json and mark_read.json take
//     form parameters and return 204; Server.Indicators records them.
//   - POST, GET and DELETE under /1.1/direct_messages/welcome_messages/
//     (new, list, show, destroy) and .../welcome_messages/rules/ manage
//     welcome messages and the one rule a user may have.
//
// Event ids are decimal strings above 2^53 that increase with every event,
// and timestamps come from the server's clock. A one-to-one conversation id
// is the two user ids joined by "-", the numerically smaller first. Events
// older than 30 days by that clock are no longer listed. v2 and v1.1 share
// the events, but v1.1 sees only one-to-one messages.
//
// An invalid v2 request gets X's invalid-request problem with an errors
// array, and an unknown user or conversation gets X's resource-not-found
// problem. A v1.1 request gets X's errors array with X's codes. The message
// texts are the fake's own.
//
// SetDMRefusal makes a user reject DMs with v1.1 code 150 or 349, and
// SetMessageRequestsBlocked makes a sender's DMs fail with code 476. The v2
// sends get a 403 problem in these cases. WithEmptyPages makes listings
// respond with an empty page and a next token before each page of events.
//
// # Inspecting and breaking DM sends
//
// Server.SentDMs lists every DM the server accepted, with sender, recipient
// or conversation, text, media, quick replies, buttons, API generation, time
// and event id. FailNextDM responds to the next send with a given status and
// body instead of sending it. DropResponseAfterSend accepts the next send
// and then closes the connection without a response, so a client can be
// tested on a DM whose outcome it cannot know.
//
// # Webhooks and subscriptions
//
// These v2 endpoints manage an app's webhooks. B marks the app-only bearer
// token, and U the OAuth 1.0a user context.
//
//   - POST /2/webhooks (B or U) takes {"url"}, sends a real CRC check,
//     GET url?crc_token=..., to the URL and registers the webhook only when
//     the answer is 200 with the right {"response_token":"sha256=..."}
//     within the CRC timeout (10 seconds unless set with WithCRCTimeout).
//     Redirects are not followed. It returns {"data":{"id","url","valid",
//     "created_at"}}. The URL must use https, name no port and be at most
//     200 characters long; WithInsecureWebhooks also allows http and ports,
//     as httptest servers need.
//   - GET /2/webhooks (B) lists the app's webhooks with meta.result_count.
//   - PUT /2/webhooks/{webhook_id} (B or U) runs the CRC check again and
//     returns {"data":{"valid":true}} or false, which the webhook keeps.
//   - DELETE /2/webhooks/{webhook_id} (B or U) returns
//     {"data":{"deleted":true}}.
//   - POST and GET /2/account_activity/webhooks/{webhook_id}/subscriptions/all
//     (U) subscribe the user and report whether the user is subscribed.
//   - GET .../subscriptions/all/list (B) lists the subscribed user ids,
//     DELETE .../subscriptions/{user_id}/all (B) removes one, and
//     GET /2/account_activity/subscriptions/count (B) counts them, with the
//     counts as strings as X sends them.
//
// A failure gets a 400 invalid-request problem whose error message starts
// with the reason X documents: CrcValidationFailed, UrlValidationFailed,
// DuplicateUrlFailed, WebhookLimitExceeded (more than 1 webhook per app
// unless set with WithWebhookLimit), WebhookIdInvalid,
// DuplicateSubscriptionFailed, SubscriptionLimitExceeded (more than 3
// subscriptions per app unless set with WithSubscriptionLimit),
// SubscriptionNotFound and QueryParamInvalid. Server.Webhooks lists an app's
// webhooks, and Server.InvalidateWebhook marks one invalid as X does after
// failed periodic CRC checks.
//
// # Webhooks and subscriptions on v1.1
//
// The v1.1 Enterprise and Premium endpoints manage the same webhooks and
// subscriptions as v2, so a webhook registered through one generation is
// listed, validated and deleted through the others. Under
// /1.1/account_activity/, Enterprise serves:
//
//   - POST webhooks.json?url= (U) registers a webhook after a CRC check, as
//     v2 does, and returns {"id","url","valid","created_timestamp",
//     "created_at"}, with created_timestamp in the form
//     "2016-06-02 23:54:02 +0000". The url may also come as a form
//     parameter. Any user of the app may register.
//   - GET webhooks.json (B) returns the app's webhooks as a JSON array.
//   - PUT webhooks/{webhook_id}.json (U) runs the CRC check again and
//     returns 204, or code 214 and marks the webhook invalid.
//     DELETE webhooks/{webhook_id}.json (U) returns 204.
//   - POST and GET webhooks/{webhook_id}/subscriptions/all.json (U)
//     subscribe the user and check the subscription: 204, or 404 with code
//     34 for a user who is not subscribed.
//   - GET webhooks/{webhook_id}/subscriptions/all/list.json (B) returns
//     {"webhook_id","webhook_url","application_id","subscriptions":[{"user_id"}]}.
//   - DELETE webhooks/{webhook_id}/subscriptions/{user_id}/all.json (B)
//     returns 204. In user context, which X does not document here, a user
//     may delete only their own subscription and gets code 348 otherwise.
//   - GET subscriptions/count.json (B) returns {"account_name",
//     "subscriptions_count_all","subscriptions_count_direct_messages",
//     "provisioned_count"} with the counts as strings.
//
// Premium serves the same under all/{env_name}/: POST and GET
// all/{env_name}/webhooks.json, PUT and DELETE
// all/{env_name}/webhooks/{webhook_id}.json, POST and GET
// all/{env_name}/subscriptions.json, GET
// all/{env_name}/subscriptions/list.json (with "environment" in place of
// the webhook's id and URL), DELETE
// all/{env_name}/subscriptions/{user_id}.json, GET
// all/subscriptions/count.json (without provisioned_count) and GET
// all/webhooks.json, which returns {"environments":[{"environment_name",
// "webhooks":[...]}]}. Premium webhooks carry created_timestamp only.
// Server.AddEnvironment gives an app an environment. Names are
// case-sensitive, and a name the app does not have gets 403 with code 200.
// An environment contains one webhook, which does not count against
// WithWebhookLimit.
//
// The v1.1 CRC check waits 3 seconds unless set with WithCRCTimeout, and
// its failures get 403 with code 214 and X's message for the case: "High
// latency on CRC GET request...", "Non-200 response code during CRC GET
// request..." (also for a redirect or no response) or "Webhook URL does not
// meet the requirements. Invalid CRC token or json response format.". An
// invalid or already registered URL gets code 214 with "Webhook URL does
// not meet the requirements.", and a webhook or subscription beyond the
// limits "Too many resources already created.". An unknown webhook gets 404
// with code 34, and an existing subscription 409 with code 355.
//
// # Deliveries and replays
//
// Server.Deliver posts a body to a webhook signed as X signs it, in the
// x-twitter-webhooks-signature header, and records it; Server.Deliveries
// lists what was sent. An invalid webhook gets nothing, but the delivery is
// still recorded. Server.DeliverDM stores a DM between two users and
// delivers its direct_message_events body to the webhooks of each
// subscribed participant, the sender's copy being the echo. A one-to-one DM
// sent through the DM endpoints of either API generation is delivered the
// same way, before the send's response, with its text only; group DMs are
// not delivered.
//
// POST /2/webhooks/replay (B) takes {"webhook_id","from_date","to_date"} in
// UTC minutes, yyyymmddhhmm, both within the last 24 hours of the server's
// clock, and returns {"data":{"job_id","created_at"}}. The job then runs in
// its own goroutine: it sends every recorded delivery of that window again
// and finishes with a replay_job_status delivery, Complete or, when a
// delivery got no 200 answer, Incomplete. A second replay of the same
// webhook while one runs gets a 409 problem naming ReplayConflictError.
// Server.WaitReplays waits for running jobs, so tests need not sleep.
//
// POST /1.1/account_activity/replay/webhooks/{webhook_id}/subscriptions/all.json
// (B) takes from_date (inclusive) and to_date (exclusive) in the query,
// within the last 5 days, starts the same job and returns 202 with
// {"job_id","created_at"}. Its errors are X's v1.1 codes: 356, 357, 358 and
// 368 for the dates, 34 for an unknown webhook, 214 for an invalid one and
// 355 with status 409 while a replay of the webhook runs.
//
// # Simulated world
//
// The X Activity API subscriptions are managed under /2/activity/subscriptions,
// and their responses follow X's OpenAPI description:
//
//   - POST (B or U) takes {"event_type","filter":{"user_id"|"keyword",
//     "direction"},"tag","webhook_id"} and returns {"data":{"subscription":
//     {"subscription_id","event_type","filter","tag","webhook_id",
//     "created_at","updated_at"}}}. Exactly one of user_id and keyword is
//     required, direction is inbound or outbound, and the tag has 1 to 200
//     characters. Private event types (dm.*, chat.*, like.*, mute.*,
//     block.* and post.mention.create) need the user context of the user
//     the filter names: a bearer token gets X's 403
//     unsupported-authentication problem, and another user's context a 403
//     not-authorized-for-resource problem.
//   - GET (B or U) lists the app's subscriptions in creation order, 1000
//     per page unless set with max_results or WithActivityPageSize, with
//     meta.total_subscriptions and, while more remain, meta.next_token for
//     pagination_token.
//   - PUT /2/activity/subscriptions/{id} (B) takes {"tag"} and/or
//     {"webhook_id"}; DELETE /2/activity/subscriptions/{id} (B) returns
//     {"data":{"deleted":true}}.
//   - DELETE /2/activity/subscriptions?ids= (B) deletes up to 100 ids,
//     lists the deleted ones in data, the others in errors with the reason
//     SubscriptionNotFound, and the count left in meta.total_subscriptions.
//
// Failures name DuplicateSubscriptionFailed (same event type, filter and
// webhook), SubscriptionLimitExceeded (more than 50 subscriptions per app
// unless set with WithActivitySubscriptionLimit), WebhookIdInvalid and
// SubscriptionNotFound, as the webhook endpoints do. Deleting a webhook
// deletes the subscriptions that deliver to it.
//
// Methods of Server act as users of X's own apps and deliver what X would:
// Follow, Unfollow, Block, Unblock, Mute, Unmute, Typing, MarkRead, Post
// (whose @usernames of registered users are mentions), Like, DeletePost,
// UpdateProfile, Revoke and DeliverDM. Each event goes, in the Account
// Activity shape, to the webhooks of every subscribed user it concerns, one
// copy per for_user_id. In the X Activity API envelope, it goes to every
// subscription whose event type and filter match, with the subscription's
// filter and tag and a new event_uuid. A one-to-one DM sent through the DM
// endpoints reaches the X Activity API subscriptions too. Each method's
// documentation names who gets the event. Every body goes through Deliver,
// in order, so it is signed, recorded and replayable like any delivery, and
// a method returns the errors of the deliveries that failed to send.
// Generated post ids and event_uuid values are decimal strings above 2^53.
//
// # Rate limits
//
// Each DM endpoint and each v1.1 Account Activity endpoint belongs to a
// Group with per-user 15-minute, per-user 24-hour and per-app 24-hour limits
// (Limits), counted in fixed windows that reset at a whole second of the
// server's clock. Every authenticated response of these endpoints carries
// x-rate-limit-limit, -remaining and -reset (epoch seconds) for the
// 15-minute window, and x-user-limit-24hour-* and x-app-limit-24hour-*
// where the group has those limits. A window whose limit is zero is not
// enforced and has no headers.
//
// When a window is exhausted, the server responds with status 429 and X's
// body, {"errors":[{"code":88,...}]} under /1.1/ and the "Too Many Requests"
// problem JSON elsewhere, and sends nothing. The defaults of the DM groups
// are high enough for tests that do not test rate limits. The v1.1 Account
// Activity groups have X's documented limits per 15 minutes: 15 for webhook
// management and counts, 500 for subscriptions, 50 for listings and 5 for
// replays. WithLimits, WithDMLimits and SetLimits change them, and
// With429Reset makes 429 responses omit their reset headers or state a reset
// in the past.
//
// # Clocks and background work
//
// Besides serving requests, the server works in the background as X
// does: it retries failed deliveries, sends delayed deliveries and checks
// every valid webhook with a periodic CRC. What runs that work depends on
// the clock:
//
//   - With the default clock, time.Now, timers run the work when it falls
//     due, and Close drops what is still pending.
//   - With WithManualClock, Clock.Advance runs the work: it stops at each
//     due time, sets the clock to it and runs the work before going on, so
//     a test steps through hours of schedules in milliseconds and sees the
//     exact time of every attempt.
//   - With WithClock, the server cannot tell when the clock moves, so the
//     work runs only when the test calls RunDue. NextDue tells when the
//     next piece falls due.
//
// # Delivery retries
//
// Deliver makes the first attempt before it returns. An attempt that gets
// a status other than 200, or no response within the delivery timeout (3
// seconds in real time unless set with WithDeliveryTimeout), is retried on
// the schedule X documents for its Account Activity tiers with retries: 3,
// 27 and 242 seconds after the previous attempt started, four attempts in
// all (DefaultRetrySchedule; WithRetrySchedule sets another). Retries stop
// at the first 200 and when the webhook is deleted or becomes invalid.
// Deliveries lists every attempt with its number in Delivery.Attempt, and
// a replay sends each delivery once, however often it was attempted.
// WaitDeliveries blocks until a number of deliveries are recorded, waking at
// each one rather than polling.
//
// # Periodic CRC checks
//
// Every hour by the server's clock (WithCRCInterval sets another interval,
// or 0 for none), the server sends a CRC check to every valid webhook and
// records it for CRCChecks. A wrong response token, a 3xx status or a TLS
// error marks the webhook invalid at once. A 4xx or 5xx status, a timeout
// or a refused connection is transient: the webhook becomes invalid only
// when 28 hours have passed since its last passing check, registration or
// passing PUT. An invalid webhook is not checked and gets no deliveries, not
// even retries, until a PUT of the webhook on v2 or v1.1 passes a CRC check.
// WithWebhookRootCAs sets the certificates trusted for https webhooks.
//
// # Injecting faults
//
// For a webhook, DropNextDelivery records the next delivery without sending
// it, so only a replay brings it; DelayNextDelivery sends the next one
// later by the server's clock; DuplicateNextDelivery sends the next one
// several times; and HoldDeliveries keeps deliveries until
// ReleaseDeliveries sends them in order, reversed or shuffled. These apply
// to Deliver and to every delivery of a DM or a simulated event.
//
// For API calls, FailNext responds to the next request matching a
// ServeMux pattern with 429 and exhausted rate-limit headers, or with a 5xx
// status, and X's error body; FailNextGroup does the same for the next
// authenticated request of a rate-limit group. SetClockSkew moves X's
// clock, against which oauth_timestamp is checked and from which the Date
// header comes, away from the server's clock, as a client's clock that is
// off would see it.
//
// # Testing a webhook handler directly
//
// NewDeliveryRequest builds a delivery signed as X signs it, and
// NewCRCRequest a CRC check, for a test that calls a handler's ServeHTTP
// without a server.
package xtest
