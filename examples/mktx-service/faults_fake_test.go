package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/xtest"
)

// failingEnqueueStore is the service's store with an inbox that rejects
// deliveries while failing is set, as a database that is down does.
type failingEnqueueStore struct {
	store.Store
	failing  atomic.Bool
	rejected atomic.Int32 // Enqueue calls rejected so far
}

var errInboxDown = errors.New("inbox database unavailable (test)")

func (s *failingEnqueueStore) Enqueue(ctx context.Context, d store.Delivery) (store.EnqueueResult, error) {
	if s.failing.Load() {
		s.rejected.Add(1)
		return store.EnqueueResult{}, errInboxDown
	}
	return s.Store.Enqueue(ctx, d)
}

// deliverDM has the customer or the shop send a DM from X's own apps and
// returns its event id.
func (w *fakeWorld) deliverDM(senderID, recipientID, text string) string {
	w.t.Helper()
	id, err := w.h.fake.DeliverDM(w.ctx, senderID, recipientID, text)
	w.must(err)
	return id
}

// checkConversation checks that the merchant's one conversation, with the
// customer, contains exactly want, newest first by X's times, and shows
// the newest message and wantUsername.
func checkConversation(w *fakeWorld, wantUsername string, want ...messageView) {
	w.t.Helper()
	conv := conversationWith(w.t, w.h, w.merchant, w.customer.ID)
	if conv.ParticipantUsername != wantUsername {
		w.t.Errorf("participantUsername = %q, want %q", conv.ParticipantUsername, wantUsername)
	}
	if len(want) > 0 && conv.LastMessagePreview != want[0].Content {
		w.t.Errorf("lastMessagePreview = %q, want the newest message %q", conv.LastMessagePreview, want[0].Content)
	}
	got := w.h.messages(w.merchant, conv.ID)
	if len(got) != len(want) {
		w.t.Fatalf("conversation has %d messages, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g := got[i]
		if g.TwitterEventID != want[i].TwitterEventID || g.Direction != want[i].Direction || g.Content != want[i].Content {
			w.t.Errorf("message %d = event %s %s %q, want event %s %s %q", i,
				g.TwitterEventID, g.Direction, g.Content, want[i].TwitterEventID, want[i].Direction, want[i].Content)
		}
	}
}

// wantInbound and wantOutbound return the expected view of a received DM
// and of the account's own DM, for checkConversation.
func wantInbound(eventID, text string) messageView {
	return messageView{TwitterEventID: eventID, Direction: string(store.Inbound), Content: text}
}

func wantOutbound(eventID, text string) messageView {
	return messageView{TwitterEventID: eventID, Direction: string(store.Outbound), Content: text}
}

// TestFakeDuplicateDeliveries has the fake X send each delivery several
// times. Every event must be stored and applied once.
func TestFakeDuplicateDeliveries(t *testing.T) {
	for _, family := range []string{familyAAA, familyXAA} {
		t.Run(family, func(t *testing.T) {
			w := newFakeWorld(t, family)
			h := w.h
			w.must(h.fake.DuplicateNextDelivery(w.hookID, 3))
			question := w.deliverDM(w.customer.ID, shopID, "Is the blue jacket in stock?")
			w.step()
			w.must(h.fake.DuplicateNextDelivery(w.hookID, 2))
			w.must(h.fake.Follow(w.ctx, w.customer.ID, shopID))
			h.process()
			// A copy that arrives after its event was processed is a duplicate
			// too.
			w.step()
			w.must(h.fake.DuplicateNextDelivery(w.hookID, 2))
			reply := w.deliverDM(shopID, w.customer.ID, "Yes, sizes M and L")
			h.process()

			deliveries := h.fake.Deliveries(w.hookID)
			duplicates := 0
			for _, d := range deliveries {
				if d.Status != http.StatusOK {
					t.Errorf("delivery got status %d, want 200", d.Status)
				}
				if d.Duplicate {
					duplicates++
				}
			}
			if len(deliveries) != 7 || duplicates != 4 {
				t.Errorf("the fake sent %d deliveries with %d duplicates, want 7 with 4", len(deliveries), duplicates)
			}
			checkInboxMatchesDeliveries(t, h, w.hookID)
			if rows := inboxRows(t, h); len(rows) != 3 {
				t.Errorf("inbox has %d rows, want 3: two DMs and a follow", len(rows))
			}
			checkMessagesOnce(t, h, w.merchant, question, reply)
			checkConversation(w, w.customer.Username,
				wantOutbound(reply, "Yes, sizes M and L"), wantInbound(question, "Is the blue jacket in stock?"))
			if c := w.contact(w.customer.ID); !c.Following {
				t.Errorf("contact = %+v, want following", c)
			}
		})
	}
}

// TestFakeReorderedDeliveries has the fake X hold deliveries and release
// them reversed or shuffled. The service must end as if they had arrived
// in order: messages sorted by X's times, the newest one as the preview,
// and each contact relation as its latest event set it.
func TestFakeReorderedDeliveries(t *testing.T) {
	t.Run("reply echo before the question", func(t *testing.T) {
		// DMs carry X's times in both families.
		for _, family := range []string{familyAAA, familyXAA} {
			t.Run(family, func(t *testing.T) {
				w := newFakeWorld(t, family)
				h := w.h
				w.must(h.fake.HoldDeliveries(w.hookID))
				question := w.deliverDM(w.customer.ID, shopID, "Do you ship to Lisbon?")
				w.step()
				reply := w.deliverDM(shopID, w.customer.ID, "Yes, within two days")
				w.step()
				thanks := w.deliverDM(w.customer.ID, shopID, "Great, thanks")
				releaseAndProcess(w, xtest.ReleaseReversed, 3)

				checkInboxMatchesDeliveries(t, h, w.hookID)
				checkMessagesOnce(t, h, w.merchant, question, reply, thanks)
				checkConversation(w, w.customer.Username,
					wantInbound(thanks, "Great, thanks"),
					wantOutbound(reply, "Yes, within two days"),
					wantInbound(question, "Do you ship to Lisbon?"))
			})
		}
	})

	// Follow, block and mute events carry X's time in AAA bodies only, so
	// only there can the service tell a late event from a new one.
	t.Run("unfollow before follow", func(t *testing.T) {
		w := newFakeWorld(t, familyAAA)
		h := w.h
		w.must(h.fake.HoldDeliveries(w.hookID))
		w.must(h.fake.Follow(w.ctx, w.customer.ID, shopID))
		w.step()
		w.must(h.fake.Unfollow(w.ctx, w.customer.ID, shopID))
		releaseAndProcess(w, xtest.ReleaseReversed, 2)

		checkInboxMatchesDeliveries(t, h, w.hookID)
		if c := w.contact(w.customer.ID); c.Following {
			t.Errorf("contact = %+v, want not following: the unfollow is the latest event", c)
		}
	})

	t.Run("shuffled conversation and relations", func(t *testing.T) {
		w := newFakeWorld(t, familyAAA)
		h := w.h
		w.must(h.fake.HoldDeliveries(w.hookID))
		var want []messageView
		var ids []string
		addDM := func(senderID, recipientID, text string) {
			id := w.deliverDM(senderID, recipientID, text)
			ids = append(ids, id)
			if senderID == shopID {
				want = append([]messageView{wantOutbound(id, text)}, want...)
			} else {
				want = append([]messageView{wantInbound(id, text)}, want...)
			}
			w.step()
		}
		act := func(err error) {
			w.must(err)
			w.step()
		}
		addDM(w.customer.ID, shopID, "Hi, is the shop open today?")
		act(h.fake.Follow(w.ctx, w.customer.ID, shopID))
		addDM(shopID, w.customer.ID, "Yes, until 6 pm")
		act(h.fake.Block(w.ctx, shopID, w.customer.ID))
		act(h.fake.Unfollow(w.ctx, w.customer.ID, shopID))
		act(h.fake.Unblock(w.ctx, shopID, w.customer.ID))
		addDM(w.customer.ID, shopID, "See you later")
		act(h.fake.Mute(w.ctx, shopID, w.customer.ID))
		act(h.fake.Follow(w.ctx, w.customer.ID, shopID))
		addDM(shopID, w.customer.ID, "See you!")
		releaseAndProcess(w, xtest.ReleaseShuffled, 10)

		checkInboxMatchesDeliveries(t, h, w.hookID)
		checkMessagesOnce(t, h, w.merchant, ids...)
		checkConversation(w, w.customer.Username, want...)
		c := w.contact(w.customer.ID)
		if !c.Following || c.Blocked || !c.Muted {
			t.Errorf("contact = %+v, want following, not blocked and muted, as the latest events left it", c)
		}
	})

	t.Run("handle change between DMs reversed", func(t *testing.T) {
		// The customer renames the handle between two DMs. Each delivery's
		// users map carries the handle of its time, so the newest DM's
		// handle is the current one, whatever the order of arrival.
		w := newFakeWorld(t, familyAAA)
		h := w.h
		w.must(h.fake.HoldDeliveries(w.hookID))
		first := w.deliverDM(w.customer.ID, shopID, "Hello")
		w.step()
		w.must(h.fake.UpdateProfile(w.ctx, w.customer.ID, xtest.ProfileHandle, "customer_renamed"))
		w.step()
		second := w.deliverDM(w.customer.ID, shopID, "It's me again, with a new handle")
		releaseAndProcess(w, xtest.ReleaseReversed, 2)

		checkInboxMatchesDeliveries(t, h, w.hookID)
		checkConversation(w, "customer_renamed",
			wantInbound(second, "It's me again, with a new handle"), wantInbound(first, "Hello"))
	})
}

// releaseAndProcess releases the deliveries held for the world's webhook
// in the given order, checks that there were n and that the service acknowledged
// each, and processes the inbox.
func releaseAndProcess(w *fakeWorld, order xtest.ReleaseOrder, n int) {
	w.t.Helper()
	h := w.h
	if got := len(h.fake.Deliveries(w.hookID)); got != 0 {
		w.t.Fatalf("the fake sent %d deliveries while holding them", got)
	}
	released, err := h.fake.ReleaseDeliveries(w.ctx, w.hookID, order)
	if err != nil {
		w.t.Fatal(err)
	}
	if released != n {
		w.t.Errorf("released %d deliveries, want %d", released, n)
	}
	for i, d := range h.fake.Deliveries(w.hookID) {
		if d.Status != http.StatusOK {
			w.t.Errorf("released delivery %d: status %d, want 200", i, d.Status)
		}
	}
	h.process()
}

// TestFakeDroppedDeliveriesReplayed has the fake X lose deliveries, then
// recovers them with a replay, which sends every delivery of its window
// again: the lost events are stored, the others not a second time.
func TestFakeDroppedDeliveriesReplayed(t *testing.T) {
	for _, family := range []string{familyAAA, familyXAA} {
		t.Run(family, func(t *testing.T) {
			w := newFakeWorld(t, family)
			h := w.h
			w.must(h.fake.DropNextDelivery(w.hookID))
			w.must(h.fake.DropNextDelivery(w.hookID))
			lost := w.deliverDM(w.customer.ID, shopID, "Is anyone there?")
			w.step()
			w.must(h.fake.Follow(w.ctx, w.customer.ID, shopID))
			w.step()
			arrived := w.deliverDM(w.customer.ID, shopID, "Hello?")
			h.process()

			checkMessagesOnce(t, h, w.merchant, arrived)
			w.checkNoContact(w.customer.ID)
			dropped := 0
			for _, d := range h.fake.Deliveries(w.hookID) {
				if d.Dropped {
					dropped++
				}
			}
			if dropped != 2 {
				t.Fatalf("the fake dropped %d deliveries, want 2", dropped)
			}

			now := h.clock.now()
			job, err := w.managementClient().Replay(w.ctx, w.hookID, now.Add(-time.Hour), now)
			if err != nil {
				t.Fatal(err)
			}
			h.fake.WaitReplays()
			h.process()

			replayed := 0
			for _, d := range h.fake.Deliveries(w.hookID) {
				if d.Replay {
					replayed++
					if d.Status != http.StatusOK {
						t.Errorf("replayed delivery: status %d, want 200", d.Status)
					}
				}
			}
			if replayed != 4 {
				t.Errorf("the replay sent %d deliveries, want the 3 events and the job status", replayed)
			}
			checkInboxMatchesDeliveries(t, h, w.hookID)
			checkMessagesOnce(t, h, w.merchant, lost, arrived)
			checkConversation(w, w.customer.Username, wantInbound(arrived, "Hello?"), wantInbound(lost, "Is anyone there?"))
			if c := w.contact(w.customer.ID); !c.Following {
				t.Errorf("contact = %+v, want following after the replay", c)
			}
			if logs := h.logs.String(); !strings.Contains(logs, "job="+job.JobID) || !strings.Contains(logs, "state=Complete") {
				t.Errorf("logs lack the completed replay job %s", job.JobID)
			}
		})
	}
}

// TestFakeRetriesAfterStorageFailure makes the service's inbox fail, so
// that the service responds 503, and lets the fake X retry on its schedule
// until the inbox is back: each event is stored once, from the retry that
// got a 200.
func TestFakeRetriesAfterStorageFailure(t *testing.T) {
	for _, family := range []string{familyAAA, familyXAA} {
		t.Run(family, func(t *testing.T) {
			w := newFakeWorld(t, family)
			h := w.h
			inbox := &failingEnqueueStore{Store: h.srv.store}
			inbox.failing.Store(true)
			h.srv.store = inbox

			question := w.deliverDM(w.customer.ID, shopID, "Is the blue jacket in stock?")
			w.must(h.fake.Follow(w.ctx, w.customer.ID, shopID))
			retry := xtest.DefaultRetrySchedule()
			h.clock.advance(retry[0])
			if n := h.fake.RunDue(w.ctx); n != 2 {
				t.Errorf("first retries: RunDue ran %d pieces of work, want 2", n)
			}
			if n := inbox.rejected.Load(); n != 4 {
				t.Errorf("the inbox rejected %d deliveries, want 4: two events, twice each", n)
			}
			h.process()
			if convs := h.conversations(w.merchant); len(convs) != 0 {
				t.Errorf("conversations while the inbox is down = %+v, want none", convs)
			}

			inbox.failing.Store(false)
			h.clock.advance(retry[1])
			if n := h.fake.RunDue(w.ctx); n != 2 {
				t.Errorf("second retries: RunDue ran %d pieces of work, want 2", n)
			}
			h.process()

			var attempts []int
			var statuses []int
			for _, d := range h.fake.Deliveries(w.hookID) {
				attempts = append(attempts, d.Attempt)
				statuses = append(statuses, d.Status)
			}
			wantAttempts := []int{1, 1, 2, 2, 3, 3}
			wantStatuses := []int{503, 503, 503, 503, 200, 200}
			if !slices.Equal(attempts, wantAttempts) || !slices.Equal(statuses, wantStatuses) {
				t.Errorf("deliveries: attempts %v statuses %v, want attempts %v statuses %v",
					attempts, statuses, wantAttempts, wantStatuses)
			}
			if at, pending := h.fake.NextDue(); pending && at.Sub(h.clock.now()) < 10*time.Minute {
				t.Errorf("the fake still has work due at %v, want no retry left", at)
			}
			checkInboxMatchesDeliveries(t, h, w.hookID)
			checkMessagesOnce(t, h, w.merchant, question)
			checkConversation(w, w.customer.Username, wantInbound(question, "Is the blue jacket in stock?"))
			if c := w.contact(w.customer.ID); !c.Following {
				t.Errorf("contact = %+v, want following", c)
			}
			if !strings.Contains(h.logs.String(), "storing a webhook delivery failed") {
				t.Error("logs lack the storage failures")
			}
		})
	}
}
