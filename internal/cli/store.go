package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poisonguard/poisonguard/ledger"
	"github.com/poisonguard/poisonguard/store"
)

// storeFlags are the flags of every command that keeps state.
type storeFlags struct {
	dsn     string // --store
	logKey  string // --log-key: the ledger's private signer key
	dataDir string // where the embedded store, keys and blobs live
}

func (s *storeFlags) register(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&s.dsn, "store", "", "store: sqlite:PATH or postgres://... (default: a SQLite file in $XDG_DATA_HOME/poisonguard)")
	pf.StringVar(&s.logKey, "log-key", "", "the ledger's private signer key (default: ledger.key beside a SQLite store, else in the data directory)")
}

// resolve fills in the defaults: the embedded SQLite store and the data
// directory its keys and blobs share.
func (s *storeFlags) resolve() error {
	if s.dsn == "" {
		d, err := store.DefaultDSN()
		if err != nil {
			return err
		}
		s.dsn = d
	}
	if strings.HasPrefix(s.dsn, "postgres://") || strings.HasPrefix(s.dsn, "postgresql://") {
		d, err := store.DefaultDSN()
		if err != nil {
			return err
		}
		s.dataDir = filepath.Dir(strings.TrimPrefix(d, "sqlite:"))
	} else {
		s.dataDir = filepath.Dir(strings.TrimPrefix(s.dsn, "sqlite:"))
	}
	if s.logKey == "" {
		s.logKey = filepath.Join(s.dataDir, "ledger.key")
	}
	return nil
}

// open opens the store.
func (s *storeFlags) open(ctx context.Context) (*store.DB, error) {
	if err := s.resolve(); err != nil {
		return nil, err
	}
	return store.Open(ctx, s.dsn)
}

// openLedger opens the store and its ledger, with the signer key when the
// key file exists (needed to sign checkpoints).
func (s *storeFlags) openLedger(ctx context.Context) (*store.DB, *ledger.Log, error) {
	db, err := s.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	var skey string
	if b, err := os.ReadFile(s.logKey); err == nil {
		skey = string(b)
	} else if !os.IsNotExist(err) {
		db.Close()
		return nil, nil, err
	}
	l, err := ledger.Open(ctx, db, ledger.Options{SignerKey: skey})
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("%s: %w", db, err)
	}
	return db, l, nil
}

// withLedger runs fn with the store's ledger open, and closes the store.
func (s *storeFlags) withLedger(ctx context.Context, fn func(*ledger.Log) error) error {
	db, l, err := s.openLedger(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(l)
}
