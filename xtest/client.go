package xtest

import (
	"context"
	"net/http"

	"github.com/dghubble/oauth1"
)

// Client returns an HTTP client that signs every request with OAuth 1.0a
// for app's consumer key and secret and user's access token and secret, as
// github.com/dghubble/oauth1 does. The credentials need not be registered,
// so tests can send wrong ones on purpose. For a started server the client
// uses the server's transport, whose idle connections Close shuts.
func (s *Server) Client(app App, user User) *http.Client {
	ctx := context.Background()
	s.mu.Lock()
	if s.ts != nil {
		ctx = context.WithValue(ctx, oauth1.HTTPClient, s.ts.Client())
	}
	s.mu.Unlock()
	config := oauth1.NewConfig(app.ConsumerKey, app.ConsumerSecret)
	return config.Client(ctx, oauth1.NewToken(user.Token, user.TokenSecret))
}
