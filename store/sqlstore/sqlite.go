package sqlstore

import "strings"

// SQLiteDSN returns the data source name to open the SQLite database file
// at path with the driver modernc.org/sqlite (driver name "sqlite"):
//
//	file:PATH?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate
//
// The driver runs the pragmas on every new connection:
//
//   - busy_timeout(5000): a connection waits up to 5 s for a lock held by
//     another connection or process before it fails with SQLITE_BUSY.
//   - journal_mode(WAL): readers do not block the writer or each other.
//   - synchronous(NORMAL): a commit does not wait for fsync; see the
//     package documentation for what that means after a power loss.
//     SQLiteDSNFull selects synchronous(FULL) instead.
//   - foreign_keys(1): the schema's REFERENCES clauses are enforced.
//
// _txlock=immediate makes the driver start transactions with BEGIN
// IMMEDIATE, so a transaction takes the write lock when it begins. A
// transaction that only takes it at its first write can fail at once with
// SQLITE_BUSY instead of waiting, when another process committed since the
// transaction started reading.
//
// The characters %, ? and # in path are escaped as the URI form of the
// name requires. A relative path is relative to the working directory.
func SQLiteDSN(path string) string {
	return sqliteDSN(path, "NORMAL")
}

// SQLiteDSNFull returns the data source name that SQLiteDSN returns, with
// synchronous(FULL) in place of synchronous(NORMAL). In WAL mode every
// commit then waits until the WAL file is synced to storage (fsync). A
// transaction that committed therefore survives a power loss or an
// operating system crash too, not only a process crash, as far as the
// storage honours the sync. Each commit costs one sync, and group commit
// shares it among the deliveries that Enqueue commits together.
func SQLiteDSNFull(path string) string {
	return sqliteDSN(path, "FULL")
}

// sqliteDSN returns the data source name of SQLiteDSN with the given
// synchronous level.
func sqliteDSN(path, synchronous string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + escaped +
		"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + synchronous + ")" +
		"&_pragma=foreign_keys(1)&_txlock=immediate"
}
