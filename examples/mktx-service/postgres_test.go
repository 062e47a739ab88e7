package main

import (
	"context"
	"strings"
	"testing"

	"github.com/goodgo/xactivity/internal/pgtest"
	"github.com/goodgo/xactivity/store/sqlstore"
)

// postgresHarnessTests are the harness tests that TestPostgres runs again
// with the service on PostgreSQL. They cover webhook deliveries to
// conversations, sending DMs and their echoes, the OAuth callback,
// restarts and lease takeovers, and tenancy. They also cover the API rate
// limit shared by replicas, campaigns with opt-outs and X's refusals, and
// a DM put back to the queue while the store fails. The two-replica
// tests, such as TestReplicasRunCampaignOnce, run on PostgreSQL only.
var postgresHarnessTests = []struct {
	name string
	test func(*testing.T)
}{
	{"ConnectAccount", TestConnectAccount},
	{"ConnectAccountStoresSealedCredentials", TestConnectAccountStoresSealedCredentials},
	{"EveryDeliveryEndToEnd", TestEveryDeliveryEndToEnd},
	{"DuplicateDeliveriesStoreOnce", TestDuplicateDeliveriesStoreOnce},
	{"EchoedDMStoredOutbound", TestEchoedDMStoredOutbound},
	{"UnconnectedAccountStoredNotProcessed", TestUnconnectedAccountStoredNotProcessed},
	{"RevokeDeliveries", TestRevokeDeliveries},
	{"WebhookStorageFailureIs503", TestWebhookStorageFailureIs503},
	{"TenancyIsolation", TestTenancyIsolation},
	{"ListLimits", TestListLimits},
	{"SendMessageThenEchoStoredOnce", TestSendMessageThenEchoStoredOnce},
	{"SendMessageWithQuickRepliesUsesV11", TestSendMessageWithQuickRepliesUsesV11},
	{"SendMessageQueuedAtDailyLimit", TestSendMessageQueuedAtDailyLimit},
	{"SendMessagePermanentRefusal", TestSendMessagePermanentRefusal},
	{"SendMessageUnknownThenEcho", TestSendMessageUnknownThenEcho},
	{"SendMessageRateLimitedByX", TestSendMessageRateLimitedByX},
	{"SendToRevokedAccountRejected", TestSendToRevokedAccountRejected},
	{"SenderCrashNeverResends", TestSenderCrashNeverResends},
	{"RevokeStopsQueuedSends", TestRevokeStopsQueuedSends},
	{"OAuthConnectsAccount", TestOAuthConnectsAccount},
	{"OAuthCallbackRejections", TestOAuthCallbackRejections},
	{"OAuthRequestSealed", TestOAuthRequestSealed},
	{"RestartResumesUnprocessedInbox", TestRestartResumesUnprocessedInbox},
	{"CrashAfterProcessingBeforeDone", TestCrashAfterProcessingBeforeDone},
	{"FailedEventRetried", TestFailedEventRetried},
	{"ReplayStoresNothingTwice", TestReplayStoresNothingTwice},
	{"LateSettleAfterTakeover", TestLateSettleAfterTakeover},
	{"StaleRevokeKeepsReconnectedAccount", TestStaleRevokeKeepsReconnectedAccount},
	{"ShutdownFinishesClaimedRows", TestShutdownFinishesClaimedRows},
	{"EventFailsAfterMaxAttempts", TestEventFailsAfterMaxAttempts},
	{"AccountsPagination", TestAccountsPagination},
	{"DeleteAccountUnsubscribesAndForgets", TestDeleteAccountUnsubscribesAndForgets},
	{"APIRateLimitPerMerchant", TestAPIRateLimitPerMerchant},
	{"APIRateLimitSharedByReplicas", TestAPIRateLimitSharedByReplicas},
	{"CampaignStopBeforeTurn", TestCampaignStopBeforeTurn},
	{"CampaignSkipsUndeliverable", TestCampaignSkipsUndeliverable},
	{"CampaignRoutesTenancyListAndCancel", TestCampaignRoutesTenancyListAndCancel},
	{"CampaignTakesThreeDaysAtDailyLimit", TestCampaignTakesThreeDaysAtDailyLimit},
	{"CampaignSenderRestrictionMarksNobody", TestCampaignSenderRestrictionMarksNobody},
	{"CampaignNotFollowingNotMarked", TestCampaignNotFollowingNotMarked},
	{"OptOutConfirmationOncePerDay", TestOptOutConfirmationOncePerDay},
	{"CreateCampaignDetailFailure", TestCreateCampaignDetailFailure},
	{"SendDuePutBackRetried", TestSendDuePutBackRetried},
}

