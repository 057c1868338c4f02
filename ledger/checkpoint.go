package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/poisonguard/poisonguard/store"
)

// ErrCheckpoint reports a checkpoint that is not a valid signed note of
// this log.
var ErrCheckpoint = errors.New("invalid checkpoint")

// ErrNoSigner reports a checkpoint asked of a log opened without its key.
var ErrNoSigner = errors.New("the ledger's signer key is needed to sign a checkpoint")

// Checkpoint is a signed statement of the log's size and root hash, in the
// C2SP tlog-checkpoint format.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Note   []byte // the signed note, as written to a file
}

// body is the note text: origin, size, base64 root, each on a line.
func checkpointText(origin string, size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// Checkpoint signs the log's current size and root, stores the checkpoint
// and returns it. Signing the same size twice returns the stored one.
func (l *Log) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	if l.signer == nil {
		return nil, ErrNoSigner
	}
	var cp *Checkpoint
	err := l.db.Tx(ctx, func(tx *store.Tx) error {
		n, err := size(ctx, tx)
		if err != nil {
			return err
		}
		var existing string
		err = tx.QueryRow(ctx, `SELECT note FROM ledger_checkpoints WHERE size = ?`, n).Scan(&existing)
		if err == nil {
			cp, err = l.parse([]byte(existing))
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		root, err := tlog.TreeHash(n, &pendingReader{ctx: ctx, q: tx})
		if err != nil {
			return err
		}
		signed, err := note.Sign(&note.Note{Text: checkpointText(l.origin, n, root)}, l.signer)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ledger_checkpoints (size, note, created) VALUES (?, ?, ?)`, n, string(signed), store.Now(l.clock)); err != nil {
			return err
		}
		cp = &Checkpoint{Origin: l.origin, Size: n, Root: root, Note: signed}
		return nil
	})
	return cp, err
}

// LatestCheckpoint returns the checkpoint of the largest size signed.
func (l *Log) LatestCheckpoint(ctx context.Context) (*Checkpoint, error) {
	var text string
	err := l.db.QueryRow(ctx, `SELECT note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: none signed yet (run: poisonguard ledger checkpoint)", ErrCheckpoint)
	}
	if err != nil {
		return nil, err
	}
	return l.parse([]byte(text))
}

func (l *Log) parse(b []byte) (*Checkpoint, error) {
	return parseCheckpoint(b, l.verifier)
}

// ParseCheckpoint verifies a signed checkpoint with the log's public note
// key and decodes it.
func ParseCheckpoint(b []byte, vkey string) (*Checkpoint, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("log key: %w", err)
	}
	return parseCheckpoint(b, v)
}

func parseCheckpoint(b []byte, v note.Verifier) (*Checkpoint, error) {
	if len(b) > 1<<16 {
		return nil, fmt.Errorf("%w: %d bytes", ErrCheckpoint, len(b))
	}
	n, err := note.Open(b, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return nil, fmt.Errorf("%w: want origin, size and root lines", ErrCheckpoint)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || (len(lines[1]) > 1 && lines[1][0] == '0') {
		return nil, fmt.Errorf("%w: size %q", ErrCheckpoint, lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return nil, fmt.Errorf("%w: root hash %q", ErrCheckpoint, lines[2])
	}
	if lines[0] != v.Name() {
		return nil, fmt.Errorf("%w: origin %q is not the key's name %q", ErrCheckpoint, lines[0], v.Name())
	}
	return &Checkpoint{Origin: lines[0], Size: size, Root: tlog.Hash(raw), Note: bytes.Clone(b)}, nil
}

// checkpointAt returns the stored checkpoint of exactly this size.
func (l *Log) checkpointAt(ctx context.Context, size int64) (*Checkpoint, error) {
	var text string
	err := l.db.QueryRow(ctx, `SELECT note FROM ledger_checkpoints WHERE size = ?`, size).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: none signed at size %d", ErrCheckpoint, size)
	}
	if err != nil {
		return nil, err
	}
	return l.parse([]byte(text))
}
