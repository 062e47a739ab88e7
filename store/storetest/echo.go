package storetest

import (
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// echo records the account's own DM to participant as X delivers it to the
// webhook, created at the given offset from startTime.
func (f *fixture) echo(a store.Account, participant, eventID, content string, at time.Duration) (store.Message, bool) {
	f.t.Helper()
	c := store.Conversation{MerchantID: a.MerchantID, AccountID: a.ID, ParticipantID: participant}
	m := store.Message{
		Direction: store.Outbound,
		XEventID:  eventID,
		SenderID:  a.XUserID,
		Content:   content,
		Type:      "text",
		Status:    store.MessageSent,
		CreatedAt: startTime.Add(at),
	}
	stored, inserted, err := f.s.RecordMessage(f.ctx, c, m)
	mustNoError(f.t, "RecordMessage of echo "+eventID, err)
	return stored, inserted
}

func (f *fixture) markSent(m store.Message, eventID string, at time.Duration) store.Message {
	f.t.Helper()
	got, err := f.s.MarkSent(f.ctx, f.lease(m), eventID, startTime.Add(at))
	mustNoError(f.t, "MarkSent "+eventID, err)
	return got
}

// sent returns m as it reads once sent with the event id at the offset.
func sent(m store.Message, eventID string, at time.Duration) store.Message {
	m.XEventID, m.Status, m.StatusReason, m.CreatedAt = eventID, store.MessageSent, "", millis(startTime.Add(at))
	return m
}

func wantInserted(t *testing.T, what string, got, want bool) {
	t.Helper()
	if got != want {
		t.Errorf("%s: inserted = %v, want %v", what, got, want)
	}
}

func runEchoes(t *testing.T, open Opener) {
	t.Run("echo after MarkSent deduplicated", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m := f.queue("m1", convID, "hello")
		f.claimItem(m)
		want := sent(m, "2001", time.Second)
		wantEqual(t, "MarkSent", f.markSent(m, "2001", time.Second), want)
		got, inserted := f.echo(a, "555", "2001", "hello", 2*time.Second)
		wantInserted(t, "echo", inserted, false)
		wantEqual(t, "echo", got, want)
		wantEqual(t, "messages", f.messages("m1", convID)[:1], []store.Message{want})
		wantEqual(t, "message count", len(f.messages("m1", convID)), 2)
	})

	t.Run("echo before MarkSent", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m := f.queue("m1", convID, "hello")
		f.claimItem(m)
		got, inserted := f.echo(a, "555", "2001", "hello", time.Second)
		wantInserted(t, "echo", inserted, false)
		want := sent(m, "2001", time.Second)
		wantEqual(t, "echo", got, want)
		f.wantOutboxCounts(0, 1)
		wantEqual(t, "MarkSent after the echo", f.markSent(m, "2001", 5*time.Second), want)
		f.wantOutboxCounts(0, 0)
		wantEqual(t, "messages", f.messages("m1", convID)[:1], []store.Message{want})
		wantEqual(t, "message count", len(f.messages("m1", convID)), 2)
		f.wantLast("m1", convID, millis(startTime.Add(time.Second)), "hello")
	})

	t.Run("changed echo merged by MarkSent", testChangedEchoMerged(open))

	t.Run("echo of unknown message", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m := f.queue("m1", convID, "hello")
		f.claimItem(m)
		_, err := f.s.MarkUnknown(f.ctx, f.lease(m), "timeout")
		mustNoError(t, "MarkUnknown", err)
		got, inserted := f.echo(a, "555", "2001", "hello", time.Second)
		wantInserted(t, "echo", inserted, false)
		wantEqual(t, "echo", got, sent(m, "2001", time.Second))
		wantEqual(t, "message count", len(f.messages("m1", convID)), 2)
	})

	t.Run("echo with other content separate", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m := f.queue("m1", convID, "hello")
		f.claimItem(m)
		got, inserted := f.echo(a, "555", "2001", "bye", time.Second)
		wantInserted(t, "echo", inserted, true)
		if got.ID == m.ID {
			t.Errorf("echo with other content took the queued message %s", m.ID)
		}
		wantEqual(t, "messages", f.messages("m1", convID)[:2], []store.Message{got, m})
	})

	t.Run("inbound never matches", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m := f.queue("m1", convID, "message 2001")
		f.claimItem(m)
		got, inserted := f.record(a, "555", "2001", time.Second)
		wantInserted(t, "inbound", inserted, true)
		wantEqual(t, "messages", f.messages("m1", convID)[:2], []store.Message{got, m})
	})

	t.Run("echo in other conversation separate", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		f.conversation(a, "556")
		m := f.queue("m1", convID, "hello")
		f.claimItem(m)
		_, inserted := f.echo(a, "556", "2001", "hello", time.Second)
		wantInserted(t, "echo to another participant", inserted, true)
		wantEqual(t, "queued message", f.messages("m1", convID)[0], m)
	})

	t.Run("echo matches oldest", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		first := f.queue("m1", convID, "ok")
		f.clock.Advance(time.Millisecond)
		second := f.queue("m1", convID, "ok")
		f.claimItem(first)
		f.claimItem(second)
		got, _ := f.echo(a, "555", "2001", "ok", time.Second)
		wantEqual(t, "matched message", got.ID, first.ID)
		got, _ = f.echo(a, "555", "2002", "ok", 2*time.Second)
		wantEqual(t, "second match", got.ID, second.ID)
	})

	t.Run("crossed echoes of equal DMs", testCrossedEchoes(open))
	t.Run("crossed echo with failed row", testCrossedEchoFailed(open))
	t.Run("foreign echo takes queued DM", testForeignEcho(open))
	t.Run("MarkSent rejects foreign event ids", testMarkSentForeignID(open))
	t.Run("last message follows MarkSent", testLastMessageAfterSend(open))
	t.Run("messages order with unsent DMs", testUnsentOrder(open))
}

