package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/internal/pgtest"
	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/webhook"
	"github.com/goodgo/xactivity/xtest"
)

// newReplicas starts two service instances on one new PostgreSQL schema
// and one fake X, as two replicas of the service. Each opens its own
// connection pool and has its own inbox worker and outbox sender, and the
// two share the test clock. The demo account is connected for merchant m1,
// and Ana is a user of the fake X. The test is skipped unless
// XACTIVITY_TEST_POSTGRES_URL is set.
func newReplicas(t *testing.T) (a, b *harness) {
	t.Helper()
	dbURL := pgtest.NewSchema(t, pgtest.URL(t))
	a = newHarnessOn(t, dbURL)
	b = &harness{t: t, fake: a.fake, app: a.app, user: a.user, secret: a.secret, dbURL: dbURL, logs: &syncBuffer{}, clock: a.clock}
	b.start()
	if a.srv.worker.owner == b.srv.worker.owner || a.srv.sender.owner == b.srv.sender.owner {
		t.Fatalf("replicas share a worker owner: inbox %s and %s, outbox %s and %s",
			a.srv.worker.owner, b.srv.worker.owner, a.srv.sender.owner, b.srv.sender.owner)
	}
	if _, err := a.fake.AddUser(a.app.ID, xtest.User{ID: anaID, Username: "ana_cliente"}); err != nil {
		t.Fatal(err)
	}
	a.connect("m1")
	return a, b
}

// runWorkers runs the inbox worker and the outbox sender of each harness
// until the returned function is called or the test ends.
func runWorkers(t *testing.T, hs ...*harness) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, h := range hs {
		wg.Add(2)
		go func() {
			defer wg.Done()
			h.srv.worker.run(ctx)
		}()
		go func() {
			defer wg.Done()
			h.srv.sender.runOutbox(ctx)
		}()
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
		})
	}
	t.Cleanup(stop)
	return stop
}

