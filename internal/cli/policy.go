package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/poisonguard/poisonguard/detect"
	"github.com/poisonguard/poisonguard/drift"
	"go.yaml.in/yaml/v3"
)

// policyFile is the layout of a policy file: one section per package.
// Sections start from their package's defaults, so a file names only what
// it changes. JSON is read as the YAML subset it is.
type policyFile struct {
	Drift drift.Policy  `yaml:"drift"`
	Scan  detect.Policy `yaml:"scan"`
}

// maxPolicyBytes caps a policy file.
const maxPolicyBytes = 1 << 20

// loadPolicyFile reads a policy file over the defaults of every section
// and validates it; an empty path gives the defaults.
func loadPolicyFile(path string) (policyFile, error) {
	pf := policyFile{Drift: drift.DefaultPolicy(), Scan: detect.DefaultPolicy()}
	if path == "" {
		return pf, nil
	}
	raw, err := readLimited(path, maxPolicyBytes)
	if err != nil {
		return pf, fmt.Errorf("policy: %w", err)
	}
	if err := decodeStrictYAML(raw, &pf); err != nil {
		return pf, fmt.Errorf("policy %s: %w", path, err)
	}
	if err := pf.Drift.Validate(); err != nil {
		return pf, fmt.Errorf("policy %s: drift: %w", path, err)
	}
	if err := pf.Scan.Validate(); err != nil {
		return pf, fmt.Errorf("policy %s: scan: %w", path, err)
	}
	return pf, nil
}

// decodeStrictYAML decodes YAML or JSON, refusing unknown keys.
func decodeStrictYAML(raw []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
