package storetest

import (
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

func runAccounts(t *testing.T, open Opener) {
	t.Run("connect creates", func(t *testing.T) {
		f := newFixture(t, open)
		in := store.Account{MerchantID: "m1", XUserID: "100", Username: "shop", Credentials: []byte{0, 1, 2}}
		got, created, err := f.s.ConnectAccount(f.ctx, in)
		mustNoError(t, "ConnectAccount", err)
		if !created {
			t.Errorf("created = false, want true")
		}
		if got.ID == "" {
			t.Fatalf("ID is empty")
		}
		want := in
		want.ID = got.ID
		want.Status = store.AccountActive
		want.CreatedAt = millis(startTime)
		want.UpdatedAt = millis(startTime)
		wantEqual(t, "ConnectAccount", got, want)
		read, err := f.s.Account(f.ctx, "m1", got.ID)
		mustNoError(t, "Account", err)
		wantEqual(t, "Account", read, want)
	})

	t.Run("reconnect keeps id", func(t *testing.T) {
		f := newFixture(t, open)
		first := f.connect("m1", "100", "shop")
		f.clock.Advance(time.Minute)
		in := store.Account{MerchantID: "m1", XUserID: "100", Username: "shop2", Credentials: []byte("new")}
		got, created, err := f.s.ConnectAccount(f.ctx, in)
		mustNoError(t, "ConnectAccount again", err)
		if created {
			t.Errorf("created = true on reconnect, want false")
		}
		want := first
		want.Username = "shop2"
		want.Credentials = []byte("new")
		want.UpdatedAt = millis(startTime.Add(time.Minute))
		wantEqual(t, "reconnected account", got, want)
	})

	t.Run("reconnect reactivates revoked", func(t *testing.T) {
		f := newFixture(t, open)
		first := f.connect("m1", "100", "shop")
		revoked, err := f.s.RevokeAccount(f.ctx, "100")
		mustNoError(t, "RevokeAccount", err)
		got, created, err := f.s.ConnectAccount(f.ctx, store.Account{
			MerchantID: "m1", XUserID: "100", Username: "shop", Credentials: []byte("again"),
		})
		mustNoError(t, "ConnectAccount after revoke", err)
		if created {
			t.Errorf("created = true, want false")
		}
		wantEqual(t, "revoked status", revoked.Status, store.AccountRevoked)
		wantEqual(t, "id", got.ID, first.ID)
		wantEqual(t, "status", got.Status, store.AccountActive)
		wantEqual(t, "credentials", got.Credentials, []byte("again"))
	})

	t.Run("revoke clears credentials", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		f.clock.Advance(time.Second)
		got, err := f.s.RevokeAccount(f.ctx, "100")
		mustNoError(t, "RevokeAccount", err)
		want := a
		want.Status = store.AccountRevoked
		want.Credentials = nil
		want.UpdatedAt = millis(startTime.Add(time.Second))
		wantEqual(t, "RevokeAccount", got, want)
		read, err := f.s.Account(f.ctx, "m1", a.ID)
		mustNoError(t, "Account", err)
		wantEqual(t, "Account after revoke", read, want)
		_, err = f.s.RevokeAccount(f.ctx, "999")
		wantError(t, "RevokeAccount of unknown user", err, store.ErrNotFound)
	})

	t.Run("conflict with other merchant", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		_, _, err := f.s.ConnectAccount(f.ctx, store.Account{MerchantID: "m2", XUserID: "100", Username: "x"})
		wantError(t, "ConnectAccount by m2", err, store.ErrConflict)
		owner, err := f.s.AccountByXUserID(f.ctx, "100")
		mustNoError(t, "AccountByXUserID", err)
		wantEqual(t, "owner after conflict", owner, a)
	})

	t.Run("connect rejects missing ids", func(t *testing.T) {
		f := newFixture(t, open)
		for _, in := range []store.Account{{XUserID: "100"}, {MerchantID: "m1"}} {
			_, _, err := f.s.ConnectAccount(f.ctx, in)
			wantError(t, show(in), err, store.ErrInvalid)
		}
	})

	t.Run("list oldest first", func(t *testing.T) {
		f := newFixture(t, open)
		a1 := f.connect("m1", "100", "a")
		f.connect("m2", "200", "b")
		f.clock.Advance(time.Second)
		a3 := f.connect("m1", "300", "c")
		got, err := f.s.Accounts(f.ctx, "m1")
		mustNoError(t, "Accounts", err)
		wantEqual(t, "Accounts(m1)", got, []store.Account{a1, a3})
		none, err := f.s.Accounts(f.ctx, "m3")
		mustNoError(t, "Accounts(m3)", err)
		if len(none) != 0 {
			t.Errorf("Accounts(m3) = %s, want none", show(none))
		}
	})

	t.Run("by X user id", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "a")
		got, err := f.s.AccountByXUserID(f.ctx, "100")
		mustNoError(t, "AccountByXUserID", err)
		wantEqual(t, "AccountByXUserID", got, a)
		_, err = f.s.AccountByXUserID(f.ctx, "101")
		wantError(t, "AccountByXUserID(101)", err, store.ErrNotFound)
	})

	t.Run("delete removes data", func(t *testing.T) { testDeleteAccount(t, open) })
}

