package registry

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/poisonguard/poisonguard/ledger"
	"github.com/poisonguard/poisonguard/sign"
)

// DeployCheck says how to check a model about to be deployed.
type DeployCheck struct {
	Name          string
	Stage         string
	SignaturePath string           // default model.sig in the model directory
	Key           *ecdsa.PublicKey // default: the key the version was pushed with
	Workers       int
	Progress      func(n int64)
}

// DeployResult is the verdict of VerifyDeploy.
type DeployResult struct {
	OK          bool     `json:"ok"`
	Name        string   `json:"name"`
	Stage       string   `json:"stage"`
	Version     int64    `json:"version,omitempty"` // the version current in the stage
	Digest      string   `json:"digest,omitempty"`  // the deployed model's root digest
	LedgerIndex int64    `json:"ledger_index"`
	TreeSize    int64    `json:"tree_size,omitempty"`
	Reasons     []string `json:"reasons"`
}

func (d *DeployResult) fail(format string, args ...any) *DeployResult {
	d.Reasons = append(d.Reasons, fmt.Sprintf(format, args...))
	return d
}

// VerifyDeploy checks a model directory before it is served: its OMS
// signature verifies (with the key its version was pushed with), its root
// digest is the version currently in the stage, and that version's model
// record has an inclusion proof that verifies against the log's latest
// signed checkpoint. Any failure is a reason in the result; an error means
// the check could not be made.
func (r *Registry) VerifyDeploy(ctx context.Context, modelDir string, c DeployCheck) (*DeployResult, error) {
	res := &DeployResult{Name: c.Name, Stage: c.Stage, LedgerIndex: -1, Reasons: []string{}}
	if err := checkStage(c.Stage); err != nil {
		return nil, err
	}
	current, err := r.Current(ctx, c.Name, c.Stage)
	if errors.Is(err, ErrNotFound) {
		return res.fail("no version of %s is in %s", c.Name, c.Stage), nil
	}
	if err != nil {
		return nil, err
	}
	v, err := r.Get(ctx, c.Name, current)
	if err != nil {
		return nil, err
	}
	res.Version, res.LedgerIndex = v.Version, v.LedgerIndex
	key := c.Key
	if key == nil {
		if key, err = sign.ParsePublicKey([]byte(v.PublicKey)); err != nil {
			return nil, fmt.Errorf("the key stored with %s@%d: %w", v.Name, v.Version, err)
		}
	}
	if c.SignaturePath == "" {
		c.SignaturePath = filepath.Join(modelDir, "model.sig")
	}
	bundle, err := sign.ReadBundleFile(c.SignaturePath)
	if err != nil {
		return nil, err
	}
	sres, err := sign.Verify(ctx, modelDir, bundle, sign.VerifyOptions{PublicKey: key, SignaturePath: c.SignaturePath, Workers: c.Workers, Progress: c.Progress})
	if err != nil {
		return nil, err
	}
	if !sres.Verified() {
		return res.fail("%v", (&VerificationError{Problems: sres.Problems}).Error()), nil
	}
	res.Digest = "sha256:" + hex.EncodeToString(sres.Manifest.RootDigest())
	if res.Digest != v.RootDigest {
		return res.fail("the model's digest %s is not %s@%d, the version in %s (%s)%s",
			short(res.Digest), v.Name, v.Version, c.Stage, short(v.RootDigest), r.describeDigest(ctx, res.Digest)), nil
	}
	if reason := r.proveVersion(ctx, v, res); reason != "" {
		return res.fail("%s", reason), nil
	}
	res.OK = true
	return res, nil
}

// proveVersion checks the version's model record in the ledger: an
// inclusion proof against the latest signed checkpoint, and a record that
// names this version and digest.
func (r *Registry) proveVersion(ctx context.Context, v *Version, res *DeployResult) string {
	p, err := r.log.Prove(ctx, v.LedgerIndex, 0)
	if err != nil {
		return fmt.Sprintf("no ledger proof for %s@%d: %v", v.Name, v.Version, err)
	}
	vkey, err := r.log.VerifierKey(ctx)
	if err != nil {
		return err.Error()
	}
	cp, err := ledger.ParseCheckpoint([]byte(p.Checkpoint), vkey)
	if err != nil {
		return fmt.Sprintf("the ledger's checkpoint: %v", err)
	}
	if err := ledger.VerifyInclusion(p, cp); err != nil {
		return fmt.Sprintf("ledger entry %d of %s@%d: %v", v.LedgerIndex, v.Name, v.Version, err)
	}
	res.TreeSize = cp.Size
	e, _ := p.Entry()
	var rec struct {
		Name    string `json:"name"`
		Version int64  `json:"version"`
		Subject string `json:"subject_digest"`
	}
	if e.Kind != ledger.KindModel || json.Unmarshal(e.Body, &rec) != nil || rec.Name != v.Name || rec.Version != v.Version || rec.Subject != v.RootDigest {
		return fmt.Sprintf("ledger entry %d does not record %s@%d with digest %s", v.LedgerIndex, v.Name, v.Version, short(v.RootDigest))
	}
	return ""
}

