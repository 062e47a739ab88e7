package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
)

// dialectStores runs test on a new SQLite store and, when
// XACTIVITY_TEST_POSTGRES_URL is set, on a new PostgreSQL store, both
// reading the time from now.
func dialectStores(t *testing.T, now func() time.Time, test func(t *testing.T, s *Store)) {
	t.Run("SQLite", func(t *testing.T) {
		test(t, openStore(t, WithClock(now)))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		db, _ := openPostgres(t)
		test(t, openPostgresStore(t, db, WithClock(now)))
	})
}

// holdAccountLock takes the lock that write transactions of the account
// take first, and returns the function that releases it: the write
// semaphore on SQLite, the account's row lock on PostgreSQL.
func holdAccountLock(t *testing.T, s *Store, accountID string) (release func()) {
	t.Helper()
	ctx := context.Background()
	if s.writeSem != nil {
		unlock, err := s.lockWrites(ctx)
		if err != nil {
			t.Fatalf("lockWrites: %v", err)
		}
		return unlock
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("BeginTx: %v", err)
	}
	id, _ := parseID(accountID)
	if err := s.lockAccount(ctx, tx, id); err != nil {
		t.Fatalf("lockAccount: %v", err)
	}
	return func() { _ = tx.Rollback() }
}

// TestStartRecipientsIdleTakesNoLock checks that StartRecipients returns,
// without waiting, for campaigns that have nothing to start or complete
// while another transaction holds the account's write lock.
func TestStartRecipientsIdleTakesNoLock(t *testing.T) {
	start := time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)
	dialectStores(t, func() time.Time { return start }, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := connectAccount(t, s, "100")
		revoked := connectAccount(t, s, "200")
		day := 24 * time.Hour
		queueFull := store.StartLimits{MaxQueued: 1, DailyContacts: store.SendLimit{Max: 100, Per: day}}
		capped := store.StartLimits{MaxQueued: 100, DailyContacts: store.SendLimit{Max: 2, Per: day}}

		full := createCampaign(t, s, a, "11", "12")
		allStarted := createCampaign(t, s, a, "13")
		daily := createCampaign(t, s, a, "14", "15")
		paused := createCampaign(t, s, revoked, "21")
		for _, c := range []store.Campaign{full, allStarted} {
			if _, err := s.StartRecipients(ctx, c.ID, queueFull); err != nil {
				t.Fatalf("StartRecipients: %v", err)
			}
		}
		if _, err := s.RevokeAccount(ctx, "200"); err != nil {
			t.Fatalf("RevokeAccount: %v", err)
		}

		release := holdAccountLock(t, s, a.ID)
		defer release()
		tests := []struct {
			name   string
			c      store.Campaign
			limits store.StartLimits
			want   store.StartResult
		}{
			{"queue full", full, queueFull, store.StartResult{}},
			{"all started, DMs in the queue", allStarted, queueFull, store.StartResult{}},
			{"daily contacts used", daily, capped, store.StartResult{NextAt: start.Add(day)}},
			{"account revoked", paused, queueFull, store.StartResult{AccountInactive: true}},
		}
		for _, tt := range tests {
			callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			res, err := s.StartRecipients(callCtx, tt.c.ID, tt.limits)
			cancel()
			if err != nil {
				t.Errorf("%s: StartRecipients: %v", tt.name, err)
				continue
			}
			if res != tt.want {
				t.Errorf("%s: StartRecipients = %+v, want %+v", tt.name, res, tt.want)
			}
		}
	})
}

func connectAccount(t *testing.T, s *Store, xUserID string) store.Account {
	t.Helper()
	a, _, err := s.ConnectAccount(context.Background(), store.Account{
		MerchantID: "m1", XUserID: xUserID, Username: "shop" + xUserID, Credentials: []byte("sealed"),
	})
	if err != nil {
		t.Fatalf("ConnectAccount: %v", err)
	}
	return a
}

func createCampaign(t testing.TB, s *Store, a store.Account, recipients ...string) store.Campaign {
	t.Helper()
	c, err := s.CreateCampaign(context.Background(),
		store.Campaign{MerchantID: a.MerchantID, AccountID: a.ID, Content: "sale"}, recipients)
	if err != nil {
		t.Fatalf("CreateCampaign: %v", err)
	}
	return c
}

// BenchmarkIdleCampaigns measures one tick of the campaign worker over
// 1,000 running campaigns that have nothing to start, on a SQLite file in a
// temporary folder: RunningCampaigns in pages of 100, then StartRecipients
// for each campaign. Every campaign has one DM waiting in the outbox and
// one pending recipient, and MaxQueued is 1, so its queue is full.
func BenchmarkIdleCampaigns(b *testing.B) {
	const campaigns, pageSize = 1000, 100
	ctx := context.Background()
	s := openStore(b)
	a, _, err := s.ConnectAccount(ctx, store.Account{MerchantID: "m1", XUserID: "100", Username: "shop", Credentials: []byte("sealed")})
	if err != nil {
		b.Fatalf("ConnectAccount: %v", err)
	}
	limits := store.StartLimits{MaxQueued: 1, DailyContacts: store.SendLimit{Max: 1 << 30, Per: 24 * time.Hour}}
	for i := range campaigns {
		c := createCampaign(b, s, a, fmt.Sprint(2*i+1), fmt.Sprint(2*i+2))
		if res, err := s.StartRecipients(ctx, c.ID, limits); err != nil || res.Started != 1 {
			b.Fatalf("StartRecipients = %+v, %v; want 1 started", res, err)
		}
	}

	for b.Loop() {
		after := ""
		for {
			list, err := s.RunningCampaigns(ctx, after, pageSize)
			if err != nil {
				b.Fatalf("RunningCampaigns: %v", err)
			}
			for _, c := range list {
				res, err := s.StartRecipients(ctx, c.ID, limits)
				if err != nil || res != (store.StartResult{}) {
					b.Fatalf("StartRecipients = %+v, %v; want nothing started", res, err)
				}
			}
			if len(list) < pageSize {
				break
			}
			after = list[len(list)-1].ID
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*campaigns), "µs/campaign")
}

// countRows returns the number of rows of table whose quota_key is key.
func countRows(t *testing.T, db *sql.DB, d *sqlDialect, table, key string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(d.rebind("SELECT COUNT(*) FROM "+table+" WHERE quota_key = ?"), key).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}
