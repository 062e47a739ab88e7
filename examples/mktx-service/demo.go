package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/xtest"
)

// The demo's merchant and the lifetime of the token printed for it.
const (
	demoMerchant = "merchant-1"
	demoTokenTTL = 24 * time.Hour
)

// demoReplyText is the reply that the printed instructions post.
const demoReplyText = "Thanks for writing! The blue jacket is in stock."

// demoShop is the merchant's X account on the fake X.
var demoShop = xtest.User{ID: "1470000000000000001", Username: "shop_demo", Name: "Shop Demo"}

// demoCustomers are the fake X users who write to the shop. The first two
// are the customers of the repository's sample deliveries.
var demoCustomers = []xtest.User{
	{ID: "1470000000000000777", Username: "ana_cliente", Name: "Ana Cliente"},
	{ID: "1470000000000000888", Username: "bao_tran", Name: "Bao Tran"},
	{ID: "1470000000000000901", Username: "carla_mendes", Name: "Carla Mendes"},
	{ID: "1470000000000000902", Username: "dev_patel", Name: "Dev Patel"},
	{ID: "1470000000000000903", Username: "emma_larsen", Name: "Emma Larsen"},
	{ID: "1470000000000000904", Username: "farid_haddad", Name: "Farid Haddad"},
	{ID: "1470000000000000905", Username: "grace_okafor", Name: "Grace Okafor"},
	{ID: "1470000000000000906", Username: "hiro_sato", Name: "Hiro Sato"},
}

// demoTexts are the DMs the customers send, in turn.
var demoTexts = []string{
	"Hi! Is the blue jacket still in stock in size M?",
	"Do you ship to Canada, and how long does it take?",
	"My order 1042 has not arrived yet. Can you check it?",
	"Can I return the shoes I bought last week?",
	"What time do you open on Sunday?",
	"Is there a discount on a first order?",
	"The package arrived today, thank you!",
}

// Timing of the demo's own work. The demo waits up to
// demoConversationWait for the first conversation to be stored, and polls
// for it and for the DMs the fake X accepted. At shutdown, the fake X gets
// demoFakeShutdown to finish its requests.
const (
	demoConversationWait = 15 * time.Second
	demoPollInterval     = 100 * time.Millisecond
	demoSentPollInterval = 250 * time.Millisecond
	demoFakeShutdown     = 5 * time.Second
	demoCallTimeout      = 30 * time.Second // above register-webhook's 2*xTimeout
	maxDemoResponseBytes = 1 << 20
)

// demoOptions are the flags of the demo subcommand.
type demoOptions struct {
	addr      string        // the service's listen address
	fakeAddr  string        // the fake X's listen address, loopback only
	customers int           // how many customers write, 1 to len(demoCustomers)
	interval  time.Duration // time between two customers' DMs
	keepDB    bool          // keep the temporary directory with the SQLite file
}

// runDemo runs the service together with a fake X API in this process
// until ctx is cancelled or the process gets SIGINT or SIGTERM.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseDemoFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := startDemo(ctx, opts, stdout, stderr)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped by a signal while starting
		}
		return err
	}
	return d.wait()
}

func parseDemoFlags(args []string, stderr io.Writer) (demoOptions, error) {
	fs := flag.NewFlagSet("mktx-service demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts demoOptions
	fs.StringVar(&opts.addr, "addr", "127.0.0.1:5000", "listen `address` of the service")
	fs.StringVar(&opts.fakeAddr, "fake-addr", "127.0.0.1:0", "listen `address` of the fake X API, on loopback (port 0 picks a free one)")
	fs.IntVar(&opts.customers, "customers", 3, fmt.Sprintf("number of customers who write to the shop, 1 to %d", len(demoCustomers)))
	fs.DurationVar(&opts.interval, "interval", 5*time.Second, "time between two customers' DMs")
	fs.BoolVar(&opts.keepDB, "keep-db", false, "keep the SQLite database at exit and print its path")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("demo: unexpected arguments %q", fs.Args())
	}
	if opts.customers < 1 || opts.customers > len(demoCustomers) {
		return opts, fmt.Errorf("demo: --customers=%d is out of range; use 1 to %d", opts.customers, len(demoCustomers))
	}
	if opts.interval <= 0 {
		return opts, fmt.Errorf("demo: --interval=%v must be positive, such as 5s", opts.interval)
	}
	return opts, nil
}

