package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/poisonguard/poisonguard/store"
)

var migrations = []store.Migration{{Version: 1, SQL: `
CREATE TABLE ledger_entries (idx BIGINT PRIMARY KEY, kind TEXT NOT NULL, created TEXT NOT NULL, leaf BLOB NOT NULL);
CREATE TABLE ledger_hashes (id BIGINT PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE ledger_checkpoints (size BIGINT PRIMARY KEY, note TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE ledger_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)`}}

// Errors of the log.
var (
	// ErrNotInitialised reports a store with no ledger: run ledger init.
	ErrNotInitialised = errors.New("no ledger in this store (run: poisonguard ledger init)")
	// ErrNoEntry reports an index beyond the log.
	ErrNoEntry = errors.New("no such entry")
)

// Log is the ledger in a store.
type Log struct {
	db       *store.DB
	origin   string
	verifier note.Verifier
	signer   note.Signer // nil: the log can append but not sign checkpoints
	clock    func() time.Time
}

// Options open a log.
type Options struct {
	// SignerKey is the log's private note key (from Init); without it the
	// log appends and proves but cannot sign checkpoints.
	SignerKey string
	Clock     func() time.Time
}

// Init creates the ledger tables and the log's identity in the store: an
// Ed25519 note key named origin (a schema-less URL such as
// "example.com/poisonguard"). It returns the private signer key, which the
// caller keeps secret, and the public verifier key.
func Init(ctx context.Context, db *store.DB, origin string, rand interface{ Read([]byte) (int, error) }) (skey, vkey string, err error) {
	if origin == "" || strings.ContainsAny(origin, " \n+") {
		return "", "", fmt.Errorf("log origin %q must be non-empty, without spaces, newlines or '+'", origin)
	}
	if err := db.Migrate(ctx, "ledger", migrations); err != nil {
		return "", "", err
	}
	skey, vkey, err = note.GenerateKey(rand, origin)
	if err != nil {
		return "", "", err
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM ledger_meta WHERE name = 'vkey'`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errors.New("this store already holds a ledger")
		}
		for name, v := range map[string]string{"origin": origin, "vkey": vkey} {
			if _, err := tx.Exec(ctx, `INSERT INTO ledger_meta (name, value) VALUES (?, ?)`, name, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	return skey, vkey, nil
}

// Open opens the ledger of a store.
func Open(ctx context.Context, db *store.DB, o Options) (*Log, error) {
	if err := db.Migrate(ctx, "ledger", migrations); err != nil {
		return nil, err
	}
	var vkey, origin string
	err := db.QueryRow(ctx, `SELECT value FROM ledger_meta WHERE name = 'vkey'`).Scan(&vkey)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotInitialised
	}
	if err != nil {
		return nil, err
	}
	if err := db.QueryRow(ctx, `SELECT value FROM ledger_meta WHERE name = 'origin'`).Scan(&origin); err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("ledger verifier key: %w", err)
	}
	l := &Log{db: db, origin: origin, verifier: v, clock: o.Clock}
	if l.clock == nil {
		l.clock = time.Now
	}
	if o.SignerKey != "" {
		s, err := note.NewSigner(strings.TrimSpace(o.SignerKey))
		if err != nil {
			return nil, fmt.Errorf("ledger signer key: %w", err)
		}
		if s.KeyHash() != v.KeyHash() || s.Name() != v.Name() {
			return nil, errors.New("the signer key is not this ledger's key")
		}
		l.signer = s
	}
	return l, nil
}

// Origin is the log's name, the first line of its checkpoints.
func (l *Log) Origin() string { return l.origin }

// VerifierKey is the log's public note key.
func (l *Log) VerifierKey(ctx context.Context) (string, error) {
	var vkey string
	err := l.db.QueryRow(ctx, `SELECT value FROM ledger_meta WHERE name = 'vkey'`).Scan(&vkey)
	return vkey, err
}

// Size is the number of entries.
func (l *Log) Size(ctx context.Context) (int64, error) { return size(ctx, l.db) }

func size(ctx context.Context, q store.Querier) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries`).Scan(&n)
	return n, err
}

