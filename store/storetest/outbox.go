package storetest

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// conversation records an inbound message from participant to the account
// a minute before startTime, so that it is older than the DMs a test queues,
// and returns the id of the conversation it creates.
func (f *fixture) conversation(a store.Account, participant string) string {
	f.t.Helper()
	m, _ := f.record(a, participant, "1"+participant, -time.Minute)
	return m.ConversationID
}

// queue queues a text DM that is claimable at once and fails the test on
// error.
func (f *fixture) queue(merchantID, convID, content string) store.Message {
	f.t.Helper()
	m, err := f.s.QueueMessage(f.ctx, merchantID, convID, store.Message{Content: content, Type: "text"}, nil, f.clock.Now())
	mustNoError(f.t, "QueueMessage "+content, err)
	return m
}

// rowID returns the id of the outbox row that QueueMessage stored with m.
func rowID(t *testing.T, m store.Message) int64 {
	t.Helper()
	id, err := strconv.ParseInt(m.ID, 10, 64)
	if err != nil {
		t.Fatalf("message id %q is not a number: %v", m.ID, err)
	}
	return id
}

func (f *fixture) claimOutbox(limit int, lease time.Duration) []store.OutboxItem {
	f.t.Helper()
	return f.claimOutboxAs("sender", limit, lease)
}

// claimOutboxAs claims due outbox rows for owner and records their leases.
func (f *fixture) claimOutboxAs(owner string, limit int, lease time.Duration) []store.OutboxItem {
	f.t.Helper()
	items, err := f.s.ClaimOutbox(f.ctx, owner, limit, lease)
	mustNoError(f.t, "ClaimOutbox", err)
	for _, it := range items {
		f.leases[it.ID] = it.Lease
	}
	return items
}

// claimItem claims the row of a queued message for a minute.
func (f *fixture) claimItem(m store.Message) store.OutboxItem {
	f.t.Helper()
	return f.claimItemAs("sender", m, time.Minute)
}

// claimItemAs claims the row of a queued message for owner and records its
// lease.
func (f *fixture) claimItemAs(owner string, m store.Message, lease time.Duration) store.OutboxItem {
	f.t.Helper()
	it, err := f.s.ClaimOutboxItem(f.ctx, rowID(f.t, m), owner, lease)
	mustNoError(f.t, "ClaimOutboxItem "+m.ID, err)
	f.leases[it.ID] = it.Lease
	return it
}

// lease returns the lease of the last claim of m's outbox row that the
// claim helpers made.
func (f *fixture) lease(m store.Message) store.Lease {
	f.t.Helper()
	l, ok := f.leases[rowID(f.t, m)]
	if !ok {
		f.t.Fatalf("the outbox row of message %s was not claimed", m.ID)
	}
	return l
}

func (f *fixture) wantOutboxCounts(pending, sending int) {
	f.t.Helper()
	p, s, err := f.s.OutboxCounts(f.ctx)
	mustNoError(f.t, "OutboxCounts", err)
	wantEqual(f.t, "OutboxCounts (pending, sending)", [2]int{p, s}, [2]int{pending, sending})
}

// messages returns every message of the conversation in one page.
func (f *fixture) messages(merchantID, convID string) []store.Message {
	f.t.Helper()
	p, err := f.s.Messages(f.ctx, store.MessageQuery{MerchantID: merchantID, ConversationID: convID, Limit: 100})
	mustNoError(f.t, "Messages", err)
	return p.Items
}

func contentsOf(items []store.OutboxItem) []string {
	list := []string{}
	for _, it := range items {
		list = append(list, it.Content)
	}
	return list
}