// demo is one running demo: a fake X API and the service, wired together.
type demo struct {
	opts   demoOptions
	ctx    context.Context // cancelled by stop
	cancel context.CancelFunc
	out    *lockedWriter
	log    *slog.Logger
	dir    string // temporary directory of the database
	client *http.Client

	fake      *xtest.Server
	fakeHTTP  *http.Server
	fakeURL   string
	fakeDone  chan struct{} // closed when the fake's Serve returned
	app       xtest.App
	customers []xtest.User

	store     store.Store
	baseURL   string        // the service's origin, on a loopback or the listen address
	serveDone chan struct{} // closed when the service stopped
	serveErr  error         // the service's result, set before serveDone is closed
	jwtSecret []byte
	// watchStart holds the service's webhook watcher back until the
	// webhook is registered; start closes it.
	watchStart chan struct{}

	background sync.WaitGroup // the customer simulation and the sent-DM report
	stopOnce   sync.Once
	stopErr    error
}

// startDemo starts the fake X API and the service, connects the demo shop
// through the 3-legged OAuth routes, registers the webhook through the
// service's API, has every customer write once, and prints the
// instructions to stdout, followed by those first DMs. Customers then keep
// writing every opts.interval until ctx is cancelled. On error, everything
// started is stopped again.
func startDemo(ctx context.Context, opts demoOptions, stdout, stderr io.Writer) (*demo, error) {
	ctx, cancel := context.WithCancel(ctx)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	d := &demo{
		opts:       opts,
		ctx:        ctx,
		cancel:     cancel,
		out:        &lockedWriter{w: stdout},
		client:     &http.Client{Transport: transport, Timeout: demoCallTimeout},
		watchStart: make(chan struct{}),
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d.log = logger.With("component", "demo")
	if err := d.start(logger); err != nil {
		return nil, errors.Join(err, d.stop())
	}
	return d, nil
}

func (d *demo) start(serviceLog *slog.Logger) error {
	dir, err := os.MkdirTemp("", "mktx-demo-")
	if err != nil {
		return fmt.Errorf("demo: create the database directory: %w", err)
	}
	d.dir = dir

	if err := d.startFake(); err != nil {
		return err
	}
	if err := d.startService(serviceLog); err != nil {
		return err
	}

	token, err := issueToken(d.jwtSecret, demoMerchant, demoTokenTTL, time.Now())
	if err != nil {
		return fmt.Errorf("demo: issue the merchant token: %w", err)
	}
	accountID, err := d.connectShop(token)
	if err != nil {
		return err
	}
	if err := d.registerWebhook(token, accountID); err != nil {
		return err
	}
	close(d.watchStart)

	// The instructions name the first customer's conversation, so the
	// customers write before they are printed, but their DMs are printed
	// after them.
	var firstDMs bytes.Buffer
	for i := range d.customers {
		d.customerWrites(i, &firstDMs)
	}
	conv, err := d.waitConversation(token, d.customers[0])
	if err != nil {
		return err
	}
	d.printInstructions(token, conv)
	d.out.Write(firstDMs.Bytes())

	d.background.Add(2)
	go d.simulateCustomers()
	go d.reportSentDMs()
	return nil
}

// startFake serves a fake X API on opts.fakeAddr with an app whose
// consumer secret and bearer token are random, the shop and the customers.
func (d *demo) startFake() error {
	ln, err := net.Listen("tcp", d.opts.fakeAddr)
	if err != nil {
		return fmt.Errorf("demo: listen on --fake-addr %s: %w", d.opts.fakeAddr, err)
	}
	if err := requireLoopback(d.opts.fakeAddr, ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	d.fakeURL = "http://" + ln.Addr().String()
	d.fake = xtest.New(xtest.WithBaseURL(d.fakeURL), xtest.WithInsecureWebhooks())
	d.fakeHTTP = &http.Server{Handler: d.fake, ReadHeaderTimeout: 10 * time.Second}
	d.fakeDone = make(chan struct{})
	go func() {
		defer close(d.fakeDone)
		if err := d.fakeHTTP.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("fake X API stopped", "err", err)
		}
	}()
	d.app, err = d.fake.AddApp(xtest.App{
		ConsumerKey:    "mktx-demo-consumer-key",
		ConsumerSecret: rand.Text(),
		BearerToken:    rand.Text(),
	})
	if err != nil {
		return fmt.Errorf("demo: register the fake X app: %w", err)
	}
	shop := demoShop
	shop.Token, shop.TokenSecret = demoShop.ID+"-"+rand.Text(), rand.Text()
	if _, err := d.fake.AddUser(d.app.ID, shop); err != nil {
		return fmt.Errorf("demo: register @%s on the fake X: %w", shop.Username, err)
	}
	for _, c := range demoCustomers[:d.opts.customers] {
		c, err := d.fake.AddUser(d.app.ID, c)
		if err != nil {
			return fmt.Errorf("demo: register @%s on the fake X: %w", c.Username, err)
		}
		d.customers = append(d.customers, c)
	}
	d.log.Info("fake X API started", "url", d.fakeURL, "app", d.app.ID)
	return nil
}

// startService listens on opts.addr and serves the service with a SQLite
// database in the temporary directory, random secrets, and the fake X as
// its X API. Its webhook URL is its own webhook route.
func (d *demo) startService(log *slog.Logger) error {
	ln, err := net.Listen("tcp", d.opts.addr)
	if err != nil {
		return fmt.Errorf("demo: listen on --addr %s: %w", d.opts.addr, err)
	}
	d.baseURL = "http://" + reachableAddr(ln.Addr())
	settings, err := d.settings(ln.Addr().String())
	if err != nil {
		ln.Close()
		return err
	}
	st, err := openStore(d.ctx, settings.DatabaseURL)
	if err != nil {
		ln.Close()
		return err
	}
	d.store = st
	srv, err := newServer(settings, st, log)
	if err != nil {
		ln.Close()
		return err
	}
	d.serveDone = make(chan struct{})
	go func() {
		defer close(d.serveDone)
		d.serveErr = srv.serve(d.ctx, ln)
	}()
	return nil
}

// settings returns the service's settings for the demo. Only the demo
// allows an http webhook URL, which the fake X accepts.
func (d *demo) settings(addr string) (Settings, error) {
	key := make([]byte, 32)
	rand.Read(key)
	d.jwtSecret = []byte(rand.Text())
	var cfg Config
	cfg.Twitter.APIKey = setting(d.app.ConsumerKey)
	cfg.Twitter.APIKeySecret = setting(d.app.ConsumerSecret)
	cfg.Twitter.BearerToken = setting(d.app.BearerToken)
	cfg.Twitter.APIBaseURL = setting(d.fakeURL)
	cfg.Twitter.WebhookURL = setting(d.baseURL + apiBase + "/webhooks/twitter")
	cfg.Mktx.Addr = setting(addr)
	cfg.Mktx.DatabaseURL = setting("sqlite:" + filepath.Join(d.dir, "mktx.db"))
	cfg.Mktx.JWTSecret = setting(d.jwtSecret)
	cfg.Mktx.EncryptionKey = setting(base64.StdEncoding.EncodeToString(key))
	settings, err := cfg.Settings()
	if err != nil {
		return Settings{}, fmt.Errorf("demo: %w", err)
	}
	settings.insecureWebhookURL = true
	settings.watchStart = d.watchStart
	return settings, nil
}

// requireLoopback returns an error unless addr, where the fake X listens
// for the flag value fakeAddr, is a loopback address. The fake registers
// webhooks at any URL and sends them CRC checks, so only this machine may
// reach it.
func requireLoopback(fakeAddr string, addr net.Addr) error {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("demo: --fake-addr %s listens on %s, which is not a loopback address; use 127.0.0.1:PORT", fakeAddr, addr)
}

// reachableAddr returns addr with an unspecified IP, such as that of
// ":5000", replaced by 127.0.0.1.
func reachableAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		_, port, _ := net.SplitHostPort(addr.String())
		return net.JoinHostPort("127.0.0.1", port)
	}
	return tcp.String()
}

