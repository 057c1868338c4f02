package ledger_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"github.com/poisonguard/poisonguard/ledger"
	"github.com/poisonguard/poisonguard/store"
)

// Example appends a record, signs a checkpoint and verifies the entry's
// inclusion proof offline.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ledger")
	defer os.RemoveAll(dir)
	db, _ := store.Open(ctx, "sqlite:"+filepath.Join(dir, "store.db"))
	defer db.Close()

	skey, vkey, _ := ledger.Init(ctx, db, "example.com/ml-ledger", rand.Reader)
	log, _ := ledger.Open(ctx, db, ledger.Options{SignerKey: skey})
	incident := `{"title":"trigger found in batch 12","severity":"high","time":"2026-11-26T09:00:00Z"}`
	entries, _ := log.Append(ctx, ledger.Record{Kind: ledger.KindIncident, Body: []byte(incident)})
	cp, _ := log.Checkpoint(ctx)

	proof, _ := log.Prove(ctx, entries[0].Index, 0)
	trusted, _ := ledger.ParseCheckpoint(cp.Note, vkey)
	fmt.Println(entries[0].Index, cp.Size, ledger.VerifyInclusion(proof, trusted))
	// Output: 0 1 <nil>
}
