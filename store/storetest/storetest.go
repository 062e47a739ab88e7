// Package storetest is the conformance suite for implementations of
// store.Store. An implementation's tests call Run with a function that opens
// an empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
//			m := store.NewMemory()
//			m.Now = now
//			return m
//		})
//	}
//
// The suite controls time through the now function it passes, so lease
// expiry and retry times are tested without sleeping. It runs concurrent
// callers in some subtests, so run it with the race detector.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// Opener returns a new, empty store that reads the current time from now
// wherever the store.Store contract depends on time. The suite closes the
// store when the subtest ends, so Opener must not close it. Opener may
// register cleanups of its own resources with t.Cleanup, and those run
// after the store is closed.
type Opener func(t *testing.T, now func() time.Time) store.Store

// Run runs the conformance suite against stores that open returns, one
// store per subtest.
func Run(t *testing.T, open Opener) {
	t.Run("Accounts", func(t *testing.T) { runAccounts(t, open) })
	t.Run("Tenancy", func(t *testing.T) { runTenancy(t, open) })
	t.Run("Messages", func(t *testing.T) { runMessages(t, open) })
	t.Run("Pagination", func(t *testing.T) { runPagination(t, open) })
	t.Run("Contacts", func(t *testing.T) { runContacts(t, open) })
	t.Run("Inbox", func(t *testing.T) { runInbox(t, open) })
	t.Run("InboxConcurrency", func(t *testing.T) { runInboxConcurrency(t, open) })
	t.Run("Outbox", func(t *testing.T) { runOutbox(t, open) })
	t.Run("OutboxConcurrency", func(t *testing.T) { runOutboxConcurrency(t, open) })
	t.Run("Echoes", func(t *testing.T) { runEchoes(t, open) })
	t.Run("Leases", func(t *testing.T) { runLeases(t, open) })
	t.Run("OAuthRequests", func(t *testing.T) { runOAuthRequests(t, open) })
	t.Run("SendQuotas", func(t *testing.T) { runSendQuotas(t, open) })
	t.Run("Campaigns", func(t *testing.T) { runCampaigns(t, open) })
	t.Run("WriteConcurrency", func(t *testing.T) { runWriteConcurrency(t, open) })
	t.Run("Lifecycle", func(t *testing.T) { runLifecycle(t, open) })
}

// startTime is the fake clock's first reading. It has a sub-millisecond
// part, so the suite checks that stores truncate times to milliseconds.
var startTime = time.Date(2025, 12, 4, 12, 27, 14, 567891234, time.UTC)

// clock is a fake time source that only moves when the suite advances it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is one subtest's store and clock.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	s     store.Store
	clock *clock
	// leases holds the lease of the last claim of each outbox row that the
	// claim helpers made, by row id. Only the test's goroutine uses it.
	leases map[int64]store.Lease
}

// newFixture opens a store for the subtest and closes it when the subtest
// ends.
func newFixture(t *testing.T, open Opener) *fixture {
	t.Helper()
	c := &clock{now: startTime}
	s := open(t, c.Now)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &fixture{t: t, ctx: context.Background(), s: s, clock: c, leases: make(map[int64]store.Lease)}
}

// millis returns t as stores return it.
func millis(t time.Time) time.Time {
	return time.UnixMilli(t.UnixMilli()).UTC()
}

func mustNoError(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantError checks that err matches target under errors.Is.
func wantError(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// wantEqual checks that got and want are deeply equal.
func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

func show(v any) string { return fmt.Sprintf("%+v", v) }

// connect connects an account and fails the test on error.
func (f *fixture) connect(merchantID, xUserID, username string) store.Account {
	f.t.Helper()
	a, _, err := f.s.ConnectAccount(f.ctx, store.Account{
		MerchantID:  merchantID,
		XUserID:     xUserID,
		Username:    username,
		Credentials: []byte("sealed:" + xUserID),
	})
	mustNoError(f.t, "ConnectAccount", err)
	return a
}

// record stores a text message from participant to the account, created at
// the given offset from startTime.
func (f *fixture) record(a store.Account, participant, eventID string, at time.Duration) (store.Message, bool) {
	f.t.Helper()
	c := store.Conversation{MerchantID: a.MerchantID, AccountID: a.ID, ParticipantID: participant}
	m := store.Message{
		Direction: store.Inbound,
		XEventID:  eventID,
		SenderID:  participant,
		Content:   "message " + eventID,
		Type:      "text",
		Status:    store.MessageReceived,
		CreatedAt: startTime.Add(at),
	}
	stored, inserted, err := f.s.RecordMessage(f.ctx, c, m)
	mustNoError(f.t, "RecordMessage "+eventID, err)
	return stored, inserted
}