// connectShop connects @shop_demo for the merchant as a user would: GET
// /oauth/authorize, approval on the fake X's authorization page, and X's
// redirect to GET /oauth/callback. It returns the account's id.
func (d *demo) connectShop(token string) (string, error) {
	var authz authorizeView
	if err := d.call(http.MethodGet, d.baseURL+apiBase+"/oauth/authorize", token, &authz); err != nil {
		return "", err
	}
	authURL, err := url.Parse(authz.AuthorizationURL)
	if err != nil {
		return "", fmt.Errorf("demo: the authorization URL is invalid: %w", err)
	}
	callback, err := d.fake.Approve(authURL.Query().Get("oauth_token"), demoShop.ID)
	if err != nil {
		return "", fmt.Errorf("demo: approve the authorization on the fake X: %w", err)
	}
	var acct accountView
	if err := d.call(http.MethodGet, callback.String(), "", &acct); err != nil {
		return "", err
	}
	d.log.Info("merchant connected its X account through 3-legged OAuth", "merchant", demoMerchant, "account", acct.ID, "username", "@"+acct.Username)
	return acct.ID, nil
}

// registerWebhook registers the service's webhook with the fake X and
// subscribes the account, through POST /accounts/{id}/register-webhook.
func (d *demo) registerWebhook(token, accountID string) error {
	var reg registerView
	path := d.baseURL + apiBase + "/accounts/" + url.PathEscape(accountID) + "/register-webhook"
	if err := d.call(http.MethodPost, path, token, &reg); err != nil {
		return err
	}
	if !reg.Valid || !reg.Subscribed {
		return fmt.Errorf("demo: webhook %s is valid=%t, subscribed=%t; want both true", reg.WebhookID, reg.Valid, reg.Subscribed)
	}
	d.log.Info("webhook registered and the account subscribed", "webhook", reg.WebhookID, "url", reg.URL)
	return nil
}