// testChangedEchoMerged checks the merge of an echo whose content X changed,
// so that it was stored as its own message, into the queued message.
func testChangedEchoMerged(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m := f.queue("m1", convID, "see https://example.com")
		f.claimItem(m)
		c := store.Conversation{AccountID: a.ID, ParticipantID: "555", LastMessagePreview: "see …"}
		echo, inserted, err := f.s.RecordMessage(f.ctx, c, store.Message{
			Direction: store.Outbound, XEventID: "2001", SenderID: "100", Content: "see https://t.co/abc",
			Type: "text", Status: store.MessageSent, CreatedAt: startTime.Add(time.Second),
		})
		mustNoError(t, "RecordMessage of the echo", err)
		wantInserted(t, "changed echo", inserted, true)
		wantEqual(t, "message count before MarkSent", len(f.messages("m1", convID)), 3)

		got := f.markSent(m, "2001", 5*time.Second)
		want := sent(m, "2001", time.Second) // the echo's time, which is X's
		wantEqual(t, "merged message", got, want)
		list := f.messages("m1", convID)
		wantEqual(t, "message count after MarkSent", len(list), 2)
		wantEqual(t, "newest message", list[0], want)
		f.wantLast("m1", convID, millis(startTime.Add(time.Second)), "see …")
		again, inserted := f.echo(a, "555", "2001", echo.Content, 3*time.Second)
		wantInserted(t, "echo redelivered", inserted, false)
		wantEqual(t, "echo redelivered", again, want)
		wantEqual(t, "MarkSent again", f.markSent(m, "2001", 5*time.Second), want)
	}
}

// testCrossedEchoes queues two DMs with equal content; the second is sent
// first and its echo matches the first. Both orders of the MarkSent calls
// must leave each row with a message that carries its own event id.
func testCrossedEchoes(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		for _, secondFirst := range []bool{true, false} {
			name := "first row marked first"
			if secondFirst {
				name = "second row marked first"
			}
			t.Run(name, func(t *testing.T) {
				f := newFixture(t, open)
				a := f.connect("m1", "100", "shop")
				convID := f.conversation(a, "555")
				m1 := f.queue("m1", convID, "ok")
				m2 := f.queue("m1", convID, "ok")
				f.claimItem(m1)
				f.claimItem(m2)
				matched, _ := f.echo(a, "555", "2002", "ok", time.Second)
				wantEqual(t, "echo of DM 2 matched", matched.ID, m1.ID)

				var got1, got2 store.Message
				if secondFirst {
					got2 = f.markSent(m2, "2002", time.Second)
					got1 = f.markSent(m1, "2001", 2*time.Second)
				} else {
					got1 = f.markSent(m1, "2001", 2*time.Second)
					got2 = f.markSent(m2, "2002", time.Second)
				}
				wantEqual(t, "event ids of rows 1 and 2", [2]string{got1.XEventID, got2.XEventID}, [2]string{"2001", "2002"})
				if got1.ID == got2.ID {
					t.Errorf("both rows settled message %s", got1.ID)
				}
				_, inserted := f.echo(a, "555", "2001", "ok", 2*time.Second)
				wantInserted(t, "echo of DM 1", inserted, false)
				list := f.messages("m1", convID)
				wantEqual(t, "message count", len(list), 3)
				for _, m := range list[:2] {
					wantEqual(t, "status of "+m.XEventID, m.Status, store.MessageSent)
				}
				f.wantOutboxCounts(0, 0)
			})
		}
	}
}