// TestPostgres runs postgresHarnessTests with the service on a new
// PostgreSQL schema for each test. It is skipped unless
// XACTIVITY_TEST_POSTGRES_URL is set.
func TestPostgres(t *testing.T) {
	pgtest.URL(t)
	t.Run("HarnessOnPostgres", func(t *testing.T) {
		h := newHarness(t)
		st, ok := h.srv.store.(*ownedStore)
		if !ok {
			t.Fatalf("store is %T, want *ownedStore", h.srv.store)
		}
		if got := st.Dialect(); got != sqlstore.PostgreSQL {
			t.Errorf("harness store dialect = %q, want %q", got, sqlstore.PostgreSQL)
		}
	})
	for _, tt := range postgresHarnessTests {
		t.Run(tt.name, tt.test)
	}
}

// postgresDatabaseURL returns the URL of a new PostgreSQL schema, dropped
// when the test ends, for a test that runs under TestPostgres. It returns
// false for every other test.
func postgresDatabaseURL(t testing.TB) (string, bool) {
	t.Helper()
	if !strings.HasPrefix(t.Name(), "TestPostgres/") {
		return "", false
	}
	return pgtest.NewSchema(t, pgtest.URL(t)), true
}

func TestSettingsDatabaseURL(t *testing.T) {
	tests := []struct {
		url   string
		valid bool
	}{
		{"sqlite:mktx.db", true},
		{"sqlite:/var/lib/mktx/mktx.db", true},
		{"postgres://mktx:secret@db.internal:5432/mktx?sslmode=verify-full", true},
		{"postgresql://mktx@127.0.0.1/mktx", true},
		{"sqlite:", false},
		{"mysql://mktx@127.0.0.1/mktx", false},
		{"postgres://mktx:secret@db.internal:notaport/mktx", false},
		{"postgres://mktx@127.0.0.1/mktx?sslmode=sometimes", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			env := validEnv()
			env["MKTX__DATABASE_URL"] = tt.url
			s, err := settingsFrom(t, env)
			switch {
			case tt.valid && err != nil:
				t.Errorf("Settings: %v, want the URL accepted", err)
			case tt.valid && s.DatabaseURL != tt.url:
				t.Errorf("DatabaseURL = %q, want %q", s.DatabaseURL, tt.url)
			case !tt.valid && (err == nil || !strings.Contains(err.Error(), "MKTX__DATABASE_URL")):
				t.Errorf("Settings error = %v, want one naming MKTX__DATABASE_URL", err)
			case err != nil && strings.Contains(err.Error(), "secret"):
				t.Errorf("Settings error repeats the password: %v", err)
			}
		})
	}
}

// TestOpenStorePostgresErrorHidesPassword opens a PostgreSQL URL whose
// port on the loopback address has no server, and checks that the error
// does not contain the password.
func TestOpenStorePostgresErrorHidesPassword(t *testing.T) {
	const password = "pw-7f3a9c"
	_, err := openStore(context.Background(), "postgres://mktx:"+password+"@127.0.0.1:1/mktx?connect_timeout=5&sslmode=disable")
	if err == nil {
		t.Fatal("openStore succeeded without a server")
	}
	if strings.Contains(err.Error(), password) {
		t.Errorf("error contains the password: %v", err)
	}
}

// TestOpenStorePostgres opens the service's store on a new schema, and
// again on the same schema, as a restarted replica does.
func TestOpenStorePostgres(t *testing.T) {
	dbURL := pgtest.NewSchema(t, pgtest.URL(t))
	for i := range 2 {
		st, err := openStore(context.Background(), dbURL)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if err := st.Ping(context.Background()); err != nil {
			t.Errorf("open %d: Ping: %v", i, err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("open %d: Close: %v", i, err)
		}
	}
}

// FuzzValidDatabaseURL checks that validDatabaseURL accepts only sqlite:
// with a path and postgres:// or postgresql:// URLs, and never panics.
func FuzzValidDatabaseURL(f *testing.F) {
	f.Add("sqlite:mktx.db")
	f.Add("postgres://mktx:secret@127.0.0.1:5432/mktx?sslmode=disable")
	f.Add("postgresql:///mktx?host=/var/run/postgresql")
	f.Add("postgres://[::1")
	f.Fuzz(func(t *testing.T, dbURL string) {
		if !validDatabaseURL(dbURL) {
			return
		}
		path, isSQLite := strings.CutPrefix(dbURL, "sqlite:")
		if isSQLite && path == "" {
			t.Errorf("validDatabaseURL accepted %q, a sqlite: URL without a path", dbURL)
		}
		if !isSQLite && !isPostgresURL(dbURL) {
			t.Errorf("validDatabaseURL accepted %q, neither sqlite: nor postgres://", dbURL)
		}
	})
}
