package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Blobs is a content-addressed directory: each blob lives at
// sha256/ab/cdef... under the root, named by the SHA-256 of its bytes, and
// is written once, atomically.
type Blobs struct{ root string }

// ErrBlobNotFound reports a digest with no blob.
var ErrBlobNotFound = errors.New("blob not found")

// NewBlobs uses (and creates) the directory root.
func NewBlobs(root string) (*Blobs, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	return &Blobs{root: root}, nil
}

func (b *Blobs) path(digest string) (string, error) {
	if len(digest) != 64 {
		return "", fmt.Errorf("blob digest %q is not 64 hex digits", digest)
	}
	if _, err := hex.DecodeString(digest); err != nil {
		return "", fmt.Errorf("blob digest %q is not hex", digest)
	}
	return filepath.Join(b.root, "sha256", digest[:2], digest[2:]), nil
}

// Put stores what r yields and returns its hex SHA-256 digest and size. A
// blob already present is kept, not rewritten.
func (b *Blobs) Put(r io.Reader) (digest string, size int64, err error) {
	tmpDir := filepath.Join(b.root, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return "", 0, err
	}
	tmp, err := os.CreateTemp(tmpDir, "blob-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(tmp, h), r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("store blob: %w", err)
	}
	digest = hex.EncodeToString(h.Sum(nil))
	dst, _ := b.path(digest)
	if _, err := os.Stat(dst); err == nil {
		return digest, size, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", 0, err
	}
	if err := os.Chmod(tmp.Name(), 0o444); err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("store blob: %w", err)
	}
	return digest, size, nil
}

// Open opens the blob with this hex SHA-256 digest.
func (b *Blobs) Open(digest string) (*os.File, error) {
	p, err := b.path(digest)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrBlobNotFound, digest)
	}
	return f, err
}

// Has reports whether a blob is stored.
func (b *Blobs) Has(digest string) bool {
	p, err := b.path(digest)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}
