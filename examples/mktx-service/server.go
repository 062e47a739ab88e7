package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/goodgo/xactivity/accountactivity"
	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/store/sqlstore"
	"github.com/goodgo/xactivity/webhook"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver behind postgres:// URLs
	_ "modernc.org/sqlite"             // the embedded SQLite driver behind sqlite: URLs
)

// maxInFlightDeliveries bounds the deliveries read and stored at once, and
// so the memory their bodies take: at most this many times
// MKTX__WEBHOOK_MAX_BODY_BYTES. Group commit batches whatever waits, so a
// few dozen in flight keep the inbox writer busy.
const maxInFlightDeliveries = 64

// server is the assembled service: HTTP API, webhook intake and the inbox
// worker over one store.
type server struct {
	settings Settings
	store    store.Store
	sealer   *sealer
	auth     *authenticator
	x        *xClient
	log      *slog.Logger
	worker   *worker
	sender   *sender
	watcher  *accountactivity.Watcher // nil without webhook management
	metrics  *metrics
	now      func() time.Time
}

// PostgreSQL connection pool settings of the service. The pool serves the
// inbox and outbox workers, the group commit of webhook deliveries and the
// API's requests; each transaction holds one connection. Connections are
// recycled after connMaxLifetime, so that a server restarted or failed over
// behind the same address is reached again, and idle ones are closed after
// connMaxIdleTime.
const (
	postgresMaxOpenConns    = 16
	postgresMaxIdleConns    = 16
	postgresConnMaxIdleTime = 5 * time.Minute
	postgresConnMaxLifetime = 30 * time.Minute
)

// openStore opens the database that databaseURL names, sqlite:PATH or a
// postgres:// or postgresql:// URL, and applies the migrations. Closing
// the returned store closes the database too. Errors never contain the
// URL, which may hold a password.
func openStore(ctx context.Context, databaseURL string, opts ...sqlstore.Option) (store.Store, error) {
	if isPostgresURL(databaseURL) {
		return openPostgres(ctx, databaseURL, opts...)
	}
	path, ok := strings.CutPrefix(databaseURL, "sqlite:")
	if !ok || path == "" {
		return nil, fmt.Errorf("unsupported MKTX__DATABASE_URL; use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
	}
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSNFull(path))
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	st, err := sqlstore.Open(ctx, db, opts...)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	return &ownedStore{Store: st, db: db}, nil
}

// isPostgresURL reports whether databaseURL selects PostgreSQL.
func isPostgresURL(databaseURL string) bool {
	return strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://")
}

// openPostgres opens a pool of connections to the PostgreSQL database at
// databaseURL through the pgx driver and applies the migrations.
func openPostgres(ctx context.Context, databaseURL string, opts ...sqlstore.Option) (store.Store, error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL database: %w", err)
	}
	db.SetMaxOpenConns(postgresMaxOpenConns)
	db.SetMaxIdleConns(postgresMaxIdleConns)
	db.SetConnMaxIdleTime(postgresConnMaxIdleTime)
	db.SetConnMaxLifetime(postgresConnMaxLifetime)
	st, err := sqlstore.Open(ctx, db, append([]sqlstore.Option{sqlstore.WithDialect(sqlstore.PostgreSQL)}, opts...)...)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open PostgreSQL database: %w", err)
	}
	return &ownedStore{Store: st, db: db}, nil
}

// ownedStore is a store together with the database it owns.
type ownedStore struct {
	*sqlstore.Store
	db *sql.DB
}

// Close flushes the store, then closes the database.
func (s *ownedStore) Close() error {
	return errors.Join(s.Store.Close(), s.db.Close())
}

// newServer assembles the service over an open store.
func newServer(settings Settings, st store.Store, log *slog.Logger) (*server, error) {
	sl, err := newSealer(settings.EncryptionKey)
	if err != nil {
		return nil, err
	}
	s := &server{
		settings: settings,
		store:    st,
		sealer:   sl,
		auth:     &authenticator{secret: settings.JWTSecret, now: time.Now},
		x:        newXClient(settings.APIBaseURL, settings.ConsumerKey, settings.ConsumerSecrets[0]),
		log:      log,
		now:      time.Now,
	}
	s.metrics = newMetrics()
	s.x.http.Transport = instrumentedTransport{base: http.DefaultTransport, metrics: s.metrics}
	s.worker = newWorker(s)
	s.sender = newSender(s)
	if s.watcher, err = s.newWebhookWatcher(); err != nil {
		return nil, err
	}
	if s.watcher != nil {
		s.metrics.setWebhookHealth(accountactivity.HealthUnknown)
	}
	return s, nil
}