// waitConversation polls the merchant's conversations until the one with
// customer is stored, at most demoConversationWait.
func (d *demo) waitConversation(token string, customer xtest.User) (conversationView, error) {
	deadline := time.Now().Add(demoConversationWait)
	for {
		var convs []conversationView
		if err := d.call(http.MethodGet, d.baseURL+apiBase+"/conversations?limit=200", token, &convs); err != nil {
			return conversationView{}, err
		}
		for _, c := range convs {
			if c.ParticipantID == customer.ID {
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			return conversationView{}, fmt.Errorf("demo: the conversation with @%s was not stored within %v; see the service's log above", customer.Username, demoConversationWait)
		}
		select {
		case <-d.ctx.Done():
			return conversationView{}, d.ctx.Err()
		case <-time.After(demoPollInterval):
		}
	}
}

// call sends a request without a body to the service and decodes the data
// of a successful response into out. A status other than 2xx is an error
// with the service's error message. Errors name the URL's path only,
// because the query of the OAuth callback contains the verifier.
func (d *demo) call(method, rawURL, bearer string, out any) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return errors.New("demo: invalid request URL") // url.Error repeats the URL
	}
	req, err := http.NewRequestWithContext(d.ctx, method, u.String(), nil)
	if err != nil {
		return fmt.Errorf("demo: %s %s: %w", method, u.Path, err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		var urlErr *url.Error // its text repeats the whole URL
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return fmt.Errorf("demo: %s %s failed: %w", method, u.Path, err)
	}
	defer resp.Body.Close()
	if err := decodeResponse(resp, out); err != nil {
		return fmt.Errorf("demo: %s %s: %w", method, u.Path, err)
	}
	return nil
}

