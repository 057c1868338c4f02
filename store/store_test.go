package store_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/poisonguard/poisonguard/store"
	"github.com/poisonguard/poisonguard/store/storetest"
)

func TestMigrateAndTx(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, b)
			steps := []store.Migration{{1, `CREATE TABLE things (id BIGINT PRIMARY KEY, data BLOB NOT NULL)`}}
			for range 2 { // idempotent
				if err := db.Migrate(ctx, "test", steps); err != nil {
					t.Fatal(err)
				}
			}
			steps = append(steps, store.Migration{2, `ALTER TABLE things ADD COLUMN note TEXT`})
			if err := db.Migrate(ctx, "test", steps); err != nil {
				t.Fatal(err)
			}
			// A failing transaction leaves nothing behind.
			err := db.Tx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO things (id, data, note) VALUES (?, ?, ?)`, 1, []byte{1}, "x"); err != nil {
					return err
				}
				return errors.New("boom")
			})
			if err == nil {
				t.Fatal("the failing transaction succeeded")
			}
			// Concurrent read-modify-write under the write lock never loses an update.
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					for range 10 {
						err := db.Tx(ctx, func(tx *store.Tx) error {
							var n int64
							if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(id) + 1, 0) FROM things`).Scan(&n); err != nil {
								return err
							}
							_, err := tx.Exec(ctx, `INSERT INTO things (id, data) VALUES (?, ?)`, n, []byte{byte(w)})
							return err
						})
						if err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			var n int
			db.QueryRow(ctx, `SELECT COUNT(*) FROM things`).Scan(&n)
			if n != 80 {
				t.Fatalf("%d rows, want 80", n)
			}
		})
	}
}

func TestBlobs(t *testing.T) {
	b, err := store.NewBlobs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, n, err := b.Put(strings.NewReader("hello"))
	if err != nil || n != 5 || d != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Fatalf("put: %s %d %v", d, n, err)
	}
	if _, _, err := b.Put(strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	f, err := b.Open(d)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(f)
	f.Close()
	if string(data) != "hello" || !b.Has(d) {
		t.Fatalf("read back %q", data)
	}
	if _, err := b.Open(strings.Repeat("0", 64)); !errors.Is(err, store.ErrBlobNotFound) {
		t.Fatalf("missing blob: %v", err)
	}
	if _, err := b.Open("../../etc/passwd"); err == nil {
		t.Fatal("a path as a digest was accepted")
	}
}