// Record is a record to append.
type Record struct {
	Kind string
	Body []byte
}

// Append validates and appends records in one transaction and returns
// their entries, indexes assigned.
func (l *Log) Append(ctx context.Context, recs ...Record) ([]Entry, error) {
	var out []Entry
	err := l.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = l.AppendTx(ctx, tx, recs...)
		return err
	})
	return out, err
}

// AppendTx appends within the caller's transaction, so that a record and
// the state change it describes commit together.
func (l *Log) AppendTx(ctx context.Context, tx *store.Tx, recs ...Record) ([]Entry, error) {
	n, err := size(ctx, tx)
	if err != nil {
		return nil, err
	}
	r := &pendingReader{ctx: ctx, q: tx, pending: map[int64]tlog.Hash{}}
	now := store.Now(l.clock)
	out := make([]Entry, len(recs))
	for i, rec := range recs {
		if err := Validate(rec.Kind, rec.Body); err != nil {
			return nil, err
		}
		var body bytes.Buffer
		if err := json.Compact(&body, rec.Body); err != nil {
			return nil, err
		}
		e := Entry{Index: n + int64(i), Kind: rec.Kind, Time: now, Body: body.Bytes()}
		leaf, err := e.Leaf()
		if err != nil {
			return nil, err
		}
		hashes, err := tlog.StoredHashes(e.Index, leaf, r)
		if err != nil {
			return nil, err
		}
		base := tlog.StoredHashIndex(0, e.Index)
		for j, h := range hashes {
			r.pending[base+int64(j)] = h
			if _, err := tx.Exec(ctx, `INSERT INTO ledger_hashes (id, hash) VALUES (?, ?)`, base+int64(j), h[:]); err != nil {
				return nil, err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ledger_entries (idx, kind, created, leaf) VALUES (?, ?, ?, ?)`, e.Index, e.Kind, e.Time, leaf); err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// pendingReader reads stored hashes from the database, or from the
// hashes of the current batch not yet visible there.
type pendingReader struct {
	ctx     context.Context
	q       store.Querier
	pending map[int64]tlog.Hash
}

func (r *pendingReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for i, id := range indexes {
		if h, ok := r.pending[id]; ok {
			out[i] = h
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	found, err := readHashes(r.ctx, r.q, missing)
	if err != nil {
		return nil, err
	}
	for i, id := range indexes {
		if _, ok := r.pending[id]; ok {
			continue
		}
		h, ok := found[id]
		if !ok {
			return nil, fmt.Errorf("stored hash %d is missing", id)
		}
		out[i] = h
	}
	return out, nil
}

// readHashes fetches stored hashes by id.
func readHashes(ctx context.Context, q store.Querier, ids []int64) (map[int64]tlog.Hash, error) {
	out := make(map[int64]tlog.Hash, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := q.Query(ctx, `SELECT id, hash FROM ledger_hashes WHERE id IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var b []byte
			if err := rows.Scan(&id, &b); err != nil {
				rows.Close()
				return nil, err
			}
			if len(b) != tlog.HashSize {
				rows.Close()
				return nil, fmt.Errorf("stored hash %d has %d bytes", id, len(b))
			}
			out[id] = tlog.Hash(b)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Entry reads one entry.
func (l *Log) Entry(ctx context.Context, index int64) (Entry, []byte, error) {
	var leaf []byte
	err := l.db.QueryRow(ctx, `SELECT leaf FROM ledger_entries WHERE idx = ?`, index).Scan(&leaf)
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, nil, fmt.Errorf("%w: index %d", ErrNoEntry, index)
	}
	if err != nil {
		return Entry{}, nil, err
	}
	e, err := parseLeaf(leaf)
	return e, leaf, err
}

// Entries reads entries [from, to) in order.
func (l *Log) Entries(ctx context.Context, from, to int64, fn func(Entry) error) error {
	rows, err := l.db.Query(ctx, `SELECT leaf FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx`, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var leaf []byte
		if err := rows.Scan(&leaf); err != nil {
			return err
		}
		e, err := parseLeaf(leaf)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
