package storetest

import (
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// runLeases checks that only the current claim of a row settles it: a
// settling call under a lease that was taken over, ended or never held
// returns store.ErrNotClaimed and changes nothing.
func runLeases(t *testing.T, open Opener) {
	t.Run("inbox settle after takeover", testInboxTakeover(open))
	t.Run("inbox reclaim by same owner", func(t *testing.T) {
		f := newFixture(t, open)
		f.enqueue(delivery("1", "a"))
		first := f.claimAs("A", 1, time.Second)[0]
		f.clock.Advance(time.Second)
		second := f.claimAs("A", 1, time.Minute)[0]
		wantEqual(t, "second lease", second.Lease, store.Lease{ID: first.ID, Owner: "A", Attempt: 2})
		wantError(t, "Fail under the first lease", f.s.Fail(f.ctx, first.Lease, "late", f.clock.Now(), false), store.ErrNotClaimed)
		wantError(t, "Complete under the first lease", f.s.Complete(f.ctx, first.Lease), store.ErrNotClaimed)
		f.wantCounts(0, 1, 0, 0)
		mustNoError(t, "Complete under the second lease", f.s.Complete(f.ctx, second.Lease))
		f.wantCounts(0, 0, 1, 0)
	})
	t.Run("inbox expired lease still settles", testInboxExpiredLease(open))
	t.Run("inbox foreign lease", testInboxForeignLease(open))
	t.Run("inbox settle needs processing", testInboxSettleState(open))

	t.Run("outbox settle after reclaim", testOutboxReclaim(open))
	t.Run("outbox expired lease", testOutboxExpiredLease(open))
	t.Run("outbox foreign lease", testOutboxForeignLease(open))
}

// testInboxTakeover is the race a lease exists to prevent: worker A's lease
// expires, worker B claims the row, and A's late calls must not release,
// fail or complete the row that B is processing.
func testInboxTakeover(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		f.enqueue(delivery("1", "a"))
		a := f.claimAs("A", 1, time.Second)[0]
		f.clock.Advance(time.Second)
		b := f.claimAs("B", 1, time.Minute)[0]
		wantEqual(t, "lease of B", b.Lease, store.Lease{ID: a.ID, Owner: "B", Attempt: 2})

		err := f.s.Fail(f.ctx, a.Lease, "late retry", f.clock.Now(), false)
		wantError(t, "Fail with retry by A", err, store.ErrNotClaimed)
		wantEqual(t, "claim by C after A's retry", keysOf(f.claimAs("C", 10, time.Minute)), []string{})
		err = f.s.Fail(f.ctx, a.Lease, "late final", time.Time{}, true)
		wantError(t, "final Fail by A", err, store.ErrNotClaimed)
		wantError(t, "Complete by A", f.s.Complete(f.ctx, a.Lease), store.ErrNotClaimed)
		f.wantCounts(0, 1, 0, 0)

		f.clock.Advance(59 * time.Second)
		wantEqual(t, "claim by C during B's lease", keysOf(f.claimAs("C", 10, time.Minute)), []string{})
		mustNoError(t, "Complete by B", f.s.Complete(f.ctx, b.Lease))
		f.wantCounts(0, 0, 1, 0)
		wantError(t, "Complete by A after B", f.s.Complete(f.ctx, a.Lease), store.ErrNotClaimed)
	}
}

// testInboxExpiredLease checks that the end of a lease alone does not end
// the claim: while no other worker has claimed the row, its claimer may
// still settle it.
func testInboxExpiredLease(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		f.enqueue(delivery("1", "a", "b"))
		items := f.claimAs("A", 2, time.Second)
		f.clock.Advance(time.Hour)
		mustNoError(t, "Complete after the lease", f.s.Complete(f.ctx, items[0].Lease))
		mustNoError(t, "final Fail after the lease", f.s.Fail(f.ctx, items[1].Lease, "bad event", time.Time{}, true))
		f.wantCounts(0, 0, 1, 1)
	}
}

