// Package accountactivity decodes and dispatches the webhook deliveries of
// X's Account Activity API (AAA) and X Activity API (XAA), and manages the
// webhooks and subscriptions that produce them.
//
// A webhook handler verifies the signature of a delivery over its raw bytes
// first, then calls Decode. The resulting Delivery names the subscribed user
// the events belong to and holds the events as typed values. A Dispatcher
// calls the handlers registered for each kind of event.
//
//	d, err := accountactivity.Decode(body)
//	if err != nil {
//		return err // not JSON: respond with 400
//	}
//	for _, e := range d.Events {
//		key := accountactivity.Key(d, e) // deduplicate before processing
//		...
//	}
//
// # Decoding
//
// One webhook URL receives both body families, and Decode accepts both: the
// AAA body, with for_user_id and one or more event arrays such as
// direct_message_events, and the XAA envelope {"data": {"event_type": ...,
// "payload": ...}}. Every event becomes a value of the Go type that its
// Kind names, in body order, and keeps its raw JSON (Event.Raw).
//
// X's bodies are inconsistent, and Decode accepts each documented variant:
//
//   - Ids are read from id_str when present, otherwise from id as a string
//     or as the literal digits of a number. No id passes through float64,
//     so ids beyond 2^53 stay exact.
//   - timestamp_ms, created_timestamp and counts may be numbers or strings
//     of digits. Times are returned in UTC.
//   - Booleans such as user_has_blocked may be true and false or the strings
//     "true" and "false".
//   - created_at is in the v1.1 format ("Mon Jan 02 15:04:05 -0700 2006")
//     or in RFC 3339.
//   - Revocations and replay job notices carry no for_user_id.
//
// Decode fails only when the body is not one JSON object, or when its XAA
// envelope lacks a usable data object or event_type. A single event with a
// value of the wrong type becomes an EventError in Delivery.Errors, and the
// other events are still returned. Entries under top-level keys that this
// package does not know become UnknownEvent values with their raw JSON.
// Unknown members inside known events are ignored.
//
// The Delivery references the body instead of copying it: do not modify the
// body while the Delivery is in use. The users and apps maps are kept raw
// and decoded on each Delivery.User or Delivery.App call, so a delivery
// whose handlers never look at them does not pay for them. Decode walks the
// body once with its own validating JSON reader and decodes strings exactly
// as encoding/json does. For the one-DM delivery of BenchmarkDecodeDispatch
// it takes about 2 µs and 8 allocations (Go 1.26 on a 2-core AMD EPYC
// virtual machine), against about 11 µs and 43 allocations for
// encoding/json into typed structs.
//
// # Event keys
//
// X may deliver an event more than once, with a retry, a replay, or a copy
// for each app that shares the URL, and the bytes of a copy may differ.
// Key returns a deduplication key that is the same for every copy of an
// event and different for different events. Keys include the delivery's
// ForUserID, because X delivers an event between two subscribed users once
// for each of them, and each copy belongs to a different account. A DM has
// the same key whether it came in an AAA body or an XAA envelope. See Key
// for how each kind's key is formed.
//
// # Dispatching
//
// A Dispatcher has one registration method per kind (OnDirectMessage,
// OnFollow, ...), OnEvent for every event, and OnUnknown for UnknownEvent
// values. Dispatch runs the handlers for every event of a delivery.
// DispatchEvent runs them for one event, for a worker that processes stored
// events one at a time. Handler errors do not stop the other handlers; they
// are returned joined. Register handlers before dispatching; after that a
// Dispatcher may be used by many goroutines at once.
//
// # XAA
//
// XAA events decode to the same types as their AAA counterparts, so one
// handler serves both:
//
//   - dm.received and dm.sent carry the AAA direct_message_events shape and
//     decode to DirectMessage; dm.read and dm.indicate_typing decode to
//     MarkReadEvent and TypingEvent. A payload that is a single event object
//     instead of the AAA shape is accepted too.
//   - follow.*, block.* and mute.* decode to FollowEvent, BlockEvent and
//     MuteEvent, with Type taken from the event type's action.
//   - oauth.revoke decodes to RevokeEvent, like AAA's user_event.revoke.
//   - profile.update.* decodes to ProfileUpdateEvent.
//   - Every other event type, such as post.create or like.create, becomes
//     an ActivityEvent that carries the envelope and the raw payload.
//
// Delivery.Envelope holds the envelope's members, and Delivery.ForUserID is
// the envelope's filter.user_id. XAA wraps v2 user objects as
// {"data": {...}} and names the screen name username; Delivery.User and the
// users of follow events unwrap them into the same User fields. Older
// PascalCase event type names such as FollowFollow and ProfileBioUpdate
// are converted to the dot form. An event that is the whole payload of an
// envelope returns the envelope's data object from Raw.
//
// # Managing webhooks and subscriptions
//
// A Client registers webhooks (CreateWebhook, EnsureWebhook), requests
// CRC checks (ValidateWebhook), subscribes users (Subscribe) and requests
// replays (Replay). It speaks one generation of the API, chosen by
// Config.Generation:
//
//   - V2, the default: the v2 Account Activity API under /2/webhooks and
//     /2/account_activity/, and the X Activity API under /2/activity/.
//   - Enterprise: the v1.1 enterprise Account Activity API under
//     /1.1/account_activity/.
//   - Premium: the v1.1 premium Account Activity API under
//     /1.1/account_activity/all/:env_name/, with Config.EnvName.
//
// The method set is the same on every generation, so switching is a
// matter of configuration; ParseGeneration reads the names "2",
// "1.1-enterprise" and "1.1-premium". The generations differ in the
// credentials some calls need: the v1.1 generations register, re-check
// and delete webhooks in the user context of the app's owner, where V2
// uses the app's bearer token. Each method documents its endpoint and
// credentials per generation. Calls without a counterpart, such as the X
// Activity API calls on v1.1 or Replay on Premium, return an error
// matching ErrUnsupported without sending a request.
//
// Failures are *xactivity.APIError values that also match the sentinel of
// X's reason, such as ErrDuplicateURL, whether X named the reason in a v2
// body or as a v1.1 code.
package accountactivity