func runOutbox(t *testing.T, open Opener) {
	t.Run("queue claim sent", func(t *testing.T) { testQueueClaimSent(t, open) })

	t.Run("queued messages without event ids coexist", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		first := f.queue("m1", convID, "same")
		second := f.queue("m1", convID, "same")
		if first.ID == second.ID {
			t.Fatalf("both queued messages have id %q", first.ID)
		}
		wantEqual(t, "messages", f.messages("m1", convID)[:2], []store.Message{second, first})
		f.wantOutboxCounts(2, 0)
	})

	t.Run("queue rejects bad input", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		_, err := f.s.QueueMessage(f.ctx, "m1", convID, store.Message{XEventID: "9", Content: "x"}, nil, startTime)
		wantError(t, "QueueMessage with an event id", err, store.ErrInvalid)
		for _, id := range []string{"999999", "x", ""} {
			_, err := f.s.QueueMessage(f.ctx, "m1", id, store.Message{Content: "x"}, nil, startTime)
			wantError(t, "QueueMessage to conversation "+strconv.Quote(id), err, store.ErrNotFound)
		}
		f.wantOutboxCounts(0, 0)
	})

	t.Run("queue keeps given sender and time", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		at := startTime.Add(-time.Hour)
		m, err := f.s.QueueMessage(f.ctx, "m1", convID, store.Message{SenderID: "100", Content: "x", CreatedAt: at}, nil, startTime)
		mustNoError(t, "QueueMessage", err)
		wantEqual(t, "CreatedAt", m.CreatedAt, millis(at))
		wantEqual(t, "SenderID", m.SenderID, "100")
	})

	t.Run("quick replies", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		replies := []store.QuickReply{
			{Label: "Yes", Description: "sounds good", Metadata: "answer:yes"},
			{Label: "No \"thanks\"", Metadata: "answer:no"},
		}
		with, err := f.s.QueueMessage(f.ctx, "m1", convID, store.Message{Content: "ok?"}, replies, startTime)
		mustNoError(t, "QueueMessage", err)
		without := f.queue("m1", convID, "plain")
		wantEqual(t, "quick replies", f.claimItem(with).QuickReplies, replies)
		wantEqual(t, "no quick replies", f.claimItem(without).QuickReplies, nil)
	})

	t.Run("claim order limit and time", testClaimOrder(open))
	t.Run("claim rejects bad arguments", func(t *testing.T) {
		f := newFixture(t, open)
		for _, limit := range []int{0, -1} {
			_, err := f.s.ClaimOutbox(f.ctx, "w", limit, time.Minute)
			wantError(t, "ClaimOutbox limit "+show(limit), err, store.ErrInvalid)
		}
		_, err := f.s.ClaimOutbox(f.ctx, "w", 1, time.Microsecond)
		wantError(t, "ClaimOutbox lease 1µs", err, store.ErrInvalid)
		_, err = f.s.ClaimOutboxItem(f.ctx, 1, "w", 0)
		wantError(t, "ClaimOutboxItem lease 0", err, store.ErrInvalid)
	})
	t.Run("claim item", testClaimItem(open))
	t.Run("expired lease becomes unknown", testOutboxLeaseExpiry(open))
	t.Run("late MarkSent resolves unknown", testLateMarkSent(open))
	t.Run("reschedule", testReschedule(open))
	t.Run("defer account", testDeferAccount(open))
	t.Run("failed with reason", testMarkFailed(open))
	t.Run("mark unknown", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		m := f.queue("m1", f.conversation(a, "555"), "hello")
		f.claimItem(m)
		got, err := f.s.MarkUnknown(f.ctx, f.lease(m), "timeout after sending")
		mustNoError(t, "MarkUnknown", err)
		m.Status, m.StatusReason = store.MessageUnknown, "timeout after sending"
		wantEqual(t, "message", got, m)
		f.wantOutboxCounts(0, 0)
		f.clock.Advance(time.Hour)
		wantEqual(t, "claim after MarkUnknown", contentsOf(f.claimOutbox(10, time.Minute)), []string{})
	})
	t.Run("settling needs a claimed row", testSettleUnclaimed(open))
	t.Run("tenancy", testOutboxTenancy(open))
	t.Run("delete account removes rows", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		m := f.queue("m1", f.conversation(a, "555"), "hello")
		mustNoError(t, "DeleteAccount", f.s.DeleteAccount(f.ctx, "m1", a.ID))
		f.wantOutboxCounts(0, 0)
		_, err := f.s.ClaimOutboxItem(f.ctx, rowID(t, m), "w", time.Minute)
		wantError(t, "ClaimOutboxItem after delete", err, store.ErrNotFound)
		_, err = f.s.MarkSent(f.ctx, store.Lease{ID: rowID(t, m), Owner: "w", Attempt: 1}, "2001", startTime)
		wantError(t, "MarkSent after delete", err, store.ErrNotFound)
	})
}

