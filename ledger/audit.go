package ledger

import (
	"bytes"
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// AuditResult is what Audit found. FirstBad is -1 when the log verified.
type AuditResult struct {
	Entries     int64  `json:"entries"`
	Checkpoints int    `json:"checkpoints"`
	FirstBad    int64  `json:"first_bad_index"`
	Problem     string `json:"problem,omitempty"`
}

// OK reports whether the log verified.
func (r *AuditResult) OK() bool { return r.FirstBad < 0 }

// memHashes is the recomputed tree: stored hashes by stored-hash index.
type memHashes []tlog.Hash

func (m *memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, id := range indexes {
		if id >= int64(len(*m)) {
			return nil, fmt.Errorf("hash %d not computed", id)
		}
		out[i] = (*m)[id]
	}
	return out, nil
}

// Audit recomputes the whole tree from the stored entries and checks it
// against the stored hashes and every signed checkpoint. It names the
// first index that was changed, dropped, moved or inserted: an entry whose
// recorded index is not its position, a gap, an entry whose hash differs
// from the stored tree, or a tree that no longer matches a checkpoint the
// log signed.
func (l *Log) Audit(ctx context.Context) (*AuditResult, error) {
	res := &AuditResult{FirstBad: -1}
	tree := memHashes{}
	bad := func(i int64, format string, args ...any) (*AuditResult, error) {
		res.FirstBad, res.Problem = i, fmt.Sprintf(format, args...)
		return res, nil
	}
	rows, err := l.db.Query(ctx, `SELECT idx, leaf FROM ledger_entries ORDER BY idx`)
	if err != nil {
		return nil, err
	}
	var expected int64
	for rows.Next() {
		var idx int64
		var leaf []byte
		if err := rows.Scan(&idx, &leaf); err != nil {
			rows.Close()
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			rows.Close()
			return nil, err
		}
		if idx != expected {
			rows.Close()
			return bad(expected, "entry %d is missing (dropped): the next stored entry is %d", expected, idx)
		}
		e, err := parseLeaf(leaf)
		if err != nil {
			rows.Close()
			return bad(idx, "entry %d does not decode: %v", idx, err)
		}
		if e.Index != idx {
			rows.Close()
			return bad(idx, "entry at position %d says it is entry %d (moved or inserted)", idx, e.Index)
		}
		hashes, err := tlog.StoredHashes(idx, leaf, &tree)
		if err != nil {
			rows.Close()
			return nil, err
		}
		tree = append(tree, hashes...)
		expected++
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	res.Entries = expected
	if first, err := l.compareStored(ctx, tree); err != nil {
		return nil, err
	} else if first >= 0 {
		return bad(first, "entry %d does not match the stored tree (changed)", first)
	}
	return l.checkCheckpoints(ctx, res, &tree)
}

// compareStored compares the recomputed hashes with the stored ones and
// returns the first entry index affected by a difference, or -1.
func (l *Log) compareStored(ctx context.Context, tree memHashes) (int64, error) {
	rows, err := l.db.Query(ctx, `SELECT id, hash FROM ledger_hashes ORDER BY id`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	// A changed entry changes its leaf hash and every ancestor's; the leaf
	// names the entry, so leaf-level differences come first.
	firstLeaf, firstNode := int64(-1), int64(-1)
	note := func(id int64) {
		level, n := tlog.SplitStoredHashIndex(id)
		first := &firstNode
		if level == 0 {
			first = &firstLeaf
		}
		if i := n << level; *first < 0 || i < *first {
			*first = i
		}
	}
	var next int64
	for rows.Next() {
		var id int64
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			return 0, err
		}
		for ; next < id && next < int64(len(tree)); next++ {
			note(next) // a stored hash is missing
		}
		if id >= int64(len(tree)) || !bytes.Equal(h, tree[id][:]) {
			note(id)
		}
		next = id + 1
	}
	for ; next < int64(len(tree)); next++ {
		note(next)
	}
	if firstLeaf >= 0 {
		return firstLeaf, rows.Err()
	}
	return firstNode, rows.Err()
}

// checkCheckpoints checks every stored checkpoint's signature and that the
// recomputed tree of its size has its root.
func (l *Log) checkCheckpoints(ctx context.Context, res *AuditResult, tree *memHashes) (*AuditResult, error) {
	rows, err := l.db.Query(ctx, `SELECT size, note FROM ledger_checkpoints ORDER BY size`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var size int64
		var text string
		if err := rows.Scan(&size, &text); err != nil {
			return nil, err
		}
		cp, err := l.parse([]byte(text))
		if err != nil || cp.Size != size {
			res.FirstBad, res.Problem = min(size, res.Entries), fmt.Sprintf("the checkpoint stored for size %d is not signed by the log: %v", size, err)
			return res, nil
		}
		if size > res.Entries {
			res.FirstBad, res.Problem = res.Entries, fmt.Sprintf("the log signed %d entries but holds %d (entries dropped)", size, res.Entries)
			return res, nil
		}
		root, err := tlog.TreeHash(size, tree)
		if err != nil {
			return nil, err
		}
		if root != cp.Root {
			res.FirstBad, res.Problem = 0, fmt.Sprintf("the first %d entries no longer hash to the root the log signed at that size (entries and stored hashes rewritten together)", size)
			return res, nil
		}
		res.Checkpoints++
	}
	return res, rows.Err()
}
