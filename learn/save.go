package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/poisonguard/poisonguard/internal/atomicfile"
	"github.com/poisonguard/poisonguard/internal/format/safetensors"
)

// The files a saved model consists of, inside its folder.
const (
	ConfigFile  = "model.json"
	WeightsFile = "model.safetensors"
)

// FormatVersion is the version of the saved-model layout.
const FormatVersion = 1

// savedConfig is the content of model.json.
type savedConfig struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Config  Config `json:"config"`
}

const formatName = "poisonguard-model"

// Names of the input scaling tensors in the weights file.
const (
	shiftTensor  = "input.shift"
	factorTensor = "input.factor"
)

// Save writes the model to dir as model.json (the architecture) and
// model.safetensors (the weights and the input scaling), each atomically.
func (m *Model) Save(dir string) error {
	if !m.fitted {
		return errors.New("save: the model is not trained")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg, err := json.MarshalIndent(savedConfig{Format: formatName, Version: FormatVersion, Config: m.Config}, "", "  ")
	if err != nil {
		return err
	}
	f := &safetensors.File{Metadata: map[string]string{"format": formatName}}
	for _, p := range m.Params() {
		f.Tensors = append(f.Tensors, safetensors.FromFloat32s(p.Name, p.Shape, p.W))
	}
	d := m.Config.Inputs
	f.Tensors = append(f.Tensors,
		safetensors.FromFloat32s(shiftTensor, []int{d}, m.scale.shift),
		safetensors.FromFloat32s(factorTensor, []int{d}, m.scale.factor))
	if err := atomicfile.Write(filepath.Join(dir, WeightsFile), 0o644, func(w io.Writer) error {
		return safetensors.Write(w, f)
	}); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, ConfigFile), 0o644, func(w io.Writer) error {
		_, err := w.Write(append(cfg, '\n'))
		return err
	})
}

// maxConfigBytes bounds model.json.
const maxConfigBytes = 1 << 20

// Load reads a model that Save wrote. Every tensor must be present with
// the shape the architecture needs, and no other tensor may be.
func Load(dir string) (*Model, error) {
	cfgPath := filepath.Join(dir, ConfigFile)
	raw, err := readLimited(cfgPath, maxConfigBytes)
	if err != nil {
		return nil, err
	}
	var sc savedConfig
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	if sc.Format != formatName || sc.Version != FormatVersion {
		return nil, fmt.Errorf("%s: not a version %d poisonguard model (format %q, version %d)", cfgPath, FormatVersion, sc.Format, sc.Version)
	}
	m, err := New(sc.Config, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	wPath := filepath.Join(dir, WeightsFile)
	tensors, err := readTensors(wPath)
	if err != nil {
		return nil, err
	}
	d := m.Config.Inputs
	m.scale = inputScale{shift: make([]float32, d), factor: make([]float32, d)}
	want := map[string][]float32{shiftTensor: m.scale.shift, factorTensor: m.scale.factor}
	for _, p := range m.Params() {
		want[p.Name] = p.W
	}
	for _, t := range tensors {
		dst, ok := want[t.Name]
		if !ok {
			return nil, fmt.Errorf("%s: tensor %q is not part of a %s model", wPath, t.Name, m.Config.Arch)
		}
		vals, err := t.Float32s()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", wPath, err)
		}
		if len(vals) != len(dst) {
			return nil, fmt.Errorf("%s: tensor %q holds %d values, the model needs %d", wPath, t.Name, len(vals), len(dst))
		}
		copy(dst, vals)
		delete(want, t.Name)
	}
	for name := range want {
		return nil, fmt.Errorf("%s: tensor %q is missing", wPath, name)
	}
	m.fitted = true
	return m, nil
}

func readTensors(path string) ([]safetensors.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	sf, err := safetensors.Read(f, info.Size(), safetensors.Limits{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sf.Tensors, nil
}

// readLimited reads a whole file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, nil
}