func testQueueClaimSent(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a := f.connect("m1", "100", "shop")
	convID := f.conversation(a, "555")
	f.clock.Advance(time.Minute)
	m, err := f.s.QueueMessage(f.ctx, "m1", convID, store.Message{Content: "hello", Type: "text"}, nil, f.clock.Now())
	mustNoError(t, "QueueMessage", err)
	queuedAt := millis(f.clock.Now())
	want := store.Message{
		ID: m.ID, ConversationID: convID, AccountID: a.ID, Direction: store.Outbound, SenderID: "100",
		Content: "hello", Type: "text", Status: store.MessageQueued, CreatedAt: queuedAt,
	}
	wantEqual(t, "queued message", m, want)
	f.wantLast("m1", convID, queuedAt, "hello")
	f.wantOutboxCounts(1, 0)

	f.clock.Advance(time.Second)
	items := f.claimOutbox(10, time.Minute)
	wantItems := []store.OutboxItem{{
		ID: rowID(t, m), MessageID: m.ID, ConversationID: convID, AccountID: a.ID, MerchantID: "m1",
		RecipientID: "555", Content: "hello", Attempts: 1, QueuedAt: queuedAt,
		Lease: store.Lease{ID: rowID(t, m), Owner: "sender", Attempt: 1},
	}}
	wantEqual(t, "claimed items", items, wantItems)
	f.wantOutboxCounts(0, 1)

	sentAt := startTime.Add(2 * time.Minute)
	got, err := f.s.MarkSent(f.ctx, items[0].Lease, "2001", sentAt)
	mustNoError(t, "MarkSent", err)
	want.XEventID, want.Status, want.CreatedAt = "2001", store.MessageSent, millis(sentAt)
	wantEqual(t, "sent message", got, want)
	f.wantOutboxCounts(0, 0)
	f.wantLast("m1", convID, millis(sentAt), "hello")
	wantEqual(t, "newest message", f.messages("m1", convID)[0], want)

	again, err := f.s.MarkSent(f.ctx, items[0].Lease, "2001", sentAt.Add(time.Hour))
	mustNoError(t, "MarkSent again", err)
	wantEqual(t, "message after MarkSent again", again, want)
	_, err = f.s.MarkSent(f.ctx, items[0].Lease, "2002", sentAt)
	wantError(t, "MarkSent with another event id", err, store.ErrNotClaimed)
	_, err = f.s.MarkSent(f.ctx, items[0].Lease, "", sentAt)
	wantError(t, "MarkSent with an empty event id", err, store.ErrInvalid)
	wantEqual(t, "claim after MarkSent", contentsOf(f.claimOutbox(10, time.Minute)), []string{})
}

// wantLast checks the conversation's last-message fields.
func (f *fixture) wantLast(merchantID, convID string, at time.Time, preview string) {
	f.t.Helper()
	conv, err := f.s.Conversation(f.ctx, merchantID, convID)
	mustNoError(f.t, "Conversation", err)
	wantEqual(f.t, "LastMessageAt", conv.LastMessageAt, at)
	wantEqual(f.t, "LastMessagePreview", conv.LastMessagePreview, preview)
}

