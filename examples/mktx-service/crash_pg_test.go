package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/internal/pgtest"
	"github.com/goodgo/xactivity/xtest"
)

// Load of TestReplicasSIGKILLOnPostgres.
const (
	crashKills        = 4                       // SIGKILLs of replica a
	crashRoundLength  = 2500 * time.Millisecond // load between two kills
	crashDownTime     = 300 * time.Millisecond  // replica b runs alone after each kill
	crashReplyEvery   = 40 * time.Millisecond   // pace of the reply requests
	crashDailyLimit   = 150                     // MKTX__DM_DAILY_LIMIT, below the replies requested
	crashDeliverers   = 4                       // goroutines that post deliveries
	crashFirstEventID = 700000
)

// TestReplicasSIGKILLOnPostgres runs two service processes on one
// PostgreSQL schema against a fake X started by the test. Signed
// deliveries stream to both replicas, each delivery to both, and replies
// are requested from both in turn. Replica a is killed with SIGKILL and
// restarted several times. Afterwards every delivery that got a 200 must be
// stored and processed once, and no DM may have been sent twice. The
// replicas together must reach the daily limit that they share, send no
// more, and queue the replies beyond it.
func TestReplicasSIGKILLOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the service binary; skipped with -short")
	}
	dbURL := pgtest.NewSchema(t, pgtest.URL(t))
	db := openSchemaDB(t, dbURL)
	bin := buildService(t, t.TempDir())

	secret := fixtures.LoadVectors(t).DeliveriesSecret
	fake := xtest.NewServer()
	t.Cleanup(fake.Close)
	app, err := fake.AddApp(xtest.App{ConsumerKey: "replica-kill-key", ConsumerSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	user, err := fake.AddUser(app.ID, xtest.User{ID: shopID, Username: "shop_demo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.AddUser(app.ID, xtest.User{ID: anaID, Username: "ana_cliente"}); err != nil {
		t.Fatal(err)
	}
	// The replicas send through v1.1, which lets an account send 1,000 DMs
	// a day. On v2 the service sends at most 15 in 15 minutes, too few for
	// a test that runs in real time.
	replicaEnv := func(addr string) []string {
		return append(os.Environ(),
			"TWITTER__API_KEY="+app.ConsumerKey,
			"TWITTER__API_KEY_SECRET="+secret,
			"TWITTER__API_BASE_URL="+fake.URL(),
			"TWITTER__API_VERSION=1.1-enterprise",
			"MKTX__JWT_SECRET="+testJWTSecret,
			"MKTX__ENCRYPTION_KEY="+testEncryptionKey,
			"MKTX__DATABASE_URL="+dbURL,
			"MKTX__ADDR="+addr,
			"MKTX__WEBHOOK_EVENTS_PER_MINUTE=0",
			"MKTX__INBOX_LEASE=1s",
			fmt.Sprint("MKTX__DM_DAILY_LIMIT=", crashDailyLimit),
			"MKTX__API_RATE_LIMIT=1000000",
		)
	}
	addrA, addrB := freeAddr(t), freeAddr(t)
	baseA, baseB := "http://"+addrA, "http://"+addrB
	procA := startService(t, bin, replicaEnv(addrA))
	procB := startService(t, bin, replicaEnv(addrB))
	waitHealthy(t, procA, baseA)
	waitHealthy(t, procB, baseB)

	token, err := issueToken([]byte(testJWTSecret), "m1", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	connect := fmt.Sprintf(`{"oauthToken":%q,"oauthTokenSecret":%q}`, user.Token, user.TokenSecret)
	req, err := http.NewRequest(http.MethodPost, baseA+apiBase+"/accounts", strings.NewReader(connect))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, procA.stderr)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("connect: status %d\n%s", resp.StatusCode, procA.stderr)
	}

	// The first DM creates the conversation that the replies go to.
	client := &http.Client{Timeout: 5 * time.Second}
	var nextEventID atomic.Int64
	nextEventID.Store(crashFirstEventID)
	if status, err := postDelivery(client, baseA, secret, dmDelivery(int(nextEventID.Load()))); err != nil || status != http.StatusOK {
		t.Fatalf("first delivery: status %d, %v", status, err)
	}
	var conv string
	waitFor(t, 10*time.Second, "conversation stored", func() (bool, string) {
		err := db.QueryRow("SELECT CAST(id AS TEXT) FROM conversations").Scan(&conv)
		return err == nil, fmt.Sprint(err)
	})

	var (
		mu         sync.Mutex
		acked      = map[int]bool{crashFirstEventID: true}
		posted     atomic.Int64       // delivery requests, two per event
		replyState = map[string]int{} // content to status, 0 when the request failed
		replies    sync.WaitGroup
	)
	stop := make(chan struct{})
	var load sync.WaitGroup
	for range crashDeliverers {
		load.Add(1)
		go func() {
			defer load.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := int(nextEventID.Add(1))
				body := dmDelivery(id)
				statuses := make([]int, 2)
				var both sync.WaitGroup
				for i, base := range []string{baseA, baseB} {
					both.Add(1)
					go func() {
						defer both.Done()
						posted.Add(1)
						statuses[i], _ = postDelivery(client, base, secret, body)
					}()
				}
				both.Wait()
				if statuses[0] == http.StatusOK || statuses[1] == http.StatusOK {
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				}
			}
		}()
	}
	load.Add(1)
	go func() {
		defer load.Done()
		ticker := time.NewTicker(crashReplyEvery)
		defer ticker.Stop()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-ticker.C:
			}
			content := fmt.Sprint("reply ", n)
			base := []string{baseA, baseB}[n%2]
			replies.Add(1)
			go func() {
				defer replies.Done()
				status, _, err := postReply(client, base, conv, content)
				if err != nil {
					status = 0 // no response, so the DM may or may not have been sent
				}
				mu.Lock()
				replyState[content] = status
				mu.Unlock()
			}()
		}
	}()

	for kill := range crashKills {
		time.Sleep(crashRoundLength)
		if err := procA.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-procA.done
		t.Logf("SIGKILL %d of replica a", kill+1)
		time.Sleep(crashDownTime)
		procA = startService(t, bin, replicaEnv(addrA))
		waitHealthy(t, procA, baseA)
	}
	time.Sleep(crashRoundLength)
	close(stop)
	load.Wait()
	replies.Wait()

	// Both replicas work through the inbox. The rows that the killed
	// replica had claimed are taken over when their one-second leases
	// expire.
	inboxByStatus := func() map[string]int {
		return countRows(t, db, "SELECT status, COUNT(*) FROM inbox_events GROUP BY status")
	}
	waitFor(t, 30*time.Second, "inbox drained", func() (bool, string) {
		counts := inboxByStatus()
		return counts["pending"] == 0 && counts["processing"] == 0, fmt.Sprint(counts)
	})
	for name, p := range map[string]*serviceProcess{"a": procA, "b": procB} {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		<-p.done
		if p.err != nil {
			t.Errorf("replica %s exit after SIGTERM: %v, want status 0\n%s", name, p.err, p.stderr)
		}
	}

	// Every acknowledged delivery is stored once and its inbox row is done.
	storedEvents := countRows(t, db, "SELECT x_event_id, COUNT(*) FROM messages WHERE direction = 'inbound' GROUP BY x_event_id")
	inbox := inboxEventsByKey(t, db)
	missing, notDone, twice, takenOver := 0, 0, 0, 0
	for id := range acked {
		switch n := storedEvents[fmt.Sprint(id)]; {
		case n == 0:
			missing++
		case n > 1:
			twice++
		}
		row, ok := inbox[dmEventKey(t, id)]
		if !ok || row.status != "done" {
			notDone++
		}
		if row.attempts > 1 {
			takenOver++
		}
	}
	if missing > 0 {
		t.Errorf("%d acknowledged deliveries have no stored message", missing)
	}
	if twice > 0 {
		t.Errorf("%d acknowledged deliveries were stored more than once", twice)
	}
	if notDone > 0 {
		t.Errorf("%d acknowledged deliveries have no inbox row marked done", notDone)
	}
	if counts := inboxByStatus(); counts["failed"] != 0 {
		t.Errorf("inbox = %v, want no failed rows", counts)
	}

	// No DM was sent twice, every 201 was sent, and the replicas together
	// kept to the daily limit.
	sentTexts := countDMsByText(fake.SentDMs())
	byReplyStatus := map[int]int{}
	for content, status := range replyState {
		byReplyStatus[status]++
		if status == http.StatusCreated && sentTexts[content] != 1 {
			t.Errorf("%q got 201 but was sent %d times", content, sentTexts[content])
		}
	}
	sentTotal := 0
	for text, n := range sentTexts {
		sentTotal += n
		if n > 1 {
			t.Errorf("%q sent %d times, want at most once", text, n)
		}
		if _, ok := replyState[text]; !ok {
			t.Errorf("fake X accepted %q, which the test never requested", text)
		}
	}
	var accountID string
	if err := db.QueryRow("SELECT CAST(id AS TEXT) FROM accounts").Scan(&accountID); err != nil {
		t.Fatal(err)
	}
	reserved := 0
	if err := db.QueryRow("SELECT COUNT(*) FROM sends WHERE quota_key = $1", sendQuotaKey(accountID)).Scan(&reserved); err != nil {
		t.Fatal(err)
	}
	// The test requests more replies than the limit allows, so the
	// replicas must reach the limit exactly and queue the rest. A send is
	// reserved before it is made, so a replica killed in between leaves a
	// reserved slot unsent; only a request that got no response can have
	// been cut off that way, because the outbox workers send nothing here:
	// a request sends its own DM, and the DMs queued at the limit wait for
	// the next day.
	if reserved != crashDailyLimit {
		t.Errorf("the store recorded %d sends, want the daily limit of %d", reserved, crashDailyLimit)
	}
	if sentTotal > reserved {
		t.Errorf("fake X accepted %d DMs, more than the %d sends reserved", sentTotal, reserved)
	}
	if cutOff := byReplyStatus[0]; reserved-sentTotal > cutOff {
		t.Errorf("fake X accepted %d DMs of %d reserved, but only %d requests got no response", sentTotal, reserved, cutOff)
	}
	if byReplyStatus[http.StatusAccepted] == 0 {
		t.Errorf("no reply was queued (202) at the daily limit; replies by status %v", byReplyStatus)
	}
	outbound := countRows(t, db, "SELECT status, COUNT(*) FROM messages WHERE direction = 'outbound' GROUP BY status")
	if outbound["queued"] < byReplyStatus[http.StatusAccepted] {
		t.Errorf("%d outbound messages queued, want at least the %d replies answered 202", outbound["queued"], byReplyStatus[http.StatusAccepted])
	}

	t.Logf("deliveries: %d requests (each event to both replicas), %d events acknowledged, %d stored, %d inbox rows taken over after a kill",
		posted.Load(), len(acked), len(storedEvents), takenOver)
	t.Logf("replies: %d requested, by response status %v (0: request failed); outbound messages by status %v",
		len(replyState), byReplyStatus, outbound)
	t.Logf("summary: %d SIGKILLs; %d of %d acknowledged deliveries missing; %d DMs sent, none twice: %v; %d sends reserved for a daily limit of %d",
		crashKills, missing, len(acked), sentTotal, sentTotal == len(sentTexts), reserved, crashDailyLimit)
}

// inboxEventState is the state of one inbox event.
type inboxEventState struct {
	status   string
	attempts int
}

// inboxEventsByKey returns the inbox events by event key.
func inboxEventsByKey(t *testing.T, db *sql.DB) map[string]inboxEventState {
	t.Helper()
	rows, err := db.Query("SELECT event_key, status, attempts FROM inbox_events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]inboxEventState{}
	for rows.Next() {
		var key string
		var row inboxEventState
		if err := rows.Scan(&key, &row.status, &row.attempts); err != nil {
			t.Fatal(err)
		}
		out[key] = row
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dmEventKey returns the inbox key of the event in dmDelivery(id).
func dmEventKey(t *testing.T, id int) string {
	t.Helper()
	d, err := accountactivity.Decode(dmDelivery(id))
	if err != nil {
		t.Fatalf("decode delivery %d: %v", id, err)
	}
	if len(d.Events) != 1 {
		t.Fatalf("delivery %d has %d events, want 1", id, len(d.Events))
	}
	return accountactivity.Key(d, d.Events[0])
}