func testInboxForeignLease(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		f.enqueue(delivery("1", "a"))
		it := f.claimAs("A", 1, time.Minute)[0]
		for _, tt := range []struct {
			name  string
			lease store.Lease
		}{
			{"other owner", store.Lease{ID: it.ID, Owner: "B", Attempt: 1}},
			{"earlier attempt", store.Lease{ID: it.ID, Owner: "A", Attempt: 0}},
			{"later attempt", store.Lease{ID: it.ID, Owner: "A", Attempt: 2}},
		} {
			wantError(t, "Complete with "+tt.name, f.s.Complete(f.ctx, tt.lease), store.ErrNotClaimed)
			err := f.s.Fail(f.ctx, tt.lease, "x", f.clock.Now(), false)
			wantError(t, "Fail with "+tt.name, err, store.ErrNotClaimed)
			err = f.s.Fail(f.ctx, tt.lease, "x", time.Time{}, true)
			wantError(t, "final Fail with "+tt.name, err, store.ErrNotClaimed)
		}
		f.wantCounts(0, 1, 0, 0)
		mustNoError(t, "Complete with the lease", f.s.Complete(f.ctx, it.Lease))
		f.wantCounts(0, 0, 1, 0)
	}
}

// testInboxSettleState checks that a lease settles its row once: after the
// row went back to pending or failed for good, the lease settles nothing.
func testInboxSettleState(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		f.enqueue(delivery("1", "a", "b"))
		items := f.claim(2, time.Minute)
		retryAt := f.clock.Now().Add(time.Minute)
		mustNoError(t, "Fail with retry", f.s.Fail(f.ctx, items[0].Lease, "x", retryAt, false))
		wantError(t, "Complete of a pending row", f.s.Complete(f.ctx, items[0].Lease), store.ErrNotClaimed)
		err := f.s.Fail(f.ctx, items[0].Lease, "again", f.clock.Now(), false)
		wantError(t, "Fail of a pending row", err, store.ErrNotClaimed)
		wantEqual(t, "claim before the retry time", keysOf(f.claim(10, time.Minute)), []string{})

		mustNoError(t, "final Fail", f.s.Fail(f.ctx, items[1].Lease, "bad", time.Time{}, true))
		wantError(t, "Complete of a failed row", f.s.Complete(f.ctx, items[1].Lease), store.ErrNotClaimed)
		err = f.s.Fail(f.ctx, items[1].Lease, "again", f.clock.Now(), false)
		wantError(t, "Fail of a failed row", err, store.ErrNotClaimed)
		f.wantCounts(1, 0, 0, 1)
		f.clock.Advance(time.Minute)
		wantEqual(t, "claim at the retry time", keysOf(f.claim(10, time.Minute)), []string{"a"})
	}
}

// testOutboxReclaim returns a row to pending and has it claimed again, by
// another owner and by the same one: the first claim's lease then settles
// nothing, and the second claim's lease settles the row.
func testOutboxReclaim(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		for _, second := range []string{"B", "A"} {
			t.Run("by "+second, func(t *testing.T) {
				f := newFixture(t, open)
				a := f.connect("m1", "100", "shop")
				convID := f.conversation(a, "555")
				m := f.queue("m1", convID, "hello")
				first := f.claimItemAs("A", m, time.Minute)
				mustNoError(t, "Reschedule", f.s.Reschedule(f.ctx, first.Lease, f.clock.Now(), "429"))
				items := f.claimOutboxAs(second, 1, time.Minute)
				wantEqual(t, "second lease", items[0].Lease, store.Lease{ID: first.ID, Owner: second, Attempt: 2})

				f.wantSettleErrors("the first lease", first.Lease, store.ErrNotClaimed)
				f.wantOutboxCounts(0, 1)
				queued := m
				queued.StatusReason = "429"
				wantEqual(t, "message after the refused calls", f.messages("m1", convID)[0], queued)

				got, err := f.s.MarkSent(f.ctx, items[0].Lease, "2001", startTime)
				mustNoError(t, "MarkSent under the second lease", err)
				wantEqual(t, "sent message", got, sent(m, "2001", 0))
				_, err = f.s.MarkSent(f.ctx, first.Lease, "2001", startTime)
				wantError(t, "MarkSent again under the first lease", err, store.ErrNotClaimed)
			})
		}
	}
}