func testClaimOrder(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		offsets := []struct {
			content string
			after   time.Duration
		}{
			{"c", 2 * time.Minute}, {"a", 0}, {"b1", time.Minute}, {"b2", time.Minute}, {"later", time.Hour},
		}
		for _, o := range offsets {
			_, err := f.s.QueueMessage(f.ctx, "m1", convID, store.Message{Content: o.content}, nil, startTime.Add(o.after))
			mustNoError(t, "QueueMessage "+o.content, err)
		}
		wantEqual(t, "claim at the start", contentsOf(f.claimOutbox(10, time.Hour)), []string{"a"})
		f.clock.Advance(2 * time.Minute)
		wantEqual(t, "claim of 2", contentsOf(f.claimOutbox(2, time.Hour)), []string{"b1", "b2"})
		wantEqual(t, "claim of the rest", contentsOf(f.claimOutbox(10, time.Hour)), []string{"c"})
		f.wantOutboxCounts(1, 4)
		f.clock.Advance(58 * time.Minute)
		wantEqual(t, "claim at the last time", contentsOf(f.claimOutbox(10, 2*time.Hour)), []string{"later"})
	}
}

func testClaimItem(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m, err := f.s.QueueMessage(f.ctx, "m1", convID, store.Message{Content: "soon"}, nil, startTime.Add(time.Hour))
		mustNoError(t, "QueueMessage", err)
		it, err := f.s.ClaimOutboxItem(f.ctx, rowID(t, m), "sender", time.Minute)
		mustNoError(t, "ClaimOutboxItem before its time", err)
		wantEqual(t, "claimed item", [3]any{it.ID, it.MessageID, it.Attempts}, [3]any{rowID(t, m), m.ID, 1})
		f.wantOutboxCounts(0, 1)
		_, err = f.s.ClaimOutboxItem(f.ctx, rowID(t, m), "other", time.Minute)
		wantError(t, "ClaimOutboxItem of a sending row", err, store.ErrNotFound)
		_, err = f.s.ClaimOutboxItem(f.ctx, rowID(t, m)+1000, "other", time.Minute)
		wantError(t, "ClaimOutboxItem of an unknown row", err, store.ErrNotFound)
		_, err = f.s.MarkSent(f.ctx, it.Lease, "2001", startTime)
		mustNoError(t, "MarkSent", err)
		_, err = f.s.ClaimOutboxItem(f.ctx, rowID(t, m), "other", time.Minute)
		wantError(t, "ClaimOutboxItem of a sent row", err, store.ErrNotFound)
	}
}

func testOutboxLeaseExpiry(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m := f.queue("m1", convID, "hello")
		f.claimOutbox(1, time.Minute)
		f.clock.Advance(59 * time.Second)
		wantEqual(t, "claim during the lease", contentsOf(f.claimOutbox(10, time.Minute)), []string{})
		f.wantOutboxCounts(0, 1)
		wantEqual(t, "status during the lease", f.messages("m1", convID)[0].Status, store.MessageQueued)

		f.clock.Advance(time.Second)
		f.wantOutboxCounts(0, 1) // settled only by the next claim
		wantEqual(t, "claim when the lease ends", contentsOf(f.claimOutbox(10, time.Minute)), []string{})
		f.wantOutboxCounts(0, 0)
		want := m
		want.Status, want.StatusReason = store.MessageUnknown, store.LeaseExpiredReason
		wantEqual(t, "message after the lease", f.messages("m1", convID)[0], want)

		f.clock.Advance(24 * time.Hour)
		wantEqual(t, "claim a day later", contentsOf(f.claimOutbox(10, time.Minute)), []string{})
		_, err := f.s.ClaimOutboxItem(f.ctx, rowID(t, m), "w", time.Minute)
		wantError(t, "ClaimOutboxItem of an unknown row", err, store.ErrNotFound)
		_, err = f.s.MarkFailed(f.ctx, f.lease(m), "late")
		wantError(t, "MarkFailed of an unknown row", err, store.ErrNotClaimed)
		err = f.s.Reschedule(f.ctx, f.lease(m), startTime, "late")
		wantError(t, "Reschedule of an unknown row", err, store.ErrNotClaimed)
	}
}

