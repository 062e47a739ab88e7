// Package dm is a client for X's Direct Message endpoints, API v2 and
// v1.1.
//
// # Creating a client
//
// NewClient takes the *http.Client that sends the requests and adds the
// user's credentials; dm never signs requests itself. For OAuth 1.0a user
// context, which both API generations accept, use github.com/dghubble/oauth1:
//
//	config := oauth1.NewConfig(consumerKey, consumerSecret)
//	httpClient := config.Client(ctx, oauth1.NewToken(accessToken, accessSecret))
//	client, err := dm.NewClient(httpClient)
//
// An OAuth 2.0 user-context client (scopes dm.read, dm.write, tweet.read,
// users.read) works for the v2 endpoints only. App-only tokens work for
// none of them. A Client is safe for concurrent use.
//
// To wait on X's rate limits, put a ratelimit.Transport around the signing
// transport, so that a retried request is signed again with a fresh nonce:
//
//	httpClient.Transport = &ratelimit.Transport{Base: httpClient.Transport}
//
// # API v2 and v1.1
//
// The v2 calls send to a participant, to a conversation or to a new group
// (SendToParticipant, SendToConversation, CreateGroupConversation), read
// events (Events, ConversationEvents, ParticipantEvents, Event) and delete
// them (DeleteEvent). A v2 message has text and at most one media item.
//
// The v1.1 calls are the only home of quick replies, buttons, typing
// indicators, read receipts and welcome messages: SendV11, ListV11 and
// V11Events, ShowV11, DestroyV11, IndicateTyping, MarkRead, and the
// WelcomeMessage and WelcomeRule calls. They need OAuth 1.0a, and X may not
// grant them to new apps.
//
// Every call takes a context first. Ids are decimal strings, never
// numbers, because they exceed 2^53. Ids and messages are checked against
// X's documented limits before anything is sent: a call with invalid input
// returns an error matching ErrInvalid and sends no request.
//
// # Errors
//
// X's refusals are returned as *xactivity.APIError, wrapped with the
// operation's name; calls that got no response return
// *xactivity.RequestError. Classify them with xactivity.IsPermanent (never
// retry: the recipient cannot receive, the app lacks a permission, the
// input is invalid) and xactivity.IsRetryable (rate limits, server errors,
// and network failures after which a resend cannot duplicate a message).
// On a 429, errors.As finds a *ratelimit.Error with the reset time, the same
// type ratelimit.Transport returns when it rejects a call locally.
//
// A send that may have reached X, such as one whose response was cut off or
// could not be decoded, is neither permanent nor retryable: resending could
// deliver the message twice.
//
// A v2 response can succeed and still carry problems, for example an
// expansion X could not resolve. Those are returned in the Partial field of
// SendResult, EventResult and Page, and the call returns no error. A 2xx
// response with problems and no data, such as the lookup of a deleted
// event, is returned as an *xactivity.APIError.
//
// # Pagination
//
// X keeps 30 days of DM history and lists it newest first. A v2 page can be
// empty while it still has a next token, so the listing ends only when the
// token is absent. The iterators (Events, ConversationEvents,
// ParticipantEvents, V11Events) follow the tokens and yield an error at most
// once, as their last value. A Pager gives page-by-page control: after a
// failed Next, calling Next again retries the same page.
package dm
