package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// runWriteConcurrency checks writes that read a row and then change the
// store on the strength of what they read, called at the same time from
// several goroutines. A store that runs its transactions concurrently
// must still give each call the result the contract states.
func runWriteConcurrency(t *testing.T, open Opener) {
	t.Run("first connect of one X user", func(t *testing.T) {
		f := newFixture(t, open)
		const callers = 8
		type result struct {
			acct    store.Account
			created bool
			err     error
		}
		results := make([]result, callers)

		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				// Half of the callers are another merchant.
				merchant := []string{"m1", "m2"}[i%2]
				acct, created, err := f.s.ConnectAccount(f.ctx, store.Account{
					MerchantID: merchant, XUserID: "100", Username: "shop", Credentials: []byte("sealed"),
				})
				results[i] = result{acct, created, err}
			})
		}
		wg.Wait()

		created, connected, conflicts := 0, 0, 0
		var owner, id string
		for i, r := range results {
			switch {
			case errors.Is(r.err, store.ErrConflict):
				conflicts++
				continue
			case r.err != nil:
				t.Fatalf("caller %d: ConnectAccount: %v", i, r.err)
			}
			connected++
			if r.created {
				created++
			}
			if id == "" {
				owner, id = r.acct.MerchantID, r.acct.ID
			}
			if r.acct.MerchantID != owner || r.acct.ID != id {
				t.Errorf("caller %d connected account %s of %s, want account %s of %s", i, r.acct.ID, r.acct.MerchantID, id, owner)
			}
		}
		wantEqual(t, "callers that created the account", created, 1)
		wantEqual(t, "callers of the owner plus conflicts", connected+conflicts, callers)
		wantEqual(t, "conflicts", conflicts, callers/2)
	})

	t.Run("record of one event", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		const callers = 8
		inserted := make([]bool, callers)
		ids := make([]string, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				c := store.Conversation{AccountID: a.ID, ParticipantID: "555"}
				m := store.Message{Direction: store.Inbound, XEventID: "9001", SenderID: "555", Content: "hi",
					Type: "text", Status: store.MessageReceived, CreatedAt: startTime}
				stored, ok, err := f.s.RecordMessage(f.ctx, c, m)
				if err != nil {
					t.Errorf("caller %d: RecordMessage: %v", i, err)
				}
				inserted[i], ids[i] = ok, stored.ID
			})
		}
		wg.Wait()
		n := 0
		for i := range callers {
			if inserted[i] {
				n++
			}
			if ids[i] != ids[0] {
				t.Errorf("caller %d got message %s, caller 0 got %s", i, ids[i], ids[0])
			}
		}
		wantEqual(t, "callers that inserted the message", n, 1)
	})

	t.Run("queue and echo in one conversation", func(t *testing.T) {
		// Each DM is queued and its echo recorded at the same time, in
		// many conversations of one account: every DM must end as one sent
		// message, whichever call came first.
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		const conversations, dms = 4, 6
		convIDs := make([]string, conversations)
		for c := range convIDs {
			msg, _ := f.record(a, fmt.Sprint(500+c), fmt.Sprint(1000+c), 0)
			convIDs[c] = msg.ConversationID
		}

		var wg sync.WaitGroup
		for c, convID := range convIDs {
			for d := range dms {
				content := fmt.Sprintf("reply %d", d)
				wg.Go(func() {
					_, err := f.s.QueueMessage(f.ctx, "m1", convID,
						store.Message{Content: content, Type: "text", CreatedAt: startTime.Add(time.Second)}, nil, startTime)
					if err != nil {
						t.Errorf("QueueMessage: %v", err)
					}
				})
				wg.Go(func() {
					conv := store.Conversation{AccountID: a.ID, ParticipantID: fmt.Sprint(500 + c)}
					echo := store.Message{Direction: store.Outbound, XEventID: fmt.Sprintf("%d%02d", 2000+c, d),
						SenderID: "100", Content: content, Type: "text", Status: store.MessageSent,
						CreatedAt: startTime.Add(2 * time.Second)}
					if _, _, err := f.s.RecordMessage(f.ctx, conv, echo); err != nil {
						t.Errorf("RecordMessage: %v", err)
					}
				})
			}
		}
		wg.Wait()

		for c, convID := range convIDs {
			page, err := f.s.Messages(f.ctx, store.MessageQuery{MerchantID: "m1", ConversationID: convID, Limit: 100})
			mustNoError(t, "Messages", err)
			sent, queued := 0, 0
			for _, m := range page.Items {
				switch {
				case m.Direction == store.Outbound && m.Status == store.MessageSent:
					sent++
				case m.Direction == store.Outbound:
					queued++
				}
			}
			// An echo recorded before its DM was queued is stored as its
			// own message, and the DM stays queued until MarkSent merges
			// them, so each DM is one sent message or one echo and one
			// queued DM.
			if sent != dms || queued > dms {
				t.Errorf("conversation %d: %d sent and %d queued outbound messages, want %d sent and at most %d queued",
					c, sent, queued, dms, dms)
			}
		}
	})
}
