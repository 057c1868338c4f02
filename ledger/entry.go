package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Entry kinds.
const (
	KindDataset     = "dataset"
	KindTrainingRun = "training-run"
	KindModel       = "model"
	KindDeploy      = "deploy"
	KindIncident    = "incident"
)

// MaxEntry bounds one entry's body.
const MaxEntry = 1 << 20

// ErrInvalidEntry reports a record that does not fit its kind.
var ErrInvalidEntry = errors.New("invalid ledger entry")

// Entry is one record of the log.
type Entry struct {
	Index int64           `json:"index"`
	Kind  string          `json:"kind"`
	Time  string          `json:"time"` // RFC 3339, UTC
	Body  json.RawMessage `json:"body"`
}

// Leaf is the exact bytes hashed into the tree: the entry as compact JSON
// with its index, so an entry moved to another position no longer matches.
// (encoding/json compacts a RawMessage body as it writes it.)
func (e Entry) Leaf() ([]byte, error) { return json.Marshal(e) }

// parseLeaf decodes stored leaf bytes.
func parseLeaf(b []byte) (Entry, error) {
	var e Entry
	err := json.Unmarshal(b, &e)
	return e, err
}

// Kinds lists the entry kinds.
func Kinds() []string {
	k := make([]string, 0, len(validators))
	for name := range validators {
		k = append(k, name)
	}
	sort.Strings(k)
	return k
}

var validators = map[string]func(map[string]any) error{
	KindDataset:     validateDataset,
	KindTrainingRun: validateTrainingRun,
	KindModel:       validateModel,
	KindDeploy:      validateDeploy,
	KindIncident:    validateIncident,
}

// Validate checks a record body against its kind's schema.
func Validate(kind string, body []byte) error {
	v, ok := validators[kind]
	if !ok {
		return fmt.Errorf("%w: unknown kind %q (want one of %s)", ErrInvalidEntry, kind, strings.Join(Kinds(), ", "))
	}
	if len(body) > MaxEntry {
		return fmt.Errorf("%w: %d bytes, more than the limit of %d", ErrInvalidEntry, len(body), MaxEntry)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return fmt.Errorf("%w: a %s record must be a JSON object: %v", ErrInvalidEntry, kind, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON object", ErrInvalidEntry)
	}
	if err := v(m); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidEntry, kind, err)
	}
	return nil
}

var (
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	hexRE    = regexp.MustCompile(`^[0-9a-f]+$`)
)

// field walks a path of object keys.
func field(m map[string]any, path ...string) (any, bool) {
	var cur any = m
	for _, k := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func str(m map[string]any, path ...string) (string, error) {
	v, ok := field(m, path...)
	s, isStr := v.(string)
	if !ok || !isStr || strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%s: a non-empty string is required", strings.Join(path, "."))
	}
	return s, nil
}

func digest(m map[string]any, path ...string) error {
	s, err := str(m, path...)
	if err != nil {
		return err
	}
	if !digestRE.MatchString(s) {
		return fmt.Errorf("%s: %q is not sha256:<64 hex digits>", strings.Join(path, "."), s)
	}
	return nil
}

func timestamp(m map[string]any, path ...string) (time.Time, error) {
	s, err := str(m, path...)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is not an RFC 3339 time", strings.Join(path, "."), s)
	}
	return t, nil
}

// digestSet checks an in-toto DigestSet: at least one algorithm, hex values.
func digestSet(v any, where string) error {
	d, ok := v.(map[string]any)
	if !ok || len(d) == 0 {
		return fmt.Errorf("%s: a digest set {\"sha256\": \"...\"} is required", where)
	}
	for alg, val := range d {
		s, ok := val.(string)
		if !ok || !hexRE.MatchString(s) {
			return fmt.Errorf("%s.%s: a lowercase hex digest is required", where, alg)
		}
	}
	return nil
}

func list(m map[string]any, path ...string) ([]any, error) {
	v, ok := field(m, path...)
	l, isList := v.([]any)
	if !ok || !isList {
		return nil, fmt.Errorf("%s: a list is required", strings.Join(path, "."))
	}
	return l, nil
}

