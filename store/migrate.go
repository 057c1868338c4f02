package store

import (
	"context"
	"fmt"
	"strings"
)

// Migration is one step of a package's schema. SQL is run as written on
// SQLite; on PostgreSQL, BLOB becomes BYTEA and INTEGER PRIMARY KEY stays
// as given (write BIGINT where values may pass 2³¹).
type Migration struct {
	Version int
	SQL     string
}

// Migrate brings a package's tables (named by component) up to date:
// every migration with a version above the recorded one runs, in order,
// in one transaction.
func (db *DB) Migrate(ctx context.Context, component string, steps []Migration) error {
	return db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?`, component).Scan(&current); err != nil {
			return fmt.Errorf("migrate %s: %w", component, err)
		}
		for _, m := range steps {
			if m.Version <= current {
				continue
			}
			for _, stmt := range strings.Split(db.dialectSQL(m.SQL), ";") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("migrate %s to %d: %w", component, m.Version, err)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (component, version) VALUES (?, ?)`, component, m.Version); err != nil {
				return fmt.Errorf("migrate %s: %w", component, err)
			}
		}
		return nil
	})
}

// dialectSQL adapts schema SQL to the dialect.
func (db *DB) dialectSQL(s string) string {
	if db.dialect == Postgres {
		return strings.ReplaceAll(s, "BLOB", "BYTEA")
	}
	return s
}
