package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// TestPruneSendQuotas checks that pruning deletes the keys whose sends no
// limit counts anymore, with their sends, and keeps the others, including
// keys stored before expires_at existed.
func TestPruneSendQuotas(t *testing.T) {
	t0 := time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)
	dialectStores(t, func() time.Time { return t0 }, func(t *testing.T, s *Store) {
		ctx := context.Background()
		hourly := []store.SendLimit{{Max: 5, Per: time.Hour}}
		reserve := func(key string, at time.Time, limits []store.SendLimit) {
			t.Helper()
			if ok, _, err := s.ReserveSend(ctx, key, at, limits); err != nil || !ok {
				t.Fatalf("ReserveSend(%q) = %v, %v; want a reserved send", key, ok, err)
			}
		}
		reserve("old", t0, hourly)
		reserve("new", t0.Add(30*time.Minute), hourly)
		if _, err := s.db.Exec(s.q("INSERT INTO send_quota_keys (quota_key, updated_at) VALUES ('legacy', ?)"), t0.UnixMilli()); err != nil {
			t.Fatalf("insert legacy key: %v", err)
		}
		if _, err := s.db.Exec(s.q("INSERT INTO sends (quota_key, sent_at) VALUES ('legacy', ?)"), t0.UnixMilli()); err != nil {
			t.Fatalf("insert legacy send: %v", err)
		}

		pruned, err := s.pruneSendQuotas(ctx, t0.Add(time.Hour-time.Millisecond).UnixMilli())
		if err != nil || pruned != 0 {
			t.Fatalf("pruneSendQuotas a millisecond early = %d, %v; want 0 keys", pruned, err)
		}
		pruned, err = s.pruneSendQuotas(ctx, t0.Add(time.Hour).UnixMilli())
		if err != nil || pruned != 1 {
			t.Fatalf("pruneSendQuotas = %d, %v; want 1 key", pruned, err)
		}
		for key, want := range map[string]int{"old": 0, "new": 1, "legacy": 1} {
			if got := countRows(t, s.db, s.dialect, "send_quota_keys", key); got != want {
				t.Errorf("send_quota_keys rows of %q = %d, want %d", key, got, want)
			}
			if got := countRows(t, s.db, s.dialect, "sends", key); got != want {
				t.Errorf("sends of %q = %d, want %d", key, got, want)
			}
		}

		// Every pruneEvery-th ReserveSend call prunes before it reserves.
		// Two calls came before.
		later := t0.Add(3 * time.Hour)
		minute := []store.SendLimit{{Max: 1, Per: time.Minute}}
		for range pruneEvery - 3 {
			reserve("busy", later, minute)
			later = later.Add(time.Minute)
		}
		if got := countRows(t, s.db, s.dialect, "sends", "new"); got != 1 {
			t.Fatalf("sends of %q before the %dth call = %d, want 1", "new", pruneEvery, got)
		}
		reserve("busy", later, minute)
		if got := countRows(t, s.db, s.dialect, "sends", "new"); got != 0 {
			t.Errorf("sends of %q after the %dth call = %d, want 0", "new", pruneEvery, got)
		}
		if got := countRows(t, s.db, s.dialect, "send_quota_keys", "busy"); got != 1 {
			t.Errorf("send_quota_keys rows of %q = %d, want 1", "busy", got)
		}
	})
}

// TestDeleteAccountDeletesSends checks that DeleteAccount deletes the
// sends recorded under the account's AccountSendKey and keeps those of
// other keys.
func TestDeleteAccountDeletesSends(t *testing.T) {
	t0 := time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)
	dialectStores(t, func() time.Time { return t0 }, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := connectAccount(t, s, "100")
		b := connectAccount(t, s, "200")
		daily := []store.SendLimit{{Max: 10, Per: 24 * time.Hour}}
		for _, key := range []string{store.AccountSendKey(a.ID), store.AccountSendKey(b.ID)} {
			if ok, _, err := s.ReserveSend(ctx, key, t0, daily); err != nil || !ok {
				t.Fatalf("ReserveSend(%q) = %v, %v; want a reserved send", key, ok, err)
			}
		}
		if err := s.DeleteAccount(ctx, "m1", a.ID); err != nil {
			t.Fatalf("DeleteAccount: %v", err)
		}
		for key, want := range map[string]int{store.AccountSendKey(a.ID): 0, store.AccountSendKey(b.ID): 1} {
			if got := countRows(t, s.db, s.dialect, "send_quota_keys", key); got != want {
				t.Errorf("send_quota_keys rows of %q = %d, want %d", key, got, want)
			}
			if got := countRows(t, s.db, s.dialect, "sends", key); got != want {
				t.Errorf("sends of %q = %d, want %d", key, got, want)
			}
		}
	})
}
