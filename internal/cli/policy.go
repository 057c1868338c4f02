package cli

import (
	"bytes"
	"errors"
	"io"

	"github.com/poisonguard/poisonguard/drift"
	"go.yaml.in/yaml/v3"
)

// policyFile is the layout of a policy file: one section per package.
// Sections start from their package's defaults, so a file names only what
// it changes. JSON is read as the YAML subset it is.
type policyFile struct {
	Drift drift.Policy `yaml:"drift"`
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