func testLateMarkSent(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		m := f.queue("m1", f.conversation(a, "555"), "hello")
		f.claimItem(m)
		f.clock.Advance(time.Hour)
		f.claimOutbox(1, time.Minute)
		got, err := f.s.MarkSent(f.ctx, f.lease(m), "2001", startTime.Add(time.Second))
		mustNoError(t, "MarkSent after the lease expired", err)
		wantEqual(t, "status, reason", [2]any{got.Status, got.StatusReason}, [2]any{store.MessageSent, ""})
	}
}

func testReschedule(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m := f.queue("m1", convID, "hello")
		f.claimOutbox(1, time.Minute)
		retryAt := f.clock.Now().Add(15 * time.Minute)
		mustNoError(t, "Reschedule", f.s.Reschedule(f.ctx, f.lease(m), retryAt, "429 too many requests"))
		f.wantOutboxCounts(1, 0)
		want := m
		want.StatusReason = "429 too many requests"
		wantEqual(t, "message after Reschedule", f.messages("m1", convID)[0], want)
		err := f.s.Reschedule(f.ctx, f.lease(m), retryAt, "again")
		wantError(t, "Reschedule of a pending row", err, store.ErrNotClaimed)

		f.clock.Advance(15*time.Minute - time.Millisecond)
		wantEqual(t, "claim before the retry time", contentsOf(f.claimOutbox(10, time.Minute)), []string{})
		f.clock.Advance(time.Millisecond)
		items := f.claimOutbox(10, time.Minute)
		wantEqual(t, "claim at the retry time", contentsOf(items), []string{"hello"})
		wantEqual(t, "attempts", items[0].Attempts, 2)
	}
}

func testMarkFailed(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m := f.queue("m1", convID, "hello")
		f.claimItem(m)
		got, err := f.s.MarkFailed(f.ctx, f.lease(m), "349: you cannot send messages to this user")
		mustNoError(t, "MarkFailed", err)
		want := m
		want.Status, want.StatusReason = store.MessageFailed, "349: you cannot send messages to this user"
		wantEqual(t, "failed message", got, want)
		wantEqual(t, "listed message", f.messages("m1", convID)[0], want)
		f.wantOutboxCounts(0, 0)
		_, err = f.s.MarkFailed(f.ctx, f.lease(m), "again")
		wantError(t, "MarkFailed again", err, store.ErrNotClaimed)
		_, err = f.s.MarkSent(f.ctx, f.lease(m), "2001", startTime)
		wantError(t, "MarkSent of a failed row", err, store.ErrNotClaimed)
		f.clock.Advance(time.Hour)
		wantEqual(t, "claim after MarkFailed", contentsOf(f.claimOutbox(10, time.Minute)), []string{})
	}
}

func testSettleUnclaimed(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		m := f.queue("m1", f.conversation(a, "555"), "hello")
		for _, tt := range []struct {
			name  string
			lease store.Lease
			want  error
		}{
			// An unclaimed row has no owner and no attempts, so the first
			// lease matches its fields but not its status.
			{"pending row with an empty lease", store.Lease{ID: rowID(t, m)}, store.ErrNotClaimed},
			{"pending row with a first lease", store.Lease{ID: rowID(t, m), Owner: "sender", Attempt: 1}, store.ErrNotClaimed},
			{"unknown id", store.Lease{ID: rowID(t, m) + 1000, Owner: "sender", Attempt: 1}, store.ErrNotFound},
		} {
			f.wantSettleErrors(tt.name, tt.lease, tt.want)
		}
		f.wantOutboxCounts(1, 0)
		wantEqual(t, "claim after the refused calls", contentsOf(f.claimOutbox(10, time.Minute)), []string{"hello"})
	}
}

