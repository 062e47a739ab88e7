package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/store/sqlstore"
	"github.com/goodgo/xactivity/webhook"
	"github.com/goodgo/xactivity/xtest"
)

// buildService compiles this command into dir and returns the binary's path.
func buildService(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "mktx-service")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serviceProcess is one run of the service binary. done is closed when it
// exits, and err is then its exit error.
type serviceProcess struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

func startService(t *testing.T, bin string, env []string) *serviceProcess {
	t.Helper()
	p := &serviceProcess{cmd: exec.Command(bin), stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// waitHealthy polls /healthz until the service responds, or fails the test.
func waitHealthy(t *testing.T, p *serviceProcess, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("service exited: %v\n%s", p.err, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("service not healthy after 30 s\n%s", p.stderr)
}

// TestSIGKILLLosesNoAcknowledgedDelivery kills the service process with
// SIGKILL several times while deliveries stream in, restarts it on the same
// SQLite file, and checks that every delivery that got a 200 response ends up stored
// and processed exactly once.
func TestSIGKILLLosesNoAcknowledgedDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the service binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := buildService(t, dir)
	secret := fixtures.LoadVectors(t).DeliveriesSecret
	fake := xtest.NewServer()
	defer fake.Close()
	app, err := fake.AddApp(xtest.App{ConsumerKey: "kill-test-key", ConsumerSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	user, err := fake.AddUser(app.ID, xtest.User{ID: shopID, Username: "shop_demo"})
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	base := "http://" + addr
	dbPath := filepath.Join(dir, "mktx.db")
	env := append(os.Environ(),
		"TWITTER__API_KEY="+app.ConsumerKey,
		"TWITTER__API_KEY_SECRET="+secret,
		"TWITTER__API_BASE_URL="+fake.URL(),
		"MKTX__JWT_SECRET="+testJWTSecret,
		"MKTX__ENCRYPTION_KEY="+testEncryptionKey,
		"MKTX__DATABASE_URL=sqlite:"+dbPath,
		"MKTX__ADDR="+addr,
		"MKTX__WEBHOOK_EVENTS_PER_MINUTE=0",
		"MKTX__INBOX_LEASE=1s",
	)

	proc := startService(t, bin, env)
	waitHealthy(t, proc, base)
	token, _ := issueToken([]byte(testJWTSecret), "m1", time.Hour, time.Now())
	connect := fmt.Sprintf(`{"oauthToken":%q,"oauthTokenSecret":%q}`, user.Token, user.TokenSecret)
	req, _ := http.NewRequest(http.MethodPost, base+apiBase+"/accounts", bytes.NewReader([]byte(connect)))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("connect: %v %v\n%s", err, resp, proc.stderr)
	}
	resp.Body.Close()

	var (
		nextID atomic.Int64
		mu     sync.Mutex
		acked  = map[int]bool{}
		sent   atomic.Int64
	)
	nextID.Store(100000)
	client := &http.Client{Timeout: 5 * time.Second}
	const rounds, acksPerRound = 3, 150
	for round := range rounds {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					id := int(nextID.Add(1))
					body := dmDelivery(id)
					req, _ := http.NewRequest(http.MethodPost, base+apiBase+"/webhooks/twitter", bytes.NewReader(body))
					req.Header.Set(webhook.SignatureHeader, webhook.Sign(secret, body))
					sent.Add(1)
					resp, err := client.Do(req)
					if err != nil {
						continue
					}
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						mu.Lock()
						acked[id] = true
						mu.Unlock()
					}
				}
			}()
		}
		target := (round + 1) * acksPerRound
		for deadline := time.Now().Add(60 * time.Second); ; {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= target {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: only %d deliveries acknowledged\n%s", round, n, proc.stderr)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-proc.done
		close(stop)
		wg.Wait()
		proc = startService(t, bin, env)
		waitHealthy(t, proc, base)
	}

	// Let the last process work through the inbox, then stop it cleanly.
	mu.Lock()
	want := len(acked)
	mu.Unlock()
	dbCheck := openCheckDB(t, dbPath)
	deadline := time.Now().Add(60 * time.Second)
	for {
		counts, err := dbCheck.InboxCounts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if counts[store.InboxPending] == 0 && counts[store.InboxProcessing] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("inbox not drained: %v\n%s", counts, proc.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-proc.done
	if proc.err != nil {
		t.Errorf("service exit after SIGTERM: %v, want status 0", proc.err)
	}

	// The messages table allows one row per (account, event id), so the
	// store cannot hold a DM twice; what this test proves is that none of
	// the acknowledged deliveries is missing and no inbox row is left over.
	stored := storedDMEvents(t, dbPath)
	missing := 0
	for id := range acked {
		if stored[fmt.Sprint(id)] == 0 {
			missing++
		}
	}
	counts, _ := dbCheck.InboxCounts(context.Background())
	t.Logf("sent %d deliveries, %d acknowledged, %d messages stored, inbox %v, %d SIGKILLs",
		sent.Load(), want, len(stored), counts, rounds)
	if missing > 0 {
		t.Errorf("%d acknowledged deliveries are missing", missing)
	}
	if counts[store.InboxFailed] != 0 {
		t.Errorf("%d inbox rows failed", counts[store.InboxFailed])
	}
	if counts[store.InboxDone] < want {
		t.Errorf("%d inbox rows done, want at least the %d acknowledged", counts[store.InboxDone], want)
	}
}

func openCheckDB(t *testing.T, path string) *sqlstore.Store {
	t.Helper()
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Close()
		db.Close()
	})
	return st
}

// storedDMEvents counts the stored messages per X event id.
func storedDMEvents(t *testing.T, path string) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT x_event_id, COUNT(*) FROM messages GROUP BY x_event_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	return out
}