// describeDigest says which registered versions carry a digest.
func (r *Registry) describeDigest(ctx context.Context, digest string) string {
	vs, err := r.ByDigest(ctx, digest)
	if err != nil || len(vs) == 0 {
		return "; the digest is not a registered version"
	}
	return fmt.Sprintf("; it is %s@%d", vs[0].Name, vs[0].Version)
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// Deployment is what runs in an environment.
type Deployment struct {
	Model       string `json:"model"`
	Environment string `json:"environment"`
	Digest      string `json:"digest"`
}

// Mismatch is one deployment that does not match the registry.
type Mismatch struct {
	Deployment
	Kind     string `json:"kind"` // unknown_digest, wrong_model, wrong_stage, outdated_version, not_promoted
	Deployed int64  `json:"deployed_version,omitempty"`
	Expected int64  `json:"expected_version,omitempty"`
	Message  string `json:"message"`
}

// Mismatch kinds.
const (
	MismatchUnknownDigest = "unknown_digest"
	MismatchWrongModel    = "wrong_model"
	MismatchWrongStage    = "wrong_stage"
	MismatchOutdated      = "outdated_version"
	MismatchNotPromoted   = "not_promoted"
)

// Audit compares each deployment with the registry: the digest must be a
// version of that model, and the version currently in the environment's
// stage. It returns every mismatch — the artifact-version-mismatch SLI.
func (r *Registry) Audit(ctx context.Context, deployed []Deployment) ([]Mismatch, error) {
	var out []Mismatch
	for _, d := range deployed {
		m, err := r.auditOne(ctx, d)
		if err != nil {
			return nil, err
		}
		if m != nil {
			out = append(out, *m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Model < out[j].Model })
	return out, nil
}

func (r *Registry) auditOne(ctx context.Context, d Deployment) (*Mismatch, error) {
	vs, err := r.ByDigest(ctx, d.Digest)
	if err != nil {
		return nil, err
	}
	mk := func(kind, format string, args ...any) *Mismatch {
		return &Mismatch{Deployment: d, Kind: kind, Message: fmt.Sprintf(format, args...)}
	}
	var deployed int64
	for _, v := range vs {
		if v.Name == d.Model {
			deployed = v.Version
		}
	}
	switch {
	case len(vs) == 0:
		return mk(MismatchUnknownDigest, "%s runs %s, which is no registered version", d.Environment, short(d.Digest)), nil
	case deployed == 0:
		return mk(MismatchWrongModel, "%s runs %s@%d under the name %s", d.Environment, vs[0].Name, vs[0].Version, d.Model), nil
	}
	current, err := r.Current(ctx, d.Model, d.Environment)
	if errors.Is(err, ErrNotFound) || checkStage(d.Environment) != nil {
		m := mk(MismatchNotPromoted, "%s runs %s@%d, but no version was promoted to %s", d.Environment, d.Model, deployed, d.Environment)
		if other := r.stageRunning(ctx, d.Model, deployed, d.Environment); other != "" {
			m = mk(MismatchWrongStage, "%s runs %s@%d, the %s version; nothing was promoted to %s", d.Environment, d.Model, deployed, other, d.Environment)
		}
		m.Deployed = deployed
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if deployed == current {
		return nil, nil
	}
	var m *Mismatch
	switch other := r.stageRunning(ctx, d.Model, deployed, d.Environment); {
	case other != "":
		m = mk(MismatchWrongStage, "%s runs %s@%d, the %s version; %s is at %d", d.Environment, d.Model, deployed, other, d.Environment, current)
	case deployed < current:
		m = mk(MismatchOutdated, "%s runs %s@%d, older than %d, the version promoted to %s", d.Environment, d.Model, deployed, current, d.Environment)
	default:
		m = mk(MismatchNotPromoted, "%s runs %s@%d, which is not the version promoted there; %s is at %d", d.Environment, d.Model, deployed, d.Environment, current)
	}
	m.Deployed, m.Expected = deployed, current
	return m, nil
}

// stageRunning names another stage whose current version is this one.
func (r *Registry) stageRunning(ctx context.Context, name string, version int64, except string) string {
	for _, st := range Stages {
		if st == except {
			continue
		}
		if v, err := r.Current(ctx, name, st); err == nil && v == version {
			return st
		}
	}
	return ""
}

// ParseDeployments reads DEPLOYED.json: a list of {model, environment,
// digest}, or an object with such a list under "deployments".
func ParseDeployments(b []byte) ([]Deployment, error) {
	var list []Deployment
	if err := json.Unmarshal(b, &list); err != nil {
		var wrapped struct {
			Deployments []Deployment `json:"deployments"`
		}
		if err2 := json.Unmarshal(b, &wrapped); err2 != nil {
			return nil, fmt.Errorf("deployments: %w", err)
		}
		list = wrapped.Deployments
	}
	for i, d := range list {
		if d.Model == "" || d.Environment == "" || d.Digest == "" {
			return nil, fmt.Errorf("deployment %d: model, environment and digest are required", i+1)
		}
	}
	return list, nil
}