func testCrossedEchoFailed(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m1 := f.queue("m1", convID, "ok")
		m2 := f.queue("m1", convID, "ok")
		f.claimItem(m1)
		f.claimItem(m2)
		f.echo(a, "555", "2002", "ok", time.Second)
		failed, err := f.s.MarkFailed(f.ctx, f.lease(m1), "refused")
		mustNoError(t, "MarkFailed of row 1", err)
		wantEqual(t, "row 1's message after MarkFailed", failed.Status, store.MessageSent)

		got := f.markSent(m2, "2002", time.Second)
		wantEqual(t, "row 2's message", got, sent(m1, "2002", time.Second))
		list := f.messages("m1", convID)
		want := m2
		want.Status, want.StatusReason = store.MessageFailed, "refused"
		wantEqual(t, "messages", list[:2], []store.Message{got, want})
	}
}

// testForeignEcho sends the same text from another client while a DM is
// being sent: its echo takes the queued message, and the DM gets a new one.
func testForeignEcho(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		m := f.queue("m1", convID, "ok")
		f.claimItem(m)
		f.echo(a, "555", "2001", "ok", time.Second)
		got := f.markSent(m, "2002", 2*time.Second)
		if got.ID == m.ID {
			t.Errorf("MarkSent returned the message %s that the other echo took", m.ID)
		}
		want := sent(m, "2002", 2*time.Second)
		want.ID = got.ID
		wantEqual(t, "new message", got, want)
		_, inserted := f.echo(a, "555", "2002", "ok", 2*time.Second)
		wantInserted(t, "echo of the DM", inserted, false)
		list := f.messages("m1", convID)
		wantEqual(t, "messages", list[:2], []store.Message{want, sent(m, "2001", time.Second)})
		wantEqual(t, "MarkSent again", f.markSent(m, "2002", 2*time.Second), want)
	}
}

func testMarkSentForeignID(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		f.conversation(a, "556")
		f.echo(a, "556", "2009", "elsewhere", 0)
		m1 := f.queue("m1", convID, "one")
		m2 := f.queue("m1", convID, "two")
		f.claimItem(m1)
		f.claimItem(m2)
		_, err := f.s.MarkSent(f.ctx, f.lease(m1), "2009", startTime)
		wantError(t, "MarkSent with an event id of another conversation", err, store.ErrInvalid)
		_, err = f.s.MarkSent(f.ctx, f.lease(m1), "1555", startTime)
		wantError(t, "MarkSent with the event id of an inbound message", err, store.ErrInvalid)
		f.markSent(m1, "2001", 0)
		_, err = f.s.MarkSent(f.ctx, f.lease(m2), "2001", startTime)
		wantError(t, "MarkSent with the event id of another row", err, store.ErrInvalid)
		f.wantOutboxCounts(0, 1)
		wantEqual(t, "row 2's message", f.messages("m1", convID)[1], m2)
	}
}

// testLastMessageAfterSend checks that a queued DM is the conversation's
// last message, and that the last message is found again when X's time of
// the DM moves it behind another message.
func testLastMessageAfterSend(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		f.clock.Advance(2 * time.Minute)
		m := f.queue("m1", convID, "hello")
		f.wantLast("m1", convID, millis(startTime.Add(2*time.Minute)), "hello")
		f.record(a, "555", "2005", time.Minute)
		f.wantLast("m1", convID, millis(startTime.Add(2*time.Minute)), "hello")
		f.claimItem(m)
		f.markSent(m, "2001", 30*time.Second)
		f.wantLast("m1", convID, millis(startTime.Add(time.Minute)), "message 2005")
	}
}

// testUnsentOrder pages through messages created in one millisecond, with
// and without event ids: event ids first, larger first, then the unsent DMs,
// newest first.
func testUnsentOrder(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		convID := f.conversation(a, "555")
		f.record(a, "555", "5", 0)
		q1 := f.queue("m1", convID, "q1")
		f.record(a, "555", "7", 0)
		q2 := f.queue("m1", convID, "q2")
		q3 := f.queue("m1", convID, "q3")
		f.record(a, "555", "9", time.Minute)
		f.wantLast("m1", convID, millis(startTime.Add(time.Minute)), "message 9")
		want := []string{"9", "7", "5", q3.ID, q2.ID, q1.ID, "1555"}
		for _, limit := range []int{1, 2, 3, 7} {
			var got []string
			q := store.MessageQuery{MerchantID: "m1", ConversationID: convID, Limit: limit}
			for n := 0; n == 0 || q.Cursor != ""; n++ {
				if n > 20 {
					t.Fatalf("limit %d: more than 20 pages: the cursor does not advance", limit)
				}
				p, err := f.s.Messages(f.ctx, q)
				mustNoError(t, "Messages", err)
				for _, m := range p.Items {
					if m.XEventID != "" {
						got = append(got, m.XEventID)
					} else {
						got = append(got, m.ID)
					}
				}
				q.Cursor = p.NextCursor
			}
			wantEqual(t, "event ids or message ids at limit "+show(limit), got, want)
		}
	}
}
