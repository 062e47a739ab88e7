package store

import (
	"context"
	"fmt"
	"time"
)

// PutOAuthRequest stores a pending OAuth authorization; see OAuthRequests.
func (m *Memory) PutOAuthRequest(ctx context.Context, r OAuthRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkOAuthRequest(r); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = m.now()
	}
	r.CreatedAt = truncMillis(r.CreatedAt)
	r.ExpiresAt = truncMillis(r.ExpiresAt)
	m.deleteExpiredOAuthRequests(r.CreatedAt)
	if _, ok := m.oauthRequests[r.Token]; ok {
		return fmt.Errorf("store: OAuth request token is already stored: %w", ErrInvalid)
	}
	r.SealedSecret = cloneBytes(r.SealedSecret)
	m.oauthRequests[r.Token] = r
	return nil
}

// checkOAuthRequest returns ErrInvalid for a request that lacks a field
// every store needs.
func checkOAuthRequest(r OAuthRequest) error {
	if r.Token == "" || r.MerchantID == "" || len(r.SealedSecret) == 0 || r.ExpiresAt.IsZero() {
		return fmt.Errorf("store: OAuth request needs a token, a merchant id, a sealed secret and an expiry time: %w",
			ErrInvalid)
	}
	return nil
}

// TakeOAuthRequest removes and returns a pending OAuth authorization; see
// OAuthRequests.
func (m *Memory) TakeOAuthRequest(ctx context.Context, token string, now time.Time) (OAuthRequest, error) {
	if err := ctx.Err(); err != nil {
		return OAuthRequest{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.oauthRequests[token]
	delete(m.oauthRequests, token)
	m.deleteExpiredOAuthRequests(now)
	if !ok || !now.Before(r.ExpiresAt) {
		return OAuthRequest{}, ErrNotFound
	}
	r.SealedSecret = cloneBytes(r.SealedSecret)
	return r, nil
}

// deleteExpiredOAuthRequests deletes the requests that expired by now.
// m.mu must be held.
func (m *Memory) deleteExpiredOAuthRequests(now time.Time) {
	for token, r := range m.oauthRequests {
		if !now.Before(r.ExpiresAt) {
			delete(m.oauthRequests, token)
		}
	}
}
