// Package xtest is a fake X API server for tests. It checks OAuth 1.0a
// signatures the way X does, serves responses from an in-memory registry of apps and
// users, and records every request so a test can inspect what its client
// sent. It is deterministic: it never sleeps, and its clock can be replaced.
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
package xtest
