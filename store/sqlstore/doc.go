// Package sqlstore implements store.Store over database/sql.
//
// The package imports no driver: the program imports one and passes the
// opened *sql.DB to Open, which applies the embedded schema migrations
// that the database lacks and starts the goroutine that commits Enqueue
// calls. SQLite and PostgreSQL are supported. Open detects which one from
// the driver's package, and WithDialect names the database for a driver
// it does not know. The SQL is kept to what the two share, one set of
// migrations serves both, and the few differences live in one type.
//
// # SQLite
//
// With the pure-Go driver modernc.org/sqlite, open the database with the
// data source name that SQLiteDSN returns:
//
//	import _ "modernc.org/sqlite"
//
//	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN("mktx.db"))
//	...
//	db.SetMaxOpenConns(8)
//	db.SetMaxIdleConns(8) // keep connections: each new one runs the pragmas again
//	s, err := sqlstore.Open(ctx, db)
//
// SQLite runs one write transaction at a time per database. The store
// therefore queues its own write transactions in Go and never has two
// in progress, and extra connections serve only reads, which in WAL mode
// run alongside the writer. A small pool, about the number of goroutines
// that read at once, is enough. An in-memory database (":memory:") is
// private to one connection, so use a file; a file in a temporary folder
// serves tests.
//
// # PostgreSQL
//
// With the driver github.com/jackc/pgx/v5/stdlib, open the database with a
// URL, and size the pool for the goroutines that use the store at once:
//
//	import _ "github.com/jackc/pgx/v5/stdlib"
//
//	db, err := sql.Open("pgx", "postgres://mktx:PASSWORD@db.internal:5432/mktx?sslmode=verify-full")
//	...
//	db.SetMaxOpenConns(16)
//	db.SetMaxIdleConns(16)
//	db.SetConnMaxLifetime(30 * time.Minute)
//	s, err := sqlstore.Open(ctx, db)
//
// The tables go into the first schema of the connection's search_path;
// the URL parameter search_path=NAME selects another. Several processes,
// such as the replicas of a service, can share one database:
//
//   - Open takes a transaction-level advisory lock (pg_advisory_xact_lock)
//     for each migration, so replicas that start together apply each
//     migration once.
//   - Write transactions run concurrently at PostgreSQL's default
//     isolation level, READ COMMITTED. Claim and ClaimOutbox select their
//     rows with FOR UPDATE SKIP LOCKED, so concurrent claimers, in one
//     process or several, take different rows without waiting for each
//     other. A claim's lease is a time in the row, so the rows of a
//     replica that died are claimed again once their leases expire.
//   - A transaction that changes an account's conversations, messages or
//     outbox rows first locks the account's row (SELECT ... FOR NO KEY
//     UPDATE), so such transactions of one account take turns, and
//     transactions of different accounts run in parallel.
//   - ReserveSend locks its key's row in send_quota_keys, so the send
//     limits of a key hold across every replica.
//   - StartRecipients, ApplyOptOut and CancelCampaign lock the account's
//     row as well, so a campaign recipient's DM is queued once and the
//     daily contacts limit holds across every replica.
//   - When PostgreSQL aborts a transaction for a deadlock or a
//     serialization failure (SQLSTATE 40P01 or 40001), the store runs it
//     again, up to five times in all.
//
// Group commit works as on SQLite: one goroutine per store commits the
// queued deliveries in batches. Each replica has its own, and batches of
// different replicas commit in parallel. A batch stores its rows with one
// multi-row INSERT per table, so it costs a few round trips to the server
// whatever its size. On a 2-vCPU machine with the server on the same host,
// batching gave about twelve times the Enqueue throughput of one
// transaction per delivery, because a batch also shares one commit and its
// write-ahead log flush. BenchmarkPostgresEnqueueParallel measures both.
//
// # Ids, times and ordering
//
// Ids are integer primary keys, returned as decimal strings, and never
// reused. Times are stored as integer Unix milliseconds in UTC. Messages
// with the same creation time are ordered by their X event id compared as a
// number (by length, then byte by byte), then by id. An outbound DM that is
// not sent yet has a NULL event id, which sorts as the empty string, below
// every event id. An index on created_at serves this order up to the ties.
//
// # Group commit
//
// Enqueue returns only after its delivery is committed. Committing every
// delivery in its own transaction would bound the rate by the cost of one
// commit, so concurrent Enqueue calls are gathered into one transaction:
// a single goroutine takes the queued deliveries, up to 256 of them or 8 MiB
// of bodies (see WithMaxBatch), stores them, commits, and then answers each
// caller with its own result. An error fails every caller of that batch and
// no other, and none of that batch's rows are stored. A caller whose
// context ends while it waits gets the context's error at once; its
// delivery is skipped if the batch was not yet taken, and may be committed
// otherwise.
//
// # Durability
//
// What survives depends on the SQLite settings; SQLiteDSN selects WAL mode
// with synchronous=NORMAL. The statements below follow the SQLite
// documentation of PRAGMA synchronous and of write-ahead logging.
//
//   - A process crash, such as a panic or SIGKILL, loses nothing that
//     Enqueue or another method returned success for. A committed
//     transaction is in the WAL file, in the operating system's cache if not
//     on disk, and the next connection recovers it. SQLite states that
//     transactions are durable across application crashes whatever the
//     synchronous setting.
//   - A power loss or operating system crash, with synchronous=NORMAL in WAL
//     mode, leaves a consistent database, but the transactions committed
//     since the WAL was last synced may roll back. In that mode a commit
//     does not sync the WAL, which is synced only before each checkpoint.
//     SQLite checkpoints by default when the WAL reaches 1000 pages.
//     Deliveries lost that way were already acknowledged, so X does not
//     retry them; only a replay of the last 24 hours brings them back.
//   - With synchronous=FULL (open the database with SQLiteDSNFull), SQLite
//     syncs the WAL at every commit, so every committed transaction
//     survives a power loss as far as the storage honours the sync. Group commit shares one sync among the deliveries of a batch,
//     which keeps the cost moderate; BenchmarkEnqueueParallel measures both
//     settings.
package sqlstore
