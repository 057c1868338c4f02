// Package storetest opens fresh stores for tests: a SQLite file and, when
// a PostgreSQL server is reachable, a schema of its own on it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poisonguard/poisonguard/store"
)

// PostgresEnv names the variable holding the PostgreSQL URL for tests.
// When it is set the server must be reachable; when it is not, the
// default local server is tried and the PostgreSQL cases are skipped if
// it does not answer.
const PostgresEnv = "POISONGUARD_TEST_POSTGRES"

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Backend is a named DSN for a fresh, empty store.
type Backend struct {
	Name string
	DSN  string
}

// Backends returns a fresh SQLite store and, when available, a fresh
// PostgreSQL schema; both are removed when the test ends.
func Backends(t testing.TB) []Backend {
	t.Helper()
	out := []Backend{{Name: "sqlite", DSN: "sqlite:" + filepath.Join(t.TempDir(), "store.db")}}
	if dsn, ok := postgres(t); ok {
		out = append(out, Backend{Name: "postgres", DSN: dsn})
	}
	return out
}

// Open opens a backend's store, closed when the test ends.
func Open(t testing.TB, b Backend) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// postgres makes a schema of its own on the test server and returns a
// DSN whose search_path is that schema.
func postgres(t testing.TB) (string, bool) {
	base, required := os.LookupEnv(PostgresEnv)
	if !required {
		base = defaultPostgres
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if required {
			t.Fatalf("%s=%s: %v", PostgresEnv, base, err)
		}
		t.Logf("PostgreSQL cases skipped: %v (set %s to require them)", err, PostgresEnv)
		return "", false
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, true
}
