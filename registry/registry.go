package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/poisonguard/poisonguard/ledger"
	"github.com/poisonguard/poisonguard/store"
)

var migrations = []store.Migration{{Version: 1, SQL: `
CREATE TABLE registry_versions (name TEXT NOT NULL, version BIGINT NOT NULL, root_digest TEXT NOT NULL, bundle_digest TEXT NOT NULL,
  signer TEXT NOT NULL, public_key TEXT NOT NULL, ledger_index BIGINT NOT NULL, pushed_at TEXT NOT NULL, pushed_by TEXT NOT NULL,
  PRIMARY KEY (name, version));
CREATE INDEX registry_versions_digest ON registry_versions (root_digest);
CREATE TABLE registry_files (name TEXT NOT NULL, version BIGINT NOT NULL, path TEXT NOT NULL, blob TEXT NOT NULL, size BIGINT NOT NULL,
  PRIMARY KEY (name, version, path));
CREATE TABLE registry_stage_events (seq BIGINT PRIMARY KEY, name TEXT NOT NULL, stage TEXT NOT NULL, version BIGINT NOT NULL,
  action TEXT NOT NULL, at TEXT NOT NULL, who TEXT NOT NULL, ledger_index BIGINT NOT NULL)`}}

// Stages a version can be promoted to.
var Stages = []string{"staging", "production"}

// Errors a caller may branch on.
var (
	// ErrNotFound reports an unknown model name or version.
	ErrNotFound = errors.New("not found")
	// ErrNotVerified reports a push whose signature does not verify.
	ErrNotVerified = errors.New("the model's signature does not verify")
	// ErrNoPrevious reports a rollback with nothing to roll back to.
	ErrNoPrevious = errors.New("no previous version to roll back to")
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

// Registry is the model registry in a store.
type Registry struct {
	db    *store.DB
	log   *ledger.Log
	blobs *store.Blobs
	clock func() time.Time
}

// Options open a registry.
type Options struct {
	Clock func() time.Time
}

// Open opens the registry of a store; records go to log, files to blobs.
func Open(ctx context.Context, db *store.DB, log *ledger.Log, blobs *store.Blobs, o Options) (*Registry, error) {
	if err := db.Migrate(ctx, "registry", migrations); err != nil {
		return nil, err
	}
	r := &Registry{db: db, log: log, blobs: blobs, clock: o.Clock}
	if r.clock == nil {
		r.clock = time.Now
	}
	return r, nil
}

// Version is one immutable version of a model.
type Version struct {
	Name         string `json:"name"`
	Version      int64  `json:"version"`
	RootDigest   string `json:"root_digest"`   // sha256:HEX, the OMS subject digest
	BundleDigest string `json:"bundle_digest"` // sha256:HEX of the signature file
	Signer       string `json:"signer"`
	PublicKey    string `json:"public_key"` // the PEM key the push was verified with
	LedgerIndex  int64  `json:"ledger_index"`
	PushedAt     string `json:"pushed_at"`
	PushedBy     string `json:"pushed_by"`
	Files        []File `json:"files,omitempty"`
}

// File is a stored file of a version.
type File struct {
	Path string `json:"path"`
	Blob string `json:"blob"` // hex SHA-256: the blob store key
	Size int64  `json:"size"`
}

func checkName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("model name %q: lowercase letters, digits, '.', '_' and '-', at most 128", name)
	}
	return nil
}

func checkStage(stage string) error {
	for _, s := range Stages {
		if s == stage {
			return nil
		}
	}
	return fmt.Errorf("stage %q: want staging or production", stage)
}

const versionCols = `name, version, root_digest, bundle_digest, signer, public_key, ledger_index, pushed_at, pushed_by`

func scanVersion(row interface{ Scan(...any) error }) (Version, error) {
	var v Version
	err := row.Scan(&v.Name, &v.Version, &v.RootDigest, &v.BundleDigest, &v.Signer, &v.PublicKey, &v.LedgerIndex, &v.PushedAt, &v.PushedBy)
	return v, err
}

// Get returns a version with its files; version 0 means the latest.
func (r *Registry) Get(ctx context.Context, name string, version int64) (*Version, error) {
	q := `SELECT ` + versionCols + ` FROM registry_versions WHERE name = ? AND version = ?`
	args := []any{name, version}
	if version == 0 {
		q = `SELECT ` + versionCols + ` FROM registry_versions WHERE name = ? ORDER BY version DESC LIMIT 1`
		args = args[:1]
	}
	v, err := scanVersion(r.db.QueryRow(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s@%d", ErrNotFound, name, version)
	}
	if err != nil {
		return nil, err
	}
	rows, err := r.db.Query(ctx, `SELECT path, blob, size FROM registry_files WHERE name = ? AND version = ? ORDER BY path`, name, v.Version)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var f File
		if err := rows.Scan(&f.Path, &f.Blob, &f.Size); err != nil {
			return nil, err
		}
		v.Files = append(v.Files, f)
	}
	return &v, rows.Err()
}

// ByDigest returns the versions (of any model) with this root digest.
func (r *Registry) ByDigest(ctx context.Context, digest string) ([]Version, error) {
	rows, err := r.db.Query(ctx, `SELECT `+versionCols+` FROM registry_versions WHERE root_digest = ? ORDER BY name, version`, digest)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Summary is one model in List.
type Summary struct {
	Name     string           `json:"name"`
	Latest   int64            `json:"latest"`
	PushedAt string           `json:"pushed_at"`
	Stages   map[string]int64 `json:"stages"` // stage → current version
}

// List summarises every model: its latest version and what each stage runs.
func (r *Registry) List(ctx context.Context) ([]Summary, error) {
	rows, err := r.db.Query(ctx, `SELECT name, MAX(version), MAX(pushed_at) FROM registry_versions GROUP BY name ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var out []Summary
	for rows.Next() {
		s := Summary{Stages: map[string]int64{}}
		if err := rows.Scan(&s.Name, &s.Latest, &s.PushedAt); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for i := range out {
		for _, st := range Stages {
			if v, err := r.Current(ctx, out[i].Name, st); err == nil {
				out[i].Stages[st] = v
			}
		}
	}
	return out, nil
}
