package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/xtest"
)

// demoInstructions are the values a user copies from the demo's printed
// instructions.
type demoInstructions struct {
	token string
	base  string // the API's base URL, $BASE
	curls []demoCurl
}

// demoCurl is one printed curl command, with $BASE and $TOKEN resolved.
type demoCurl struct {
	line   string
	method string
	url    string
	bearer string
	body   string
}

var (
	demoTokenLine = regexp.MustCompile(`(?m)^  export TOKEN='([^']+)'$`)
	demoBaseLine  = regexp.MustCompile(`(?m)^  export BASE='([^']+)'$`)
	demoCurlLine  = regexp.MustCompile(`(?m)^  curl .*$`)
	demoCurlURL   = regexp.MustCompile(`"((?:\$BASE|http)[^"]*)"`)
	demoCurlBody  = regexp.MustCompile(` -d '([^']*)'`)
)

// parseDemoInstructions reads the token, the base URL and the curl
// commands from the demo's output, as a user would copy them.
func parseDemoInstructions(t *testing.T, out string) demoInstructions {
	t.Helper()
	token := demoTokenLine.FindStringSubmatch(out)
	base := demoBaseLine.FindStringSubmatch(out)
	if token == nil || base == nil {
		t.Fatalf("the output has no export TOKEN or export BASE line:\n%s", out)
	}
	in := demoInstructions{token: token[1], base: base[1]}
	for _, line := range demoCurlLine.FindAllString(out, -1) {
		c := demoCurl{line: strings.TrimSpace(line), method: http.MethodGet}
		if strings.Contains(line, " -X POST ") {
			c.method = http.MethodPost
		}
		if strings.Contains(line, `"Authorization: Bearer $TOKEN"`) {
			c.bearer = in.token
		}
		m := demoCurlURL.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("curl command without a URL: %s", line)
		}
		c.url = strings.ReplaceAll(m[1], "$BASE", in.base)
		if b := demoCurlBody.FindStringSubmatch(line); b != nil {
			c.body = b[1]
		}
		in.curls = append(in.curls, c)
	}
	return in
}

// find returns the curl command with the method whose URL ends with
// suffix, or fails the test.
func (in demoInstructions) find(t *testing.T, method, suffix string) demoCurl {
	t.Helper()
	for _, c := range in.curls {
		if c.method == method && strings.HasSuffix(c.url, suffix) {
			return c
		}
	}
	t.Fatalf("no printed curl command %s ...%s among %+v", method, suffix, in.curls)
	return demoCurl{}
}

// do sends the request that the curl command c sends and returns the
// status and the body.
func (c demoCurl) do(t *testing.T, client *http.Client) (int, []byte) {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, c.url, body)
	if err != nil {
		t.Fatalf("%s: %v", c.line, err)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", c.line, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", c.line, err)
	}
	return resp.StatusCode, raw
}

// decodeData decodes the data of a service response into v.
func decodeData(t *testing.T, raw []byte, v any) {
	t.Helper()
	var envelope struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &envelope); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, raw)
	}
	decode(t, envelope.Data, v)
}

// waitOutput waits until buf contains want, at most d.
func waitOutput(t *testing.T, buf *syncBuffer, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output lacks %q after %v:\n%s", want, d, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assertClosed fails the test when something still accepts connections at
// the host:port of rawURL.
func assertClosed(t *testing.T, rawURL string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after the demo stopped", u.Host)
	}
}