// handler returns the service's HTTP routes.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	hook := &webhook.Handler{
		ConsumerSecrets: s.settings.ConsumerSecrets,
		Receiver:        webhook.ReceiverFunc(s.receiveDelivery),
		MaxBodyBytes:    s.settings.MaxBodyBytes,
		ErrorHandler:    s.webhookError,
		Now:             s.now,
		MaxInFlight:     maxInFlightDeliveries,
	}
	mux.Handle(apiBase+"/webhooks/twitter", s.countCRC(hook))
	mux.Handle(apiBase+"/webhooks/verify", methods{http.MethodGet: http.HandlerFunc(s.verifyCRC)})

	// Merchant routes: JWT authentication, then the per-merchant API rate
	// limit. The webhook, OAuth callback, health and metrics routes have
	// neither.
	apiLimit := newAPILimiter(s)
	authed := func(h http.HandlerFunc) http.Handler { return s.requireMerchant(apiLimit.wrap(h)) }
	mux.Handle(apiBase+"/accounts", methods{
		http.MethodGet:  authed(s.listAccounts),
		http.MethodPost: authed(s.connectAccount),
	})
	mux.Handle(apiBase+"/accounts/{id}", methods{
		http.MethodGet:    authed(s.getAccount),
		http.MethodDelete: authed(s.deleteAccount),
	})
	mux.Handle(apiBase+"/accounts/{id}/register-webhook", methods{http.MethodPost: authed(s.registerWebhook)})
	mux.Handle(apiBase+"/oauth/authorize", methods{http.MethodGet: authed(s.startOAuth)})
	mux.Handle(apiBase+"/oauth/callback", methods{http.MethodGet: http.HandlerFunc(s.finishOAuth)})
	mux.Handle(apiBase+"/conversations", methods{http.MethodGet: authed(s.listConversations)})
	mux.Handle(apiBase+"/conversations/{id}", methods{http.MethodGet: authed(s.getConversation)})
	mux.Handle(apiBase+"/conversations/{id}/messages", methods{
		http.MethodGet:  authed(s.listMessages),
		http.MethodPost: authed(s.sendMessage),
	})
	mux.Handle(apiBase+"/campaigns", methods{
		http.MethodGet:  authed(s.listCampaigns),
		http.MethodPost: authed(s.createCampaign),
	})
	mux.Handle(apiBase+"/campaigns/{id}", methods{http.MethodGet: authed(s.getCampaign)})
	mux.Handle(apiBase+"/campaigns/{id}/cancel", methods{http.MethodPost: authed(s.cancelCampaign)})

	mux.Handle("/healthz", methods{http.MethodGet: http.HandlerFunc(s.healthz)})
	mux.Handle("/readyz", methods{http.MethodGet: http.HandlerFunc(s.readyz)})
	mux.Handle("/metrics", methods{http.MethodGet: s.metrics.handler()})
	mux.HandleFunc("/", s.notFound)
	return mux
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	writeData(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "database_unavailable", "the database is not reachable")
		return
	}
	// The webhook's health is shown but does not make the service unready:
	// a replica taken out of rotation could not respond to X's CRC checks,
	// which would keep the webhook invalid.
	writeData(w, http.StatusOK, map[string]any{"status": "ready", "database": "ok", "webhook": s.webhookStatus()})
}

// serve runs the HTTP server and the inbox worker until ctx is cancelled,
// then shuts both down within the shutdown timeout.
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		outboxDone := make(chan struct{})
		go func() {
			defer close(outboxDone)
			s.sender.runOutbox(workerCtx)
		}()
		campaignsDone := make(chan struct{})
		go func() {
			defer close(campaignsDone)
			s.runCampaigns(workerCtx)
		}()
		watcherDone := make(chan struct{})
		go func() {
			defer close(watcherDone)
			s.runWatcher(workerCtx)
		}()
		s.worker.run(workerCtx)
		<-outboxDone
		<-campaignsDone
		<-watcherDone
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	s.log.Info("service started", "addr", ln.Addr().String(), "api_version", s.settings.APIVersion)

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	s.log.Info("service stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.settings.ShutdownTimeout)
	defer cancel()
	if e := srv.Shutdown(shutdownCtx); e != nil {
		s.log.Warn("HTTP shutdown did not finish in time", "err", e)
	}
	stopWorker()
	select {
	case <-workerDone:
	case <-shutdownCtx.Done():
		s.log.Warn("inbox and outbox workers did not stop in time")
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
