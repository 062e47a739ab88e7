package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template"
)

// migrationFiles are the schema versions in order. A file is named
// NNNN_description.sql, where NNNN is its version, and is a text/template
// over schemaTypes. An applied file must never change: add a new one.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int64
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations rendered for d, in version
// order.
func loadMigrations(d *sqlDialect) ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var list []migration
	for _, name := range names {
		m, err := loadMigration(d, name)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migration %s: %w", name, err)
		}
		list = append(list, m)
	}
	slices.SortFunc(list, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	for i, m := range list {
		if m.version != int64(i+1) {
			return nil, fmt.Errorf("sqlstore: migration %s has version %d, want %d", m.name, m.version, i+1)
		}
	}
	return list, nil
}

func loadMigration(d *sqlDialect, name string) (migration, error) {
	base := path.Base(name)
	prefix, _, ok := strings.Cut(base, "_")
	version, err := strconv.ParseInt(prefix, 10, 64)
	if !ok || err != nil {
		return migration{}, fmt.Errorf("name does not start with a version number and an underscore")
	}
	text, err := migrationFiles.ReadFile(name)
	if err != nil {
		return migration{}, err
	}
	tmpl, err := template.New(base).Option("missingkey=error").Parse(string(text))
	if err != nil {
		return migration{}, err
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, d.schema); err != nil {
		return migration{}, err
	}
	return migration{version: version, name: base, sql: b.String()}, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version BIGINT PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`

// migrate applies the migrations that db lacks, each in its own
// transaction, and records them in schema_migrations. It fails when db has
// a version that this package does not know, because a newer release
// changed the schema.
func migrate(ctx context.Context, db *sql.DB, d *sqlDialect, nowMillis int64) error {
	list, err := loadMigrations(d)
	if err != nil {
		return err
	}
	if err := createMigrations(ctx, db, d); err != nil {
		return fmt.Errorf("sqlstore: create schema_migrations: %w", err)
	}
	var newest sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&newest); err != nil {
		return fmt.Errorf("sqlstore: read schema version: %w", err)
	}
	if newest.Int64 > int64(len(list)) {
		return fmt.Errorf("sqlstore: database schema version %d is newer than this package's %d", newest.Int64, len(list))
	}
	for _, m := range list[newest.Int64:] {
		if err := applyMigration(ctx, db, d, m, nowMillis); err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// createMigrations creates the schema_migrations table unless it exists,
// under the migration lock. On PostgreSQL, two sessions that run CREATE
// TABLE IF NOT EXISTS at the same time can both try to create the table,
// and then one fails with a unique violation in the system catalog. The
// lock makes them take turns.
func createMigrations(ctx context.Context, db *sql.DB, d *sqlDialect) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	if d.migrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.migrationLock); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
		return err
	}
	return tx.Commit()
}

// applyMigration runs m unless another process applied it first. Its row in
// schema_migrations is inserted before the schema changes, so a process
// that starts at the same time waits for this transaction and then skips m.
func applyMigration(ctx context.Context, db *sql.DB, d *sqlDialect, m migration, nowMillis int64) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	if d.migrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.migrationLock); err != nil {
			return err
		}
	}
	res, err := tx.ExecContext(ctx, d.rebind(
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?) ON CONFLICT (version) DO NOTHING"),
		m.version, m.name, nowMillis)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // applied by another process, or the error
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	return tx.Commit()
}