// waitGoroutines waits until at most max goroutines run, and dumps the
// stacks of all of them when they do not end within 10 seconds.
func waitGoroutines(t *testing.T, max int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > max {
		if time.Now().After(deadline) {
			var stacks bytes.Buffer
			pprof.Lookup("goroutine").WriteTo(&stacks, 1)
			t.Fatalf("%d goroutines run after the demo stopped, %d before it started:\n%s", runtime.NumGoroutine(), max, stacks.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDemoRunsWalkthroughAndStops(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	// One DM per 200ms stays below the inbox worker's default pace of 1000
	// events per minute, so the inbox empties between DMs.
	opts := demoOptions{addr: "127.0.0.1:0", fakeAddr: "127.0.0.1:0", customers: 2, interval: 200 * time.Millisecond}
	d, err := startDemo(ctx, opts, stdout, stderr)
	if err != nil {
		t.Fatalf("startDemo: %v\n%s", err, stderr)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- d.wait() }()
	t.Cleanup(func() {
		cancel()
		<-stopped
	})
	in := parseDemoInstructions(t, stdout.String())
	client := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}

	// The instructions come before the first DMs, and the webhook watcher
	// starts only after the webhook is registered, so it reports no
	// missing webhook.
	ready := strings.Index(stdout.String(), "The demo is ready.")
	firstDM := strings.Index(stdout.String(), "fake X: customer @")
	if ready < 0 || firstDM < ready {
		t.Errorf("the first DM (at %d) is printed before the instructions (at %d):\n%s", firstDM, ready, stdout)
	}
	waitOutput(t, stderr, "webhook watcher started", 10*time.Second)
	registered := strings.Index(stderr.String(), "webhook registered and the account subscribed")
	if watching := strings.Index(stderr.String(), "webhook watcher started"); registered < 0 || watching < registered {
		t.Errorf("the webhook watcher started (at %d) before the webhook was registered (at %d):\n%s", watching, registered, stderr)
	}
	if strings.Contains(stderr.String(), "no webhook is registered") {
		t.Errorf("the webhook watcher reported a missing webhook:\n%s", stderr)
	}

	// The printed token works, and the API rejects a request without it.
	list := in.find(t, http.MethodGet, "/conversations")
	if status, raw := list.do(t, client); status != http.StatusOK {
		t.Fatalf("%s: status %d, want 200: %s", list.line, status, raw)
	}
	anonymous := list
	anonymous.bearer = ""
	if status, _ := anonymous.do(t, client); status != http.StatusUnauthorized {
		t.Errorf("%s without the token: status %d, want 401", list.line, status)
	}

	// Both customers' conversations appear through the API.
	var convs []conversationView
	for deadline := time.Now().Add(20 * time.Second); ; {
		_, raw := list.do(t, client)
		decodeData(t, raw, &convs)
		if len(convs) == opts.customers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d conversations after 20s, want %d:\n%s", len(convs), opts.customers, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var participants []string
	for _, c := range convs {
		participants = append(participants, c.ParticipantUsername)
	}
	slices.Sort(participants)
	if want := []string{"ana_cliente", "bao_tran"}; !slices.Equal(participants, want) {
		t.Errorf("conversations with %v, want %v", participants, want)
	}

	// The printed conversation is @ana_cliente's, and its messages are the
	// customer's DMs.
	read := in.find(t, http.MethodGet, "/messages")
	status, raw := read.do(t, client)
	if status != http.StatusOK {
		t.Fatalf("%s: status %d, want 200: %s", read.line, status, raw)
	}
	var msgs []messageView
	decodeData(t, raw, &msgs)
	if len(msgs) == 0 {
		t.Fatalf("%s: no messages", read.line)
	}
	for _, m := range msgs {
		if m.Direction != "inbound" || m.SenderID != demoCustomers[0].ID || !slices.Contains(demoTexts, m.Content) {
			t.Errorf("message %+v, want an inbound DM of @ana_cliente with one of the demo texts", m)
		}
	}

	// The printed reply is sent and reaches the customer on the fake X.
	reply := in.find(t, http.MethodPost, "/messages")
	status, raw = reply.do(t, client)
	if status != http.StatusCreated {
		t.Fatalf("%s: status %d, want 201: %s", reply.line, status, raw)
	}
	var sent messageView
	decodeData(t, raw, &sent)
	if sent.Status != "sent" || sent.Content != demoReplyText {
		t.Errorf("reply answered %+v, want status sent with the reply text", sent)
	}
	if !slices.ContainsFunc(d.fake.SentDMs(), func(m xtest.SentDM) bool {
		return m.SenderID == demoShop.ID && m.RecipientID == demoCustomers[0].ID && m.Text == demoReplyText
	}) {
		t.Errorf("the fake X did not accept the reply; it accepted %+v", d.fake.SentDMs())
	}
	waitOutput(t, stdout, "fake X: customer @ana_cliente received: "+strconv.Quote(demoReplyText), 5*time.Second)

	// X's echo of the reply is processed without storing the reply twice.
	echoes := 0
	for deadline := time.Now().Add(10 * time.Second); echoes == 0; {
		for _, dl := range d.fake.Deliveries(d.fake.Webhooks(d.app.ID)[0].ID) {
			if bytes.Contains(dl.Body, []byte(strconv.Quote(demoReplyText))) && dl.Status == http.StatusOK {
				echoes++
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the fake X delivered no echo of the reply within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		counts, err := d.store.InboxCounts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if counts[store.InboxPending] == 0 && counts[store.InboxProcessing] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("inbox not processed within 10s: %v", counts)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, raw = read.do(t, client)
	decodeData(t, raw, &msgs)
	replies := 0
	for _, m := range msgs {
		if m.Direction == "outbound" && m.Content == demoReplyText {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("%d outbound messages with the reply text after its echo, want 1", replies)
	}

	// The health and CRC commands work too.
	if status, raw := in.find(t, http.MethodGet, "/readyz").do(t, client); status != http.StatusOK {
		t.Errorf("readyz: status %d: %s", status, raw)
	}
	crc := in.find(t, http.MethodGet, "crc_token=test")
	if status, raw := crc.do(t, client); status != http.StatusOK || !bytes.Contains(raw, []byte(`"response_token":"sha256=`)) {
		t.Errorf("%s: status %d, body %s; want 200 with a response_token", crc.line, status, raw)
	}

	// Cancelling stops everything: listeners, goroutines, the database.
	client.CloseIdleConnections()
	cancel()
	select {
	case err := <-stopped:
		stopped <- err // for the cleanup
		if err != nil {
			t.Errorf("demo stopped with %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("demo did not stop within 30s after cancel:\n%s", stderr)
	}
	assertClosed(t, in.base)
	assertClosed(t, d.fakeURL)
	if _, err := os.Stat(d.dir); !os.IsNotExist(err) {
		t.Errorf("database directory %s: %v, want it removed", d.dir, err)
	}
	if strings.Contains(stderr.String(), "did not finish its requests in time") {
		t.Errorf("the fake X API's shutdown timed out:\n%s", stderr)
	}
	waitGoroutines(t, before)
	if strings.Contains(stdout.String()+stderr.String(), d.app.ConsumerSecret) {
		t.Error("the output contains the consumer secret")
	}
	if strings.Contains(stdout.String()+stderr.String(), string(d.jwtSecret)) {
		t.Error("the output contains the JWT secret")
	}
}

func TestDemoKeepDB(t *testing.T) {
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	opts := demoOptions{addr: "127.0.0.1:0", fakeAddr: "127.0.0.1:0", customers: 1, interval: time.Hour, keepDB: true}
	d, err := startDemo(context.Background(), opts, stdout, stderr)
	if err != nil {
		t.Fatalf("startDemo: %v\n%s", err, stderr)
	}
	t.Cleanup(func() { os.RemoveAll(d.dir) })
	if err := d.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	db := filepath.Join(d.dir, "mktx.db")
	if _, err := os.Stat(db); err != nil {
		t.Errorf("database after stop with --keep-db: %v", err)
	}
	if want := "The database is kept in " + db; !strings.Contains(stdout.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, stdout)
	}
	// The kept database holds the conversation of the customer's first DM.
	st, err := openStore(context.Background(), "sqlite:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.Conversations(context.Background(), store.ConversationQuery{MerchantID: demoMerchant, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ParticipantID != demoCustomers[0].ID {
		t.Errorf("kept conversations %+v, want one with @ana_cliente", page.Items)
	}
}

func TestDemoFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    demoOptions
		wantErr string // part of the error; empty for success
	}{
		{name: "defaults", args: nil,
			want: demoOptions{addr: "127.0.0.1:5000", fakeAddr: "127.0.0.1:0", customers: 3, interval: 5 * time.Second}},
		{name: "all flags", args: []string{"--addr", ":5001", "--fake-addr", "127.0.0.1:8089", "--customers", "8", "--interval", "1s", "--keep-db"},
			want: demoOptions{addr: ":5001", fakeAddr: "127.0.0.1:8089", customers: 8, interval: time.Second, keepDB: true}},
		{name: "no customers", args: []string{"--customers", "0"}, wantErr: "--customers=0 is out of range; use 1 to 8"},
		{name: "too many customers", args: []string{"--customers", "9"}, wantErr: "--customers=9 is out of range"},
		{name: "zero interval", args: []string{"--interval", "0s"}, wantErr: "--interval=0s must be positive"},
		{name: "negative interval", args: []string{"--interval", "-1s"}, wantErr: "must be positive"},
		{name: "extra argument", args: []string{"now"}, wantErr: `unexpected arguments ["now"]`},
		{name: "unknown flag", args: []string{"--port", "1"}, wantErr: "flag provided but not defined: -port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := parseDemoFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("parseDemoFlags(%q) error = %v, want one containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseDemoFlags(%q): %v", tt.args, err)
			}
			if opts != tt.want {
				t.Errorf("parseDemoFlags(%q) = %+v, want %+v", tt.args, opts, tt.want)
			}
		})
	}
}

func TestDemoRequiresLoopbackFake(t *testing.T) {
	tests := []struct {
		addr net.Addr
		ok   bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8089}, true},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8089}, true},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8089}, false},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8089}, false},
		{&net.TCPAddr{IP: net.IPv4(192, 168, 1, 5), Port: 8089}, false},
		{&net.UnixAddr{Name: "/tmp/x.sock", Net: "unix"}, false},
	}
	for _, tt := range tests {
		err := requireLoopback("flag-value", tt.addr)
		if (err == nil) != tt.ok {
			t.Errorf("requireLoopback(%v) = %v, want ok=%t", tt.addr, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--fake-addr flag-value listens on "+tt.addr.String()) {
			t.Errorf("requireLoopback(%v) error %q names neither the flag value nor the address", tt.addr, err)
		}
	}
}

