package store

import (
	"context"
	"testing"
	"time"
)

// TestMemoryDeleteAccountDeletesSends checks that DeleteAccount deletes
// the sends recorded under the account's AccountSendKey and keeps those of
// other keys.
func TestMemoryDeleteAccountDeletesSends(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	var accounts []Account
	for _, user := range []string{"100", "200"} {
		a, _, err := m.ConnectAccount(ctx, Account{MerchantID: "m1", XUserID: user, Username: "shop", Credentials: []byte("sealed")})
		if err != nil {
			t.Fatalf("ConnectAccount: %v", err)
		}
		accounts = append(accounts, a)
		ok, _, err := m.ReserveSend(ctx, AccountSendKey(a.ID), time.Now(), []SendLimit{{Max: 10, Per: time.Hour}})
		if err != nil || !ok {
			t.Fatalf("ReserveSend = %v, %v; want a reserved send", ok, err)
		}
	}
	if err := m.DeleteAccount(ctx, "m1", accounts[0].ID); err != nil {
		t.Fatalf("DeleteAccount: %v", err)
	}
	if got := len(m.sends[AccountSendKey(accounts[0].ID)]); got != 0 {
		t.Errorf("sends of the deleted account = %d, want 0", got)
	}
	if got := len(m.sends[AccountSendKey(accounts[1].ID)]); got != 1 {
		t.Errorf("sends of the other account = %d, want 1", got)
	}
}