// decodeResponse reads a response of the service, at most
// maxDemoResponseBytes, and decodes its data into out when out is not nil.
// A status other than 2xx is an error with the service's error message.
func decodeResponse(resp *http.Response, out any) error {
	var envelope struct {
		Data  json.RawMessage `json:"data"`
		Error errorDetail     `json:"error"`
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxDemoResponseBytes))
	if err == nil {
		err = json.Unmarshal(raw, &envelope)
	}
	if err != nil {
		return fmt.Errorf("status %d, unreadable response: %w", resp.StatusCode, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d: %s", resp.StatusCode, envelope.Error.Message)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(envelope.Data, out); err != nil {
		return fmt.Errorf("unexpected data: %w", err)
	}
	return nil
}

// customerWrites has the customer of turn n send the shop a DM on the fake
// X, which delivers it to the service's webhook, and prints the DM to out.
func (d *demo) customerWrites(n int, out io.Writer) {
	customer := d.customers[n%len(d.customers)]
	text := demoTexts[n%len(demoTexts)]
	if _, err := d.fake.DeliverDM(d.ctx, customer.ID, demoShop.ID, text); err != nil {
		if d.ctx.Err() == nil {
			d.log.Warn("the fake X failed to deliver a customer's DM", "customer", "@"+customer.Username, "err", err)
		}
		return
	}
	fmt.Fprintf(out, "fake X: customer @%s wrote to @%s: %s\n", customer.Username, demoShop.Username, strconv.Quote(text))
}

// simulateCustomers has the next customer write every opts.interval.
func (d *demo) simulateCustomers() {
	defer d.background.Done()
	ticker := time.NewTicker(d.opts.interval)
	defer ticker.Stop()
	for n := len(d.customers); ; n++ {
		select {
		case <-d.ctx.Done():
			return
		case <-ticker.C:
			d.customerWrites(n, d.out)
		}
	}
}

// reportSentDMs prints every DM that the service sent a customer through
// the fake X, as the fake records it.
func (d *demo) reportSentDMs() {
	defer d.background.Done()
	ticker := time.NewTicker(demoSentPollInterval)
	defer ticker.Stop()
	names := make(map[string]string, len(d.customers))
	for _, c := range d.customers {
		names[c.ID] = c.Username
	}
	reported := 0
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-ticker.C:
		}
		sent := d.fake.SentDMs()
		for _, dm := range sent[reported:] {
			if name, ok := names[dm.RecipientID]; ok {
				fmt.Fprintf(d.out, "fake X: customer @%s received: %s\n", name, strconv.Quote(dm.Text))
			}
		}
		reported = len(sent)
	}
}

