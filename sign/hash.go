package sign

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"

	"golang.org/x/crypto/blake2b"
)

// Hash names recorded in serialization.hash_type.
const (
	HashSHA256  = "sha256"
	HashBLAKE2b = "blake2b"
)

// readBuffer is each worker's read size: memory is workers × readBuffer.
const readBuffer = 1 << 20

// newHash returns the constructor of a hash_type.
func newHash(name string) (func() hash.Hash, error) {
	switch name {
	case HashSHA256:
		return sha256.New, nil
	case HashBLAKE2b:
		return func() hash.Hash {
			h, _ := blake2b.New512(nil) // cannot fail without a key
			return h
		}, nil
	}
	return nil, fmt.Errorf("unsupported hash %q (want sha256 or blake2b)", name)
}

// piece is one resource to hash: a whole file, or the bytes [start, end)
// of it when sharding.
type piece struct {
	file       modelFile
	start, end int64
	whole      bool
}

// name is the resource name: the file's, or "path:start:end" for a shard.
func (p piece) name() string {
	if p.whole {
		return p.file.name
	}
	return p.file.name + ":" + strconv.FormatInt(p.start, 10) + ":" + strconv.FormatInt(p.end, 10)
}

// pieces cuts the files into the resources of a serialization: one per
// file, or consecutive shards of shardSize bytes. As in the reference
// implementation, an empty file has no shards.
func pieces(files []modelFile, shardSize int64) []piece {
	var out []piece
	for _, f := range files {
		if shardSize <= 0 {
			out = append(out, piece{file: f, end: f.size, whole: true})
			continue
		}
		for start := int64(0); start < f.size; start += shardSize {
			out = append(out, piece{file: f, start: start, end: min(start+shardSize, f.size)})
		}
	}
	return out
}

// hashPieces hashes every piece with workers goroutines, each reading
// through its own readBuffer, and returns the digests in piece order.
// progress, when set, is called from the workers with each block's size.
func hashPieces(ctx context.Context, root *os.Root, ps []piece, newH func() hash.Hash, workers int, progress func(int64)) ([][]byte, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Largest pieces first, so that one big file does not start last.
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ps[order[a]].end-ps[order[a]].start > ps[order[b]].end-ps[order[b]].start })

	digests := make([][]byte, len(ps))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, max(len(ps), 1)) {
		wg.Go(func() {
			buf := make([]byte, readBuffer)
			h := newH()
			for i := range next {
				d, err := hashPiece(ctx, root, ps[i], h, buf, progress)
				if err != nil {
					cancel(err)
					continue
				}
				digests[i] = d
			}
		})
	}
feed:
	for _, i := range order {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return digests, nil
}

// errChanged reports a file that changed between listing and hashing.
var errChanged = errors.New("changed while it was being hashed")

// hashPiece opens the piece's file through the root (which never follows a
// link out of it), checks that the opened file is the regular file that
// was listed, and hashes exactly the piece's bytes of that open file.
func hashPiece(ctx context.Context, root *os.Root, p piece, h hash.Hash, buf []byte, progress func(int64)) ([]byte, error) {
	f, err := root.Open(p.file.name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.file.name, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrUnsafePath, p.file.name)
	}
	if st.Size() != p.file.size {
		return nil, fmt.Errorf("%s: %w (size %d, then %d)", p.file.name, errChanged, p.file.size, st.Size())
	}
	if !p.file.link {
		// The name may have been swapped for a link since it was listed.
		lst, err := root.Lstat(p.file.name)
		if err != nil || !os.SameFile(lst, st) {
			return nil, fmt.Errorf("%s: %w", p.file.name, errChanged)
		}
	}
	h.Reset()
	r := io.NewSectionReader(f, p.start, p.end-p.start)
	var read int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := io.ReadFull(r, buf)
		h.Write(buf[:n])
		read += int64(n)
		if progress != nil && n > 0 {
			progress(int64(n))
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.file.name, err)
		}
	}
	if read != p.end-p.start {
		return nil, fmt.Errorf("%s: %w", p.file.name, errChanged)
	}
	return h.Sum(nil), nil
}