// wantSettleErrors calls every settling call with lease and checks that
// each returns want.
func (f *fixture) wantSettleErrors(name string, lease store.Lease, want error) {
	f.t.Helper()
	_, err := f.s.MarkSent(f.ctx, lease, "2001", startTime)
	wantError(f.t, "MarkSent of "+name, err, want)
	_, err = f.s.MarkFailed(f.ctx, lease, "x")
	wantError(f.t, "MarkFailed of "+name, err, want)
	_, err = f.s.MarkUnknown(f.ctx, lease, "x")
	wantError(f.t, "MarkUnknown of "+name, err, want)
	err = f.s.Reschedule(f.ctx, lease, startTime, "x")
	wantError(f.t, "Reschedule of "+name, err, want)
}

func testOutboxTenancy(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		before, err := f.s.Conversation(f.ctx, "m1", convID)
		mustNoError(t, "Conversation", err)
		_, err = f.s.QueueMessage(f.ctx, "m2", convID, store.Message{Content: "x"}, nil, startTime)
		wantError(t, "QueueMessage by another merchant", err, store.ErrNotFound)
		f.wantOutboxCounts(0, 0)
		after, err := f.s.Conversation(f.ctx, "m1", convID)
		mustNoError(t, "Conversation", err)
		wantEqual(t, "conversation after the refused QueueMessage", after, before)
		wantEqual(t, "message count", len(f.messages("m1", convID)), 1)
	}
}

func runOutboxConcurrency(t *testing.T, open Opener) {
	t.Run("claimers never share a row", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		const rows = 60
		for i := range rows {
			f.queue("m1", convID, fmt.Sprint("dm ", i))
		}

		claimed := make(chan []store.OutboxItem, rows)
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				for {
					items, err := f.s.ClaimOutbox(f.ctx, fmt.Sprint("sender", w), 7, time.Hour)
					if err != nil {
						t.Errorf("ClaimOutbox: %v", err)
						return
					}
					if len(items) == 0 {
						return
					}
					claimed <- items
				}
			})
		}
		wg.Wait()
		close(claimed)

		seen := make(map[int64]int)
		for items := range claimed {
			for _, it := range items {
				seen[it.ID]++
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("row %d claimed %d times, want 1", id, n)
			}
		}
		wantEqual(t, "rows claimed", len(seen), rows)
		f.wantOutboxCounts(0, rows)
	})
}

func testDeferAccount(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		b := f.connect("m1", "200", "other")
		convA := f.conversation(a, "555")
		convB := f.conversation(b, "666")
		f.queue("m1", convA, "a1")
		f.queue("m1", convA, "a2")
		f.queue("m1", convB, "b1")
		until := f.clock.Now().Add(time.Hour)
		moved, err := f.s.DeferAccount(f.ctx, a.ID, until)
		mustNoError(t, "DeferAccount", err)
		wantEqual(t, "rows moved", moved, 2)
		wantEqual(t, "claimable now", contentsOf(f.claimOutbox(10, time.Minute)), []string{"b1"})
		again, err := f.s.DeferAccount(f.ctx, a.ID, until.Add(-time.Minute))
		mustNoError(t, "DeferAccount to an earlier time", err)
		wantEqual(t, "rows moved to an earlier time", again, 0)
		f.clock.Advance(time.Hour)
		wantEqual(t, "claimable after the deferral", contentsOf(f.claimOutbox(10, time.Minute)), []string{"a1", "a2"})
		none, err := f.s.DeferAccount(f.ctx, "999999", until)
		mustNoError(t, "DeferAccount of an unknown account", err)
		wantEqual(t, "rows moved for an unknown account", none, 0)
	}
}
