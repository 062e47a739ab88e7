package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// oauthRequest returns a pending authorization of merchant m1 created at
// startTime that expires after ttl.
func oauthRequest(token string, ttl time.Duration) store.OAuthRequest {
	return store.OAuthRequest{
		Token:        token,
		SealedSecret: []byte("sealed:" + token),
		MerchantID:   "m1",
		CreatedAt:    startTime,
		ExpiresAt:    startTime.Add(ttl),
	}
}

func (f *fixture) putOAuth(r store.OAuthRequest) {
	f.t.Helper()
	mustNoError(f.t, "PutOAuthRequest "+r.Token, f.s.PutOAuthRequest(f.ctx, r))
}

// wantTakeNotFound checks that taking token at now finds nothing.
func (f *fixture) wantTakeNotFound(what, token string, now time.Time) {
	f.t.Helper()
	got, err := f.s.TakeOAuthRequest(f.ctx, token, now)
	wantError(f.t, what, err, store.ErrNotFound)
	wantEqual(f.t, what+": request", got, store.OAuthRequest{})
}

func runOAuthRequests(t *testing.T, open Opener) {
	t.Run("take returns the request once", func(t *testing.T) {
		f := newFixture(t, open)
		in := oauthRequest("tok1", 15*time.Minute)
		f.putOAuth(in)
		got, err := f.s.TakeOAuthRequest(f.ctx, "tok1", startTime.Add(time.Minute))
		mustNoError(t, "TakeOAuthRequest", err)
		want := in
		want.CreatedAt = millis(in.CreatedAt)
		want.ExpiresAt = millis(in.ExpiresAt)
		wantEqual(t, "taken request", got, want)
		f.wantTakeNotFound("second take", "tok1", startTime.Add(time.Minute))
		f.wantTakeNotFound("unknown token", "tok2", startTime)
	})

	t.Run("zero CreatedAt takes the store clock", func(t *testing.T) {
		f := newFixture(t, open)
		f.clock.Advance(time.Second)
		in := oauthRequest("tok1", time.Hour)
		in.CreatedAt = time.Time{}
		f.putOAuth(in)
		got, err := f.s.TakeOAuthRequest(f.ctx, "tok1", startTime.Add(time.Second))
		mustNoError(t, "TakeOAuthRequest", err)
		wantEqual(t, "CreatedAt", got.CreatedAt, millis(startTime.Add(time.Second)))
	})

	t.Run("stored secret is a copy", func(t *testing.T) {
		f := newFixture(t, open)
		in := oauthRequest("tok1", time.Hour)
		f.putOAuth(in)
		in.SealedSecret[0] = 'X'
		got, err := f.s.TakeOAuthRequest(f.ctx, "tok1", startTime)
		mustNoError(t, "TakeOAuthRequest", err)
		wantEqual(t, "SealedSecret", got.SealedSecret, []byte("sealed:tok1"))
	})

	t.Run("expired request is removed", func(t *testing.T) {
		f := newFixture(t, open)
		f.putOAuth(oauthRequest("tok1", 15*time.Minute))
		f.wantTakeNotFound("take at ExpiresAt", "tok1", startTime.Add(15*time.Minute))
		f.wantTakeNotFound("take before ExpiresAt after the expired take", "tok1", startTime)
	})

	t.Run("take deletes other expired requests", func(t *testing.T) {
		f := newFixture(t, open)
		f.putOAuth(oauthRequest("short", time.Minute))
		f.putOAuth(oauthRequest("long", time.Hour))
		f.wantTakeNotFound("take of an unknown token", "other", startTime.Add(2*time.Minute))
		f.wantTakeNotFound("take of the expired request, earlier", "short", startTime)
		_, err := f.s.TakeOAuthRequest(f.ctx, "long", startTime.Add(2*time.Minute))
		mustNoError(t, "take of the live request", err)
	})

	t.Run("put deletes expired requests", func(t *testing.T) {
		f := newFixture(t, open)
		f.putOAuth(oauthRequest("short", time.Minute))
		later := oauthRequest("later", time.Hour)
		later.CreatedAt = startTime.Add(time.Minute)
		f.putOAuth(later)
		f.wantTakeNotFound("take of the request that expired before the put", "short", startTime)
	})

	t.Run("put rejects invalid requests", func(t *testing.T) {
		f := newFixture(t, open)
		valid := oauthRequest("tok1", time.Hour)
		invalid := map[string]func(*store.OAuthRequest){
			"empty token":    func(r *store.OAuthRequest) { r.Token = "" },
			"empty merchant": func(r *store.OAuthRequest) { r.MerchantID = "" },
			"empty secret":   func(r *store.OAuthRequest) { r.SealedSecret = nil },
			"zero expiry":    func(r *store.OAuthRequest) { r.ExpiresAt = time.Time{} },
		}
		for name, change := range invalid {
			r := valid
			change(&r)
			wantError(t, name, f.s.PutOAuthRequest(f.ctx, r), store.ErrInvalid)
		}
		f.putOAuth(valid)
		duplicate := valid
		duplicate.MerchantID = "m2"
		wantError(t, "duplicate token", f.s.PutOAuthRequest(f.ctx, duplicate), store.ErrInvalid)
		got, err := f.s.TakeOAuthRequest(f.ctx, "tok1", startTime)
		mustNoError(t, "TakeOAuthRequest", err)
		wantEqual(t, "merchant after the rejected duplicate", got.MerchantID, "m1")
	})

	t.Run("concurrent takes", func(t *testing.T) { testConcurrentTakes(t, open) })
}

// testConcurrentTakes takes each of several tokens from several goroutines
// at once: exactly one take of each token gets the request.
func testConcurrentTakes(t *testing.T, open Opener) {
	f := newFixture(t, open)
	const tokens, callers = 4, 8
	for i := range tokens {
		f.putOAuth(oauthRequest(fmt.Sprint("tok", i), time.Hour))
	}
	type result struct {
		token string
		err   error
	}
	results := make(chan result, tokens*callers)
	var wg sync.WaitGroup
	for i := range tokens * callers {
		token := fmt.Sprint("tok", i%tokens)
		wg.Go(func() {
			r, err := f.s.TakeOAuthRequest(f.ctx, token, startTime)
			if err == nil && r.Token != token {
				err = fmt.Errorf("took request %q for token %q", r.Token, token)
			}
			results <- result{token, err}
		})
	}
	wg.Wait()
	close(results)
	wins := make(map[string]int)
	for res := range results {
		switch {
		case res.err == nil:
			wins[res.token]++
		case !errors.Is(res.err, store.ErrNotFound):
			t.Errorf("TakeOAuthRequest %s: %v", res.token, res.err)
		}
	}
	for i := range tokens {
		token := fmt.Sprint("tok", i)
		if wins[token] != 1 {
			t.Errorf("%d of %d concurrent takes of %s got the request, want 1", wins[token], callers, token)
		}
	}
}
