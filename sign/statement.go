package sign

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Type names of the signed statement.
const (
	StatementType     = "https://in-toto.io/Statement/v1"
	PredicateType     = "https://model_signing/signature/v1.0"
	predicateTypeV01  = "https://model_signing/Digests/v0.1" // written by model_signing 0.2
	InTotoPayloadType = "application/vnd.in-toto+json"
	maxResources      = 10_000_000
)

// ErrStatement reports a signed statement that is not a valid OMS
// statement, or whose subject digest does not match its resources.
var ErrStatement = errors.New("invalid model signature statement")

type statementJSON struct {
	Type          string          `json:"_type"`
	Subject       []subjectJSON   `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type subjectJSON struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

type predicateJSON struct {
	Serialization serializationJSON `json:"serialization"`
	Resources     []resourceJSON    `json:"resources"`
}

type serializationJSON struct {
	Method        string       `json:"method"`
	HashType      string       `json:"hash_type"`
	AllowSymlinks flexBool     `json:"allow_symlinks"`
	ShardSize     *json.Number `json:"shard_size,omitempty"`
	IgnorePaths   []string     `json:"ignore_paths,omitempty"`
}

type resourceJSON struct {
	Name      string `json:"name"`
	Algorithm string `json:"algorithm"`
	Digest    string `json:"digest"`
}

// flexBool decodes true, false and their string forms: early reference
// releases wrote "false" as a string.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(bytes.TrimSpace(data)) {
	case "true", `"true"`, `"True"`:
		*b = true
	case "false", `"false"`, `"False"`, "null":
		*b = false
	default:
		return fmt.Errorf("allow_symlinks: %s is not a boolean", data)
	}
	return nil
}

// Statement encodes the manifest as an in-toto Statement v1 with the OMS
// predicate: one subject named after the model with the root digest.
func (m *Manifest) Statement() ([]byte, error) {
	s := m.Serialization
	ser := serializationJSON{Method: s.Method, HashType: s.HashType, AllowSymlinks: flexBool(s.AllowSymlinks), IgnorePaths: s.IgnorePaths}
	if s.Method == MethodShards {
		n := json.Number(strconv.FormatInt(s.ShardSize, 10))
		ser.ShardSize = &n
	}
	pred := predicateJSON{Serialization: ser, Resources: make([]resourceJSON, len(m.Resources))}
	for i, r := range m.Resources {
		pred.Resources[i] = resourceJSON{Name: r.Name, Algorithm: r.Algorithm, Digest: hex.EncodeToString(r.Digest)}
	}
	raw, err := json.Marshal(pred)
	if err != nil {
		return nil, err
	}
	return json.Marshal(statementJSON{
		Type:          StatementType,
		Subject:       []subjectJSON{{Name: m.ModelName, Digest: map[string]string{"sha256": hex.EncodeToString(m.RootDigest())}}},
		PredicateType: PredicateType,
		Predicate:     raw,
	})
}

// ParseStatement decodes a signed statement into the manifest it describes
// and checks it: statement and predicate types, one subject whose digest
// is the root digest of the resources, well-formed resource names and
// digests. It accepts what real signatures carry: a float shard_size,
// "sha256-sharded-N" algorithm names, and the v0.1 predicate of
// model_signing 0.2 (one subject per file).
func ParseStatement(data []byte) (*Manifest, error) {
	var st statementJSON
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatement, err)
	}
	if st.Type != StatementType {
		return nil, fmt.Errorf("%w: statement type %q, want %q", ErrStatement, st.Type, StatementType)
	}
	switch st.PredicateType {
	case PredicateType:
	case predicateTypeV01:
		return parseV01(st)
	default:
		return nil, fmt.Errorf("%w: predicate type %q, want %q", ErrStatement, st.PredicateType, PredicateType)
	}
	if len(st.Subject) != 1 {
		return nil, fmt.Errorf("%w: %d subjects, want 1", ErrStatement, len(st.Subject))
	}
	var pred predicateJSON
	if err := json.Unmarshal(st.Predicate, &pred); err != nil {
		return nil, fmt.Errorf("%w: predicate: %v", ErrStatement, err)
	}
	ser, err := pred.Serialization.decode()
	if err != nil {
		return nil, err
	}
	m := &Manifest{ModelName: st.Subject[0].Name, Serialization: ser}
	if m.Resources, err = decodeResources(pred.Resources, ser); err != nil {
		return nil, err
	}
	want, err := hex.DecodeString(st.Subject[0].Digest["sha256"])
	if err != nil || len(want) != 32 {
		return nil, fmt.Errorf("%w: subject has no sha256 digest", ErrStatement)
	}
	if got := m.RootDigest(); !bytes.Equal(got, want) {
		return nil, fmt.Errorf("%w: subject digest %x, but the resources hash to %x", ErrStatement, want, got)
	}
	return m, nil
}

// decode checks the serialization object.
func (s serializationJSON) decode() (Serialization, error) {
	out := Serialization{Method: s.Method, HashType: s.HashType, AllowSymlinks: bool(s.AllowSymlinks), IgnorePaths: s.IgnorePaths}
	if _, err := newHash(s.HashType); err != nil {
		return out, fmt.Errorf("%w: %v", ErrStatement, err)
	}
	switch s.Method {
	case MethodFiles:
	case MethodShards:
		if s.ShardSize == nil {
			return out, fmt.Errorf("%w: shards without shard_size", ErrStatement)
		}
		f, err := strconv.ParseFloat(string(*s.ShardSize), 64)
		if err != nil || f < 1 || f > math.MaxInt32*float64(1<<20) || f != math.Trunc(f) {
			return out, fmt.Errorf("%w: shard_size %s is not a positive whole number", ErrStatement, *s.ShardSize)
		}
		out.ShardSize = int64(f)
	default:
		return out, fmt.Errorf("%w: serialization method %q, want files or shards", ErrStatement, s.Method)
	}
	for _, p := range s.IgnorePaths {
		if _, err := canonicalName(p); err != nil {
			return out, fmt.Errorf("%w: ignore path: %v", ErrStatement, err)
		}
	}
	return out, nil
}

// decodeResources checks each resource: a safe, unique name, an algorithm
// that fits the serialization, and a digest of the hash's length.
func decodeResources(in []resourceJSON, ser Serialization) ([]Resource, error) {
	if len(in) > maxResources {
		return nil, fmt.Errorf("%w: %d resources, more than the limit of %d", ErrStatement, len(in), maxResources)
	}
	newH, _ := newHash(ser.HashType)
	size := newH().Size()
	seen := make(map[string]bool, len(in))
	out := make([]Resource, len(in))
	for i, r := range in {
		if err := checkResourceName(r.Name, ser); err != nil {
			return nil, fmt.Errorf("%w: resource %q: %v", ErrStatement, r.Name, err)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("%w: resource %q appears twice", ErrStatement, r.Name)
		}
		seen[r.Name] = true
		if !ser.acceptsAlgorithm(r.Algorithm) {
			return nil, fmt.Errorf("%w: resource %q: algorithm %q does not match hash_type %q", ErrStatement, r.Name, r.Algorithm, ser.HashType)
		}
		d, err := hex.DecodeString(r.Digest)
		if err != nil || len(d) != size {
			return nil, fmt.Errorf("%w: resource %q: digest is not %d bytes of hex", ErrStatement, r.Name, size)
		}
		out[i] = Resource{Name: r.Name, Algorithm: r.Algorithm, Digest: d}
	}
	return out, nil
}

// legacySingleFile is the resource name model_signing 1.0 gave the one
// file of a single-file model.
const legacySingleFile = "."

// checkResourceName checks a file name, or a shard name "path:start:end"
// with 0 ≤ start < end.
func checkResourceName(name string, ser Serialization) error {
	if name == legacySingleFile && ser.Method == MethodFiles {
		return nil
	}
	path := resourcePath(name, ser.Method)
	if c, err := canonicalName(path); err != nil {
		return err
	} else if c != path {
		return fmt.Errorf("not canonical (%q)", c)
	}
	if ser.Method != MethodShards {
		return nil
	}
	bounds := strings.Split(strings.TrimPrefix(name[len(path):], ":"), ":")
	if len(bounds) == 2 {
		start, err1 := strconv.ParseInt(bounds[0], 10, 64)
		end, err2 := strconv.ParseInt(bounds[1], 10, 64)
		if err1 == nil && err2 == nil && start >= 0 && end > start {
			return nil
		}
	}
	return errors.New("not a shard name path:start:end")
}

// parseV01 reads the predicate of model_signing 0.2: a subject per file,
// hashed whole with SHA-256, and no root digest.
func parseV01(st statementJSON) (*Manifest, error) {
	ser := Serialization{Method: MethodFiles, HashType: HashSHA256}
	in := make([]resourceJSON, len(st.Subject))
	for i, s := range st.Subject {
		in[i] = resourceJSON{Name: s.Name, Algorithm: HashSHA256, Digest: s.Digest["sha256"]}
	}
	res, err := decodeResources(in, ser)
	if err != nil {
		return nil, err
	}
	return &Manifest{ModelName: "model", Serialization: ser, Resources: res}, nil
}