func TestReachableAddr(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4zero, Port: 5000}, "127.0.0.1:5000"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 5000}, "127.0.0.1:5000"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, "127.0.0.1:5000"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 5000}, "[::1]:5000"},
		{&net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 80}, "10.0.0.7:80"},
	}
	for _, tt := range tests {
		if got := reachableAddr(tt.addr); got != tt.want {
			t.Errorf("reachableAddr(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// TestDemoBinarySIGTERM builds the service, runs its demo subcommand, uses
// the printed token, and checks that SIGTERM stops it with status 0 and
// removes its temporary database.
func TestDemoBinarySIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the service binary; skipped with -short")
	}
	bin := buildService(t, t.TempDir())
	tmp := t.TempDir()
	cmd := exec.Command(bin, "demo", "--addr", "127.0.0.1:0", "--customers", "1", "--interval", "100ms")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})

	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(stdout.String(), "Press Ctrl-C to stop."); {
		select {
		case <-done:
			t.Fatalf("demo exited before printing the instructions: %v\n%s\n%s", cmd.ProcessState, stdout, stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no instructions after 60s:\n%s\n%s", stdout, stderr)
		}
	}
	in := parseDemoInstructions(t, stdout.String())
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	list := in.find(t, http.MethodGet, "/conversations")
	if status, raw := list.do(t, client); status != http.StatusOK {
		t.Fatalf("%s: status %d, want 200: %s", list.line, status, raw)
	}
	// The first DM is printed after the instructions, the second one on
	// the first tick of --interval.
	wrote := "fake X: customer @ana_cliente wrote to @shop_demo: "
	for deadline := time.Now().Add(10 * time.Second); strings.Count(stdout.String(), wrote) < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 2 DMs of @ana_cliente after 10s:\n%s", stdout)
		}
		time.Sleep(20 * time.Millisecond)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("demo still runs 30s after SIGTERM:\n%s", stderr)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0\n%s", code, stderr)
	}
	if strings.Contains(stderr.String(), "did not finish its requests in time") {
		t.Errorf("the fake X API's shutdown timed out:\n%s", stderr)
	}
	for _, want := range []string{"service stopping", "stopping the demo", "demo stopped"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, stderr)
		}
	}
	assertClosed(t, in.base)
	left, err := filepath.Glob(filepath.Join(tmp, "mktx-demo-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("temporary directories left after exit: %v", left)
	}
}
