package sign

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
)

// Serialization methods recorded in serialization.method.
const (
	MethodFiles  = "files"
	MethodShards = "shards"
)

// Serialization says how a model was cut into resources and hashed; a
// verifier re-serialises the model the same way.
type Serialization struct {
	Method        string   // MethodFiles or MethodShards
	HashType      string   // HashSHA256 or HashBLAKE2b
	AllowSymlinks bool     // symlinks were hashed as their targets
	ShardSize     int64    // bytes per shard, with MethodShards
	IgnorePaths   []string // paths relative to the model root left out
}

// Resource is one file, or one shard "path:start:end", and its digest.
type Resource struct {
	Name      string
	Algorithm string
	Digest    []byte
}

// Manifest is a serialised model: its resources in name order.
type Manifest struct {
	ModelName     string
	Serialization Serialization
	Resources     []Resource
}

// RootDigest is the SHA-256 of the concatenated raw resource digests in
// manifest order: the subject digest of the signed statement.
func (m *Manifest) RootDigest() []byte {
	h := sha256.New()
	for _, r := range m.Resources {
		h.Write(r.Digest)
	}
	return h.Sum(nil)
}

// Files lists the files the manifest covers, in manifest order.
func (m *Manifest) Files() []string {
	var out []string
	for i, r := range m.Resources {
		p := resourcePath(r.Name, m.Serialization.Method)
		if i == 0 || p != out[len(out)-1] {
			out = append(out, p)
		}
	}
	return out
}

// files is the set of files the manifest's resources belong to.
func (m *Manifest) files() map[string]bool {
	out := make(map[string]bool, len(m.Resources))
	for _, r := range m.Resources {
		out[resourcePath(r.Name, m.Serialization.Method)] = true
	}
	return out
}

// algorithmName is the resource algorithm the reference implementation
// writes: the hash name, or "<hash>-sharded-<size>" for shards.
func (s Serialization) algorithmName() string {
	if s.Method == MethodShards {
		return s.HashType + "-sharded-" + strconv.FormatInt(s.ShardSize, 10)
	}
	return s.HashType
}

// acceptsAlgorithm reports whether a resource's algorithm fits the
// serialization: the hash name itself (as the specification says) or the
// reference implementation's sharded name.
func (s Serialization) acceptsAlgorithm(alg string) bool {
	return alg == s.HashType || alg == s.algorithmName()
}

// resourcePath is the file a resource belongs to. Shard names are parsed
// from the right, since paths may hold colons.
func resourcePath(name, method string) string {
	if method != MethodShards {
		return name
	}
	for range 2 {
		if i := strings.LastIndexByte(name, ':'); i >= 0 {
			name = name[:i]
		}
	}
	return name
}

// ManifestOptions say how to serialise a model.
type ManifestOptions struct {
	Hash          string   // HashSHA256 (default) or HashBLAKE2b
	ShardSize     int64    // > 0 hashes shards of this many bytes; 0 whole files
	AllowSymlinks bool     // hash symlinks' targets (inside the root) instead of refusing them
	Ignore        []string // paths relative to the model root to leave out, with their subtrees
	Workers       int      // parallel hashers; 0 means GOMAXPROCS
	Progress      func(n int64)

	// only, when set, restricts hashing to these files (the verifier's
	// --ignore-unsigned-files).
	only map[string]bool
}

func (o *ManifestOptions) validate() error {
	if o.Hash == "" {
		o.Hash = HashSHA256
	}
	if _, err := newHash(o.Hash); err != nil {
		return err
	}
	if o.ShardSize < 0 {
		return fmt.Errorf("shard size %d must be positive", o.ShardSize)
	}
	return nil
}

// serialization is what the options record in a signature.
func (o *ManifestOptions) serialization(ig ignorer) Serialization {
	s := Serialization{Method: MethodFiles, HashType: o.Hash, AllowSymlinks: o.AllowSymlinks, IgnorePaths: ig.sorted()}
	if o.ShardSize > 0 {
		s.Method, s.ShardSize = MethodShards, o.ShardSize
	}
	return s
}

// BuildManifest serialises the model at modelPath — a directory or one
// file — hashing its files in parallel. The git defaults (.git,
// .gitattributes, .github, .gitignore at the root) are always left out.
func BuildManifest(ctx context.Context, modelPath string, o ManifestOptions) (*Manifest, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	ig, err := newIgnorer(o.Ignore)
	if err != nil {
		return nil, err
	}
	m, err := openModel(modelPath, ig, o.AllowSymlinks)
	if err != nil {
		return nil, err
	}
	defer m.root.Close()
	files := m.files
	if o.only != nil {
		files = files[:0:0]
		for _, f := range m.files {
			if o.only[f.name] {
				files = append(files, f)
			}
		}
	}
	s := o.serialization(ig)
	ps := pieces(files, s.ShardSize)
	newH, _ := newHash(s.HashType)
	digests, err := hashPieces(ctx, m.root, ps, newH, o.Workers, o.Progress)
	if err != nil {
		return nil, fmt.Errorf("hash %s: %w", modelPath, err)
	}
	out := &Manifest{ModelName: m.name, Serialization: s, Resources: make([]Resource, len(ps))}
	alg := s.algorithmName()
	for i, p := range ps {
		out.Resources[i] = Resource{Name: p.name(), Algorithm: alg, Digest: digests[i]}
	}
	return out, nil
}
