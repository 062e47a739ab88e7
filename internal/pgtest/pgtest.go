// Package pgtest gives tests a PostgreSQL schema of their own. It needs a
// server whose URL is in XACTIVITY_TEST_POSTGRES_URL, and the test binary
// must register the pgx driver:
//
//	import _ "github.com/jackc/pgx/v5/stdlib"
//
// Tests that call URL are skipped when the variable is unset, so that
// `go test ./...` passes on a machine without PostgreSQL.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"
)

// EnvURL is the environment variable that holds the URL of the PostgreSQL
// database that tests use, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvURL = "XACTIVITY_TEST_POSTGRES_URL"

// URL returns the database URL in EnvURL, and skips the test when the
// variable is unset or empty.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		t.Skip(EnvURL + " is not set; set it to a PostgreSQL URL, such as " +
			"postgres://postgres@127.0.0.1:5432/test?sslmode=disable, to run the PostgreSQL tests")
	}
	return u
}

// NewSchema creates a schema with a random name in the database at
// baseURL, and returns baseURL with search_path set to that schema, so
// that every connection opened with it creates and finds its tables there.
// The schema is dropped with everything in it when the test ends.
func NewSchema(t testing.TB, baseURL string) string {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvURL, err) // the URL may hold a password, so it is not printed
	}
	var random [8]byte
	if _, err := rand.Read(random[:]); err != nil {
		t.Fatal(err)
	}
	schema := "test_" + hex.EncodeToString(random[:])

	admin, err := sql.Open("pgx", baseURL)
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The name is letters, digits and underscores, so it needs no quoting.
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() { dropSchema(t, baseURL, schema) })

	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// dropSchema drops the schema and everything in it.
func dropSchema(t testing.TB, baseURL, schema string) {
	admin, err := sql.Open("pgx", baseURL)
	if err != nil {
		t.Errorf("open PostgreSQL: %v", err)
		return
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}
