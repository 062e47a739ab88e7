package accountactivity

import (
	"errors"
	"net/http"
)

// NewBearerClient returns an http.Client for Config.App that adds
// "Authorization: Bearer " and token to every request it sends through
// base, or through http.DefaultTransport when base is nil. token is the
// app's bearer token; it must be non-empty printable ASCII without spaces.
// The error for an unusable token does not contain the token.
func NewBearerClient(token string, base http.RoundTripper) (*http.Client, error) {
	if token == "" {
		return nil, errors.New("accountactivity: bearer token is empty")
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c <= ' ' || c > '~' {
			return nil, errors.New("accountactivity: bearer token contains a space, a control byte or a non-ASCII byte")
		}
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &http.Client{Transport: &bearerTransport{token: token, base: base}}, nil
}

// bearerTransport adds the bearer token to a clone of each request.
type bearerTransport struct {
	token string
	base  http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (b *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(req)
}

// String hides the token when the transport is printed.
func (b *bearerTransport) String() string { return "bearer transport (token hidden)" }