// printInstructions prints what to try next, with the merchant's token
// and conv as the conversation to read and reply to.
func (d *demo) printInstructions(token string, conv conversationView) {
	var names []string
	for _, c := range d.customers {
		names = append(names, "@"+c.Username)
	}
	db := "removed at exit; --keep-db keeps it"
	if d.opts.keepDB {
		db = "kept at exit"
	}
	customer := "@" + d.customers[0].Username
	reply, _ := json.Marshal(map[string]string{"content": demoReplyText})
	fmt.Fprintf(d.out, `
The demo is ready.

  service     %[1]s (SQLite in %[2]s, %[3]s)
  fake X API  %[4]s
  merchant    %[5]s connected @%[6]s through 3-legged OAuth (GET /oauth/authorize,
              approval on the fake X, GET /oauth/callback), and the service registered
              its webhook and subscribed the account (POST /accounts/{id}/register-webhook)
  customers   %[7]s write to @%[6]s, one DM every %[8]v

In another terminal, set the merchant's token (valid for %[9]d hours) and the API's URL:

  export TOKEN='%[10]s'
  export BASE='%[1]s%[11]s'

List the conversations, then read the messages of the one with %[12]s, newest first:

  curl -s -H "Authorization: Bearer $TOKEN" "$BASE/conversations"
  curl -s -H "Authorization: Bearer $TOKEN" "$BASE/conversations/%[13]s/messages"

Reply to %[12]s. The service sends the DM through the fake X, and this terminal
prints "fake X: customer %[12]s received: ..." when it arrives:

  curl -s -X POST -H "Authorization: Bearer $TOKEN" "$BASE/conversations/%[13]s/messages" -d '%[14]s'

Show the webhook's health, and answer a CRC check as X sends it:

  curl -s "%[1]s/readyz"
  curl -s "$BASE/webhooks/twitter?crc_token=test"

Press Ctrl-C to stop.

`, d.baseURL, filepath.Join(d.dir, "mktx.db"), db, d.fakeURL, demoMerchant, demoShop.Username,
		strings.Join(names, ", "), d.opts.interval, int(demoTokenTTL.Hours()), token, apiBase, customer, url.PathEscape(conv.ID), reply)
}

// wait blocks until the demo's context is cancelled or the service stops
// on its own, then stops the demo.
func (d *demo) wait() error {
	select {
	case <-d.ctx.Done():
		d.log.Info("stopping the demo")
	case <-d.serveDone:
	}
	return d.stop()
}

// stop shuts the demo down in order: the customers, then the service
// (gracefully, within its shutdown timeout), then the fake X API. Then it
// closes the database and removes its directory unless opts.keepDB is
// set. Calling it again returns the first result.
func (d *demo) stop() error {
	d.stopOnce.Do(func() {
		d.cancel()
		d.background.Wait()
		var errs []error
		if d.serveDone != nil {
			<-d.serveDone
			errs = append(errs, d.serveErr)
		}
		d.client.CloseIdleConnections()
		if d.fakeHTTP != nil {
			d.stopFake()
		}
		if d.store != nil {
			errs = append(errs, d.store.Close())
		}
		errs = append(errs, d.removeDir())
		d.stopErr = errors.Join(errs...)
		d.log.Info("demo stopped")
	})
	return d.stopErr
}

// stopFake shuts the fake X API down after the service stopped. It first
// closes the idle connections of http.DefaultTransport, which the
// service's X clients use, because http.Server.Shutdown treats a
// connection that has not sent a request as active for its first 5
// seconds (net/http in Go 1.25 and 1.26).
func (d *demo) stopFake() {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
	ctx, cancel := context.WithTimeout(context.Background(), demoFakeShutdown)
	defer cancel()
	if err := d.fakeHTTP.Shutdown(ctx); err != nil {
		d.log.Warn("the fake X API did not finish its requests in time; closing its connections", "err", err)
		d.fakeHTTP.Close()
	}
	<-d.fakeDone
	d.fake.Close()
}

func (d *demo) removeDir() error {
	if d.dir == "" {
		return nil
	}
	if d.opts.keepDB {
		fmt.Fprintf(d.out, "The database is kept in %s\n", filepath.Join(d.dir, "mktx.db"))
		return nil
	}
	if err := os.RemoveAll(d.dir); err != nil {
		return fmt.Errorf("demo: remove the database directory: %w", err)
	}
	return nil
}

// lockedWriter serializes the writes of several goroutines to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
