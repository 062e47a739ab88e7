package storetest

import (
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

func runContacts(t *testing.T, open Opener) {
	t.Run("fields set independently", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		f.apply(a, store.ContactFollowing, true, time.Minute, "alice")
		f.apply(a, store.ContactBlocked, true, 2*time.Minute, "")
		f.apply(a, store.ContactMuted, true, 3*time.Minute, "")
		f.apply(a, store.ContactMuted, false, 4*time.Minute, "")
		got, err := f.s.Contact(f.ctx, a.ID, "555")
		mustNoError(t, "Contact", err)
		want := store.Contact{
			AccountID: a.ID, XUserID: "555", Username: "alice",
			Following: true, Blocked: true, Muted: false,
			UpdatedAt: millis(startTime.Add(4 * time.Minute)),
		}
		wantEqual(t, "contact", got, want)
	})

	t.Run("older change ignored", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		f.apply(a, store.ContactFollowing, false, 3*time.Minute, "new")
		f.apply(a, store.ContactFollowing, true, 2*time.Minute, "old")
		f.apply(a, store.ContactBlocked, true, time.Minute, "older")
		got, err := f.s.Contact(f.ctx, a.ID, "555")
		mustNoError(t, "Contact", err)
		want := store.Contact{
			AccountID: a.ID, XUserID: "555", Username: "new",
			Following: false, Blocked: true,
			UpdatedAt: millis(startTime.Add(3 * time.Minute)),
		}
		wantEqual(t, "contact after reordered changes", got, want)
	})

	t.Run("same time last wins", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		for _, value := range []bool{true, false, true} {
			f.apply(a, store.ContactFollowing, value, time.Minute, "")
			got, err := f.s.Contact(f.ctx, a.ID, "555")
			mustNoError(t, "Contact", err)
			wantEqual(t, "Following", got.Following, value)
		}
	})

	t.Run("redelivery changes nothing", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		f.apply(a, store.ContactFollowing, true, time.Minute, "alice")
		first, err := f.s.Contact(f.ctx, a.ID, "555")
		mustNoError(t, "Contact", err)
		f.apply(a, store.ContactFollowing, true, time.Minute, "alice")
		again, err := f.s.Contact(f.ctx, a.ID, "555")
		mustNoError(t, "Contact again", err)
		wantEqual(t, "contact after redelivery", again, first)
	})

	t.Run("errors", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.connect("m1", "100", "shop")
		_, err := f.s.Contact(f.ctx, a.ID, "555")
		wantError(t, "Contact before any change", err, store.ErrNotFound)
		bad := store.ContactChange{AccountID: a.ID, XUserID: "555", Field: "liked", Value: true, At: startTime}
		wantError(t, "unknown field", f.s.ApplyContactChange(f.ctx, bad), store.ErrInvalid)
		bad = store.ContactChange{AccountID: a.ID, Field: store.ContactMuted, At: startTime}
		wantError(t, "empty XUserID", f.s.ApplyContactChange(f.ctx, bad), store.ErrInvalid)
		bad = store.ContactChange{AccountID: "999", XUserID: "555", Field: store.ContactMuted, At: startTime}
		wantError(t, "unknown account", f.s.ApplyContactChange(f.ctx, bad), store.ErrNotFound)
		_, err = f.s.Contact(f.ctx, a.ID, "555")
		wantError(t, "Contact after rejected changes", err, store.ErrNotFound)
	})
}

// apply applies a change to contact 555 of the account, made at the given
// offset from startTime.
func (f *fixture) apply(a store.Account, field store.ContactField, value bool, at time.Duration, username string) {
	f.t.Helper()
	ch := store.ContactChange{
		AccountID: a.ID, XUserID: "555", Username: username,
		Field: field, Value: value, At: startTime.Add(at),
	}
	mustNoError(f.t, "ApplyContactChange "+show(ch), f.s.ApplyContactChange(f.ctx, ch))
}