// postDelivery posts body, signed with secret, to the webhook of the
// service at baseURL, and returns the response status. Unlike the harness's
// methods it does not fail the test, so any goroutine may call it.
func postDelivery(client *http.Client, baseURL, secret string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, baseURL+apiBase+"/webhooks/twitter", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(secret, body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// postReply requests that the service at baseURL send content as a DM in
// the conversation, with a JWT of merchant m1. It returns the response
// status and the decoded message. Any goroutine may call it.
func postReply(client *http.Client, baseURL, conversationID, content string) (int, sentView, error) {
	token, err := issueToken([]byte(testJWTSecret), "m1", time.Hour, time.Now())
	if err != nil {
		return 0, sentView{}, err
	}
	body, err := json.Marshal(map[string]string{"content": content})
	if err != nil {
		return 0, sentView{}, err
	}

	req, err := http.NewRequest(http.MethodPost, baseURL+apiBase+"/conversations/"+conversationID+"/messages", bytes.NewReader(body))
	if err != nil {
		return 0, sentView{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, sentView{}, err
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, sentView{}, err
	}
	var envelope struct {
		Data sentView `json:"data"`
	}
	if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusAccepted {
		if err := json.Unmarshal(raw, &envelope); err != nil {
			return resp.StatusCode, sentView{}, fmt.Errorf("decode response %s: %w", raw, err)
		}
	}
	return resp.StatusCode, envelope.Data, nil
}

// waitFor polls done every 20 ms until it returns true, and fails the test
// with what and done's last state when timeout passes first.
func waitFor(t *testing.T, timeout time.Duration, what string, done func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := done()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached after %v; last state: %s", what, timeout, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openSchemaDB opens the database at dbURL for queries that check what the
// replicas stored. It is closed when the test ends.
func openSchemaDB(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// countRows runs query, which selects a text and a count per group, and
// returns the counts by text.
func countRows(t *testing.T, db *sql.DB, query string) map[string]int {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var key sql.NullString
		var n int
		if err := rows.Scan(&key, &n); err != nil {
			t.Fatal(err)
		}
		out[key.String] += n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// countDMsByText returns how many times the fake X accepted each DM text.
func countDMsByText(sent []xtest.SentDM) map[string]int {
	out := make(map[string]int, len(sent))
	for _, dm := range sent {
		out[dm.Text]++
	}
	return out
}

// storedDMLogs counts the log lines of handled DM events in logs: those
// that stored a new message, and those that found it already stored.
func storedDMLogs(logs string) (stored, found int) {
	for line := range strings.Lines(logs) {
		if !strings.Contains(line, `msg="direct message stored"`) {
			continue
		}
		if strings.Contains(line, " new=true") {
			stored++
		} else {
			found++
		}
	}
	return stored, found
}

// TestReplicasProcessDeliveriesOnce posts every delivery to both replicas
// at once while both process their inbox and outbox, and then has both
// send replies. Each event must be processed once, by one replica, and
// each DM must be sent once. The account's limit of 15 DMs per 15 minutes
// must hold for the two replicas together.
func TestReplicasProcessDeliveriesOnce(t *testing.T) {
	a, b := newReplicas(t)
	db := openSchemaDB(t, a.dbURL)
	runWorkers(t, a, b)

	// Every delivery goes to both replicas at once, as when X retries a
	// delivery that a load balancer sent to the other replica.
	const deliveries, firstEventID = 60, 600000
	var wg sync.WaitGroup
	errs := make(chan error, 2*deliveries)
	parallel := make(chan struct{}, 8)
	for i := range deliveries {
		body := dmDelivery(firstEventID + i)
		for _, h := range []*harness{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				parallel <- struct{}{}
				defer func() { <-parallel }()
				status, err := postDelivery(h.http.Client(), h.http.URL, h.secret, body)
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("delivery of event %d: status %d, want 200", firstEventID+i, status)
				}
				if err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	waitFor(t, 30*time.Second, "inbox processed", func() (bool, string) {
		counts := a.inboxCounts()
		return counts[store.InboxDone] == deliveries && counts[store.InboxPending] == 0 && counts[store.InboxProcessing] == 0, fmt.Sprint(counts)
	})
	if counts := a.inboxCounts(); counts[store.InboxFailed] != 0 {
		t.Errorf("inbox = %v, want no failed rows", counts)
	}
	storedA, foundA := storedDMLogs(a.logs.String())
	storedB, foundB := storedDMLogs(b.logs.String())
	t.Logf("replica a stored %d DMs, replica b %d", storedA, storedB)
	if storedA+storedB != deliveries {
		t.Errorf("replicas stored %d DMs, want %d, one per event", storedA+storedB, deliveries)
	}
	if foundA+foundB != 0 {
		t.Errorf("%d events were processed again and found their DM stored, want none", foundA+foundB)
	}
	byEvent := countRows(t, db, "SELECT x_event_id, COUNT(*) FROM messages GROUP BY x_event_id")
	if len(byEvent) != deliveries {
		t.Errorf("messages have %d distinct event ids, want %d", len(byEvent), deliveries)
	}
	for i := range deliveries {
		if n := byEvent[fmt.Sprint(firstEventID+i)]; n != 1 {
			t.Errorf("event %d stored %d times, want once", firstEventID+i, n)
		}
	}
	convs := a.conversations("m1")
	if len(convs) != 1 {
		t.Fatalf("conversations = %d, want 1", len(convs))
	}
	conv := convs[0].ID

	// Ten replies through the API, five to each replica at once, and 20
	// DMs queued for the outbox workers of both. The account may send 15
	// DMs in 15 minutes, so the last 15 wait for the window.
	const replies, queued, window = 10, 20, 15
	errs = make(chan error, replies)
	for i := range replies {
		h := []*harness{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, err := postReply(h.http.Client(), h.http.URL, conv, fmt.Sprint("reply ", i))
			if err == nil && status != http.StatusCreated {
				err = fmt.Errorf("reply %d: status %d, want 201", i, status)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ctx := context.Background()
	for i := range queued {
		if _, err := b.srv.store.QueueMessage(ctx, "m1", conv, store.Message{Content: fmt.Sprint("queued ", i), Type: "text"}, nil, a.clock.now()); err != nil {
			t.Fatal(err)
		}
	}
	outboxState := func(wantSent, wantPending int) func() (bool, string) {
		return func() (bool, string) {
			pending, sending, err := a.srv.store.OutboxCounts(ctx)
			if err != nil {
				return false, err.Error()
			}
			sent := len(a.fake.SentDMs())
			return sent == wantSent && pending == wantPending && sending == 0,
				fmt.Sprintf("%d DMs sent, outbox %d pending and %d sending", sent, pending, sending)
		}
	}
	waitFor(t, 20*time.Second, "first window of sends", outboxState(window, replies+queued-window))
	// Past the window: every send so far is more than 15 minutes (and the
	// service's margin) old.
	a.clock.advance(15*time.Minute + windowMargin + time.Second)
	waitFor(t, 20*time.Second, "second window of sends", outboxState(replies+queued, 0))

	sentTexts := countDMsByText(a.fake.SentDMs())
	for i := range replies {
		if n := sentTexts[fmt.Sprint("reply ", i)]; n != 1 {
			t.Errorf("reply %d sent %d times, want once", i, n)
		}
	}
	for i := range queued {
		if n := sentTexts[fmt.Sprint("queued ", i)]; n != 1 {
			t.Errorf("queued DM %d sent %d times, want once", i, n)
		}
	}
	for _, h := range []*harness{a, b} {
		if strings.Contains(h.logs.String(), "X rate limit reached") {
			t.Error("the fake X answered 429 to a replica")
		}
	}
	byStatus := countRows(t, db, "SELECT status, COUNT(*) FROM messages WHERE direction = 'outbound' GROUP BY status")
	if byStatus["sent"] != replies+queued || len(byStatus) != 1 {
		t.Errorf("outbound messages by status = %v, want %d sent", byStatus, replies+queued)
	}
}

// TestReplicasShareDailyLimit has two replicas with a daily limit of 5 DMs
// per account receive 20 sends for one account at once, ten each. The
// replicas together must send exactly 5 and queue the other 15, and a day
// later send 5 more.
func TestReplicasShareDailyLimit(t *testing.T) {
	a, b := newReplicas(t)
	const limit, requests = 5, 20
	for _, h := range []*harness{a, b} {
		h.srv.settings.DMDailyLimit = limit
		h.srv.sender = newSender(h.srv)
	}
	a.deliver(fixturesDM(t))
	a.process()
	convs := a.conversations("m1")
	if len(convs) != 1 {
		t.Fatalf("conversations = %d, want 1", len(convs))
	}
	conv := convs[0].ID
	stop := runWorkers(t, a, b)

	start := a.clock.now()
	type result struct {
		content string
		status  int
		view    sentView
		err     error
	}
	results := make(chan result, requests)
	var wg sync.WaitGroup
	for i := range requests {
		h := []*harness{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			content := fmt.Sprint("offer ", i)
			status, view, err := postReply(h.http.Client(), h.http.URL, conv, content)
			results <- result{content, status, view, err}
		}()
	}
	wg.Wait()
	close(results)
	sentNow := map[string]bool{}
	queued := 0
	for r := range results {
		switch {
		case r.err != nil:
			t.Errorf("%s: %v", r.content, r.err)
		case r.status == http.StatusCreated:
			sentNow[r.content] = true
		case r.status == http.StatusAccepted && r.view.Status == "queued" && r.view.ScheduledAt != nil:
			queued++
			if wait := time.Time(*r.view.ScheduledAt).Sub(start); wait < 24*time.Hour || wait > 24*time.Hour+time.Minute {
				t.Errorf("%s scheduled in %v, want a day and the service's margin", r.content, wait)
			}
		default:
			t.Errorf("%s: status %d, message %+v; want 201 sent or 202 queued with scheduledAt", r.content, r.status, r.view)
		}
	}
	if len(sentNow) != limit || queued != requests-limit {
		t.Errorf("%d sent and %d queued, want %d and %d", len(sentNow), queued, limit, requests-limit)
	}
	sent := a.fake.SentDMs()
	if len(sent) != limit {
		t.Errorf("fake X accepted %d DMs, want %d", len(sent), limit)
	}
	for _, dm := range sent {
		if !sentNow[dm.Text] {
			t.Errorf("fake X accepted %q, which the service did not report as sent", dm.Text)
		}
	}

	// A day later the outbox workers of both replicas send the next 5.
	a.clock.advance(24*time.Hour + windowMargin + time.Second)
	ctx := context.Background()
	waitFor(t, 20*time.Second, "sends of the next day", func() (bool, string) {
		pending, sending, err := a.srv.store.OutboxCounts(ctx)
		if err != nil {
			return false, err.Error()
		}
		n := len(a.fake.SentDMs())
		return n == 2*limit && pending == requests-2*limit && sending == 0,
			fmt.Sprintf("%d DMs sent, outbox %d pending and %d sending", n, pending, sending)
	})
	stop()
	// The account's limit is used up again, so neither sender finds a due
	// row: the rest of the queue was deferred to the next day.
	for name, h := range map[string]*harness{"a": a, "b": b} {
		if n, err := h.srv.sender.sendDue(ctx); err != nil || n != 0 {
			t.Errorf("replica %s sendDue: %d rows, %v; want none due", name, n, err)
		}
	}
	sentTexts := countDMsByText(a.fake.SentDMs())
	if len(sentTexts) != 2*limit {
		t.Errorf("fake X accepted %d distinct DMs, want %d", len(sentTexts), 2*limit)
	}
	for text, n := range sentTexts {
		if n != 1 {
			t.Errorf("%q sent %d times, want once", text, n)
		}
	}
}
