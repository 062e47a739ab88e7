package store

import (
	"context"
	"time"
)

// OAuthRequest is a pending 3-legged OAuth 1.0a authorization: the request
// token that a merchant's flow obtained from X, kept until X redirects the
// user back with it. The request token identifies the merchant on that
// redirect, which carries no other credentials.
type OAuthRequest struct {
	Token string // X's request token (oauth_token)
	// SealedSecret is the request token secret, encrypted by the caller.
	// The store keeps the bytes as given and never interprets them.
	SealedSecret []byte
	MerchantID   string
	CreatedAt    time.Time
	ExpiresAt    time.Time // the request can be taken while the time is before ExpiresAt
}

// OAuthRequests stores pending OAuth authorizations, so that any replica of
// a service can finish a flow that another one started.
type OAuthRequests interface {
	// PutOAuthRequest stores r. A zero r.CreatedAt becomes the store's
	// current time. It also deletes every stored request that expired by
	// r.CreatedAt, so requests that are never taken do not pile up. It
	// returns ErrInvalid when r.Token, r.MerchantID or r.SealedSecret is
	// empty, r.ExpiresAt is zero, or a request with the same token is
	// stored already.
	PutOAuthRequest(ctx context.Context, r OAuthRequest) error
	// TakeOAuthRequest removes the request with the token and returns it.
	// Of concurrent calls for one token, at most one returns the request,
	// and every later call returns ErrNotFound. A request that expired by
	// now (now is not before its ExpiresAt) is removed too, but
	// TakeOAuthRequest returns ErrNotFound for it. Every other request that
	// expired by now is deleted in the same call.
	TakeOAuthRequest(ctx context.Context, token string, now time.Time) (OAuthRequest, error)
}