func testDeleteAccount(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a := f.connect("m1", "100", "shop")
	other := f.connect("m1", "101", "other")
	m, _ := f.record(a, "555", "1001", 0)
	f.record(other, "555", "1001", 0)
	change := store.ContactChange{AccountID: a.ID, XUserID: "555", Field: store.ContactFollowing, Value: true, At: startTime}
	mustNoError(t, "ApplyContactChange", f.s.ApplyContactChange(f.ctx, change))

	mustNoError(t, "DeleteAccount", f.s.DeleteAccount(f.ctx, "m1", a.ID))

	_, err := f.s.Account(f.ctx, "m1", a.ID)
	wantError(t, "Account after delete", err, store.ErrNotFound)
	_, err = f.s.AccountByXUserID(f.ctx, "100")
	wantError(t, "AccountByXUserID after delete", err, store.ErrNotFound)
	_, err = f.s.Conversation(f.ctx, "m1", m.ConversationID)
	wantError(t, "Conversation after delete", err, store.ErrNotFound)
	_, err = f.s.Messages(f.ctx, store.MessageQuery{MerchantID: "m1", ConversationID: m.ConversationID, Limit: 10})
	wantError(t, "Messages after delete", err, store.ErrNotFound)
	_, err = f.s.Contact(f.ctx, a.ID, "555")
	wantError(t, "Contact after delete", err, store.ErrNotFound)
	_, err = f.s.RevokeAccount(f.ctx, "100")
	wantError(t, "RevokeAccount after delete", err, store.ErrNotFound)
	err = f.s.DeleteAccount(f.ctx, "m1", a.ID)
	wantError(t, "DeleteAccount again", err, store.ErrNotFound)

	page, err := f.s.Conversations(f.ctx, store.ConversationQuery{MerchantID: "m1", Limit: 10})
	mustNoError(t, "Conversations", err)
	if len(page.Items) != 1 || page.Items[0].AccountID != other.ID {
		t.Errorf("Conversations after delete = %s, want only the other account's", show(page.Items))
	}

	again, created, err := f.s.ConnectAccount(f.ctx, store.Account{MerchantID: "m1", XUserID: "100", Username: "shop"})
	mustNoError(t, "ConnectAccount after delete", err)
	if !created {
		t.Errorf("created = false after delete, want true")
	}
	if again.ID == a.ID || again.ID == other.ID {
		t.Errorf("new account id %q reuses an earlier id", again.ID)
	}
	stored, inserted := f.record(again, "555", "1001", 0)
	if !inserted || stored.ConversationID == m.ConversationID {
		t.Errorf("message of the new account: inserted %v, conversation %q; want a new row in a new conversation",
			inserted, stored.ConversationID)
	}
}

// runTenancy checks that another merchant's ids behave as absent.
func runTenancy(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a := f.connect("m1", "100", "shop")
	f.connect("m2", "200", "rival")
	m, _ := f.record(a, "555", "1001", 0)

	_, err := f.s.Account(f.ctx, "m2", a.ID)
	wantError(t, "Account", err, store.ErrNotFound)
	err = f.s.DeleteAccount(f.ctx, "m2", a.ID)
	wantError(t, "DeleteAccount", err, store.ErrNotFound)
	_, err = f.s.Conversation(f.ctx, "m2", m.ConversationID)
	wantError(t, "Conversation", err, store.ErrNotFound)
	_, err = f.s.Messages(f.ctx, store.MessageQuery{MerchantID: "m2", ConversationID: m.ConversationID, Limit: 10})
	wantError(t, "Messages", err, store.ErrNotFound)
	_, err = f.s.Conversations(f.ctx, store.ConversationQuery{MerchantID: "m2", AccountID: a.ID, Limit: 10})
	wantError(t, "Conversations with account", err, store.ErrNotFound)
	_, _, err = f.s.RecordMessage(f.ctx,
		store.Conversation{MerchantID: "m2", AccountID: a.ID, ParticipantID: "555"},
		store.Message{XEventID: "1002", CreatedAt: startTime})
	wantError(t, "RecordMessage", err, store.ErrNotFound)

	page, err := f.s.Conversations(f.ctx, store.ConversationQuery{MerchantID: "m2", Limit: 10})
	mustNoError(t, "Conversations(m2)", err)
	if len(page.Items) != 0 {
		t.Errorf("Conversations(m2) = %s, want none", show(page.Items))
	}
	if _, err := f.s.Account(f.ctx, "m1", a.ID); err != nil {
		t.Errorf("Account(m1) after m2's delete: %v", err)
	}

	for _, id := range []string{"", "abc", "-1", "0", "0" + a.ID, a.ID + " ", "99999999999999999999"} {
		_, err := f.s.Account(f.ctx, "m1", id)
		wantError(t, "Account("+id+")", err, store.ErrNotFound)
		_, err = f.s.Conversation(f.ctx, "m1", id)
		wantError(t, "Conversation("+id+")", err, store.ErrNotFound)
		_, err = f.s.Messages(f.ctx, store.MessageQuery{MerchantID: "m1", ConversationID: id, Limit: 1})
		wantError(t, "Messages("+id+")", err, store.ErrNotFound)
	}
}
