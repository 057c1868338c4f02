package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"
)

// ProofFormat names the proof files written.
const ProofFormat = "poisonguard.ledger-proof/v1"

// ErrProof reports an inclusion or consistency proof that does not verify.
var ErrProof = errors.New("proof does not verify")

// InclusionProof shows that one entry is in the tree a checkpoint signs.
// It verifies offline: the entry's bytes, the audit path and the signed
// checkpoint are all inside.
type InclusionProof struct {
	Format     string   `json:"format"`
	Index      int64    `json:"index"`
	TreeSize   int64    `json:"tree_size"`
	Leaf       []byte   `json:"leaf"` // the exact entry bytes hashed into the tree
	Hashes     [][]byte `json:"hashes"`
	Checkpoint string   `json:"checkpoint"` // the signed note
}

// Entry decodes the proven entry.
func (p *InclusionProof) Entry() (Entry, error) { return parseLeaf(p.Leaf) }

// Prove builds the inclusion proof of an entry in the tree of a signed
// checkpoint: the latest one when size is 0, else the one of that size.
func (l *Log) Prove(ctx context.Context, index, size int64) (*InclusionProof, error) {
	var cp *Checkpoint
	var err error
	if size == 0 {
		cp, err = l.LatestCheckpoint(ctx)
	} else {
		cp, err = l.checkpointAt(ctx, size)
	}
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= cp.Size {
		return nil, fmt.Errorf("%w: index %d is not in the checkpoint of size %d (sign a newer one: poisonguard ledger checkpoint)", ErrNoEntry, index, cp.Size)
	}
	_, leaf, err := l.Entry(ctx, index)
	if err != nil {
		return nil, err
	}
	p, err := tlog.ProveRecord(cp.Size, index, &pendingReader{ctx: ctx, q: l.db})
	if err != nil {
		return nil, err
	}
	out := &InclusionProof{Format: ProofFormat, Index: index, TreeSize: cp.Size, Leaf: leaf, Checkpoint: string(cp.Note)}
	for _, h := range p {
		out.Hashes = append(out.Hashes, append([]byte(nil), h[:]...))
	}
	return out, nil
}

// ParseInclusionProof decodes a proof file.
func ParseInclusionProof(b []byte) (*InclusionProof, error) {
	var p InclusionProof
	if len(b) > 4<<20 {
		return nil, fmt.Errorf("proof file of %d bytes is too large", len(b))
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("proof: %w", err)
	}
	if p.Format != ProofFormat {
		return nil, fmt.Errorf("proof format %q, want %q", p.Format, ProofFormat)
	}
	return &p, nil
}

// VerifyInclusion checks a proof offline against a trusted checkpoint
// (verified with the log's public key by ParseCheckpoint), using the
// transparency-dev RFC 6962 verifier. The trusted checkpoint must be the
// tree the proof was made for.
func VerifyInclusion(p *InclusionProof, trusted *Checkpoint) error {
	if p.TreeSize != trusted.Size {
		return fmt.Errorf("%w: the proof is for a tree of %d entries, the checkpoint signs %d (prove again with --checkpoint)", ErrProof, p.TreeSize, trusted.Size)
	}
	leafHash := rfc6962.DefaultHasher.HashLeaf(p.Leaf)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(p.Index), uint64(p.TreeSize), leafHash, p.Hashes, trusted.Root[:]); err != nil {
		return fmt.Errorf("%w: %v", ErrProof, err)
	}
	e, err := parseLeaf(p.Leaf)
	if err != nil || e.Index != p.Index {
		return fmt.Errorf("%w: the entry's own index does not match the proof's", ErrProof)
	}
	return nil
}

// ConsistencyProof shows that an older checkpoint's tree is a prefix of a
// newer one's: nothing signed earlier was changed or dropped.
type ConsistencyProof struct {
	OldSize, NewSize int64
	Hashes           [][]byte
}

// ProveConsistency proves the tree of size old is a prefix of the tree of
// size new (both must have signed checkpoints).
func (l *Log) ProveConsistency(ctx context.Context, old, new int64) (*ConsistencyProof, error) {
	p, err := tlog.ProveTree(new, old, &pendingReader{ctx: ctx, q: l.db})
	if err != nil {
		return nil, err
	}
	out := &ConsistencyProof{OldSize: old, NewSize: new}
	for _, h := range p {
		out.Hashes = append(out.Hashes, append([]byte(nil), h[:]...))
	}
	return out, nil
}

// VerifyConsistency checks a consistency proof between two checkpoints.
func VerifyConsistency(p *ConsistencyProof, old, new *Checkpoint) error {
	if p.OldSize != old.Size || p.NewSize != new.Size {
		return fmt.Errorf("%w: the proof is for sizes %d→%d, the checkpoints sign %d→%d", ErrProof, p.OldSize, p.NewSize, old.Size, new.Size)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(old.Size), uint64(new.Size), p.Hashes, old.Root[:], new.Root[:]); err != nil {
		return fmt.Errorf("%w: %v", ErrProof, err)
	}
	return nil
}

// LeafHash is the RFC 6962 hash of an entry's bytes.
func LeafHash(leaf []byte) [sha256.Size]byte { return tlog.RecordHash(leaf) }