// testOutboxExpiredLease checks that an expired lease settles its row until
// a ClaimOutbox settles the row as unknown. After that only MarkSent under
// that lease is accepted, because a late success resolves the doubt.
func testOutboxExpiredLease(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		early := f.queue("m1", convID, "early")
		late := f.queue("m1", convID, "late")
		leases := f.claimOutboxAs("A", 2, time.Minute)
		f.clock.Advance(time.Hour)
		_, err := f.s.MarkFailed(f.ctx, leases[0].Lease, "refused")
		mustNoError(t, "MarkFailed after the lease, before a claim", err)

		f.claimOutboxAs("B", 10, time.Minute) // settles the late DM's row as unknown
		f.wantOutboxCounts(0, 0)
		lease := leases[1].Lease
		_, err = f.s.MarkFailed(f.ctx, lease, "late")
		wantError(t, "MarkFailed of the unknown row", err, store.ErrNotClaimed)
		_, err = f.s.MarkUnknown(f.ctx, lease, "late")
		wantError(t, "MarkUnknown of the unknown row", err, store.ErrNotClaimed)
		err = f.s.Reschedule(f.ctx, lease, f.clock.Now(), "late")
		wantError(t, "Reschedule of the unknown row", err, store.ErrNotClaimed)
		foreign := store.Lease{ID: lease.ID, Owner: "B", Attempt: lease.Attempt}
		_, err = f.s.MarkSent(f.ctx, foreign, "2001", startTime)
		wantError(t, "MarkSent of the unknown row under another owner", err, store.ErrNotClaimed)
		unknown := late
		unknown.Status, unknown.StatusReason = store.MessageUnknown, store.LeaseExpiredReason
		wantEqual(t, "message after the refused calls", f.messages("m1", convID)[0], unknown)

		got, err := f.s.MarkSent(f.ctx, lease, "2001", startTime)
		mustNoError(t, "MarkSent of the unknown row under its lease", err)
		wantEqual(t, "sent message", got, sent(late, "2001", 0))
		again, err := f.s.MarkSent(f.ctx, lease, "2001", startTime.Add(time.Hour))
		mustNoError(t, "MarkSent again", err)
		wantEqual(t, "message after MarkSent again", again, got)
		_, err = f.s.MarkSent(f.ctx, foreign, "2001", startTime)
		wantError(t, "MarkSent of the sent row under another owner", err, store.ErrNotClaimed)
		failed := early
		failed.Status, failed.StatusReason = store.MessageFailed, "refused"
		wantEqual(t, "early DM", f.messages("m1", convID)[1], failed)
	}
}

func testOutboxForeignLease(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m := f.queue("m1", convID, "hello")
		it := f.claimItemAs("A", m, time.Minute)
		for _, tt := range []struct {
			name  string
			lease store.Lease
		}{
			{"other owner", store.Lease{ID: it.ID, Owner: "B", Attempt: 1}},
			{"earlier attempt", store.Lease{ID: it.ID, Owner: "A", Attempt: 0}},
			{"later attempt", store.Lease{ID: it.ID, Owner: "A", Attempt: 2}},
		} {
			f.wantSettleErrors(tt.name, tt.lease, store.ErrNotClaimed)
		}
		f.wantOutboxCounts(0, 1)
		wantEqual(t, "message after the refused calls", f.messages("m1", convID)[0], m)
		got, err := f.s.MarkUnknown(f.ctx, it.Lease, "timeout")
		mustNoError(t, "MarkUnknown under the lease", err)
		wantEqual(t, "status", got.Status, store.MessageUnknown)
	}
}