// validateDataset: a snapshot of training data — name, the digest of its
// profile, its files with digests, and where it came from.
func validateDataset(m map[string]any) error {
	if _, err := str(m, "name"); err != nil {
		return err
	}
	if _, err := str(m, "source"); err != nil {
		return err
	}
	if err := digest(m, "profile_digest"); err != nil {
		return err
	}
	files, err := list(m, "files")
	if err != nil {
		return err
	}
	for i, f := range files {
		fm, ok := f.(map[string]any)
		if !ok {
			return fmt.Errorf("files[%d]: an object is required", i)
		}
		if _, err := str(fm, "name"); err != nil {
			return fmt.Errorf("files[%d]: %v", i, err)
		}
		if err := digest(fm, "digest"); err != nil {
			return fmt.Errorf("files[%d]: %v", i, err)
		}
	}
	return nil
}

// validateTrainingRun: an in-toto Statement v1 whose predicate is SLSA
// Provenance v1 — outputs as subjects, inputs as resolved dependencies
// with digests, parameters, builder, start and end.
func validateTrainingRun(m map[string]any) error {
	if t, _ := str(m, "_type"); t != "https://in-toto.io/Statement/v1" {
		return errors.New(`_type: "https://in-toto.io/Statement/v1" is required`)
	}
	if t, _ := str(m, "predicateType"); t != "https://slsa.dev/provenance/v1" {
		return errors.New(`predicateType: "https://slsa.dev/provenance/v1" is required`)
	}
	subjects, err := list(m, "subject")
	if err != nil || len(subjects) == 0 {
		return errors.New("subject: the run's outputs (name and digest) are required")
	}
	for i, s := range subjects {
		sm, _ := s.(map[string]any)
		if err := digestSet(sm["digest"], fmt.Sprintf("subject[%d].digest", i)); err != nil {
			return err
		}
	}
	if _, err := str(m, "predicate", "buildDefinition", "buildType"); err != nil {
		return err
	}
	if v, ok := field(m, "predicate", "buildDefinition", "externalParameters"); !ok {
		return errors.New("predicate.buildDefinition.externalParameters: the run's parameters are required")
	} else if _, isObj := v.(map[string]any); !isObj {
		return errors.New("predicate.buildDefinition.externalParameters: an object is required")
	}
	deps, err := list(m, "predicate", "buildDefinition", "resolvedDependencies")
	if err != nil || len(deps) == 0 {
		return errors.New("predicate.buildDefinition.resolvedDependencies: the run's inputs (data, code or image) with digests are required")
	}
	for i, d := range deps {
		dm, _ := d.(map[string]any)
		if err := digestSet(dm["digest"], fmt.Sprintf("resolvedDependencies[%d].digest", i)); err != nil {
			return err
		}
	}
	if _, err := str(m, "predicate", "runDetails", "builder", "id"); err != nil {
		return err
	}
	start, err := timestamp(m, "predicate", "runDetails", "metadata", "startedOn")
	if err != nil {
		return err
	}
	end, err := timestamp(m, "predicate", "runDetails", "metadata", "finishedOn")
	if err != nil {
		return err
	}
	if end.Before(start) {
		return errors.New("predicate.runDetails.metadata: finishedOn is before startedOn")
	}
	return nil
}

// validateModel: a signed model — its name, the digest of its OMS bundle
// and the signature's subject (root) digest.
func validateModel(m map[string]any) error {
	if _, err := str(m, "name"); err != nil {
		return err
	}
	if err := digest(m, "bundle_digest"); err != nil {
		return err
	}
	return digest(m, "subject_digest")
}

// validateDeploy: which model version went to which environment, when and
// by whom.
func validateDeploy(m map[string]any) error {
	for _, k := range []string{"model", "environment", "who"} {
		if _, err := str(m, k); err != nil {
			return err
		}
	}
	if v, ok := m["version"]; !ok {
		return errors.New("version: required")
	} else if n, isNum := v.(json.Number); isNum {
		if i, err := n.Int64(); err != nil || i < 1 {
			return errors.New("version: a positive whole number is required")
		}
	} else if _, err := str(m, "version"); err != nil {
		return err
	}
	_, err := timestamp(m, "time")
	return err
}

// validateIncident: something went wrong — a title, a severity, when.
func validateIncident(m map[string]any) error {
	if _, err := str(m, "title"); err != nil {
		return err
	}
	sev, err := str(m, "severity")
	if err != nil {
		return err
	}
	switch sev {
	case "low", "medium", "high", "critical":
	default:
		return fmt.Errorf("severity: %q is not low, medium, high or critical", sev)
	}
	_, err = timestamp(m, "time")
	return err
}
