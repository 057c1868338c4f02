package drill

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/internal/atomicfile"
	"github.com/poisonguard/poisonguard/internal/format/npy"
)

// Names of the files WriteDir writes.
const (
	FileReport     = "report.json"
	FileMarkdown   = "report.md"
	FileAttack     = "attack.json"
	FilePoisoned   = "poisoned.npy"
	FileFeatures   = "train-features.npy"
	FileLabels     = "train-labels.npy"
	FileEmbeddings = "embeddings.npy"
	DirClean       = "model-clean"
	DirPoisoned    = "model-poisoned"
)

// WriteDir keeps a drill's artefacts in dir: the report as JSON and
// Markdown, the attack spec, the poisoned training set (features as
// uint8 when every value is a byte, else float32, labels as int64) with
// the indices of its poisoned rows; labels are class indices, both models, and the poisoned model's
// embeddings of every training row (float32). Each file is written
// atomically.
func WriteDir(dir string, o *Outcome) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	set := o.Attack.Poisoned
	writes := []struct {
		name string
		fill func(io.Writer) error
	}{
		{FileAttack, func(w io.Writer) error { return writeJSON(w, o.Attack.Spec) }},
		{FilePoisoned, func(w io.Writer) error {
			return npy.Write(w, []int64{int64(len(o.Attack.Indices))}, int64s(o.Attack.Indices))
		}},
		{FileFeatures, func(w io.Writer) error { return dataset.WriteFeatures(w, set, dataset.FormatNPY, "") }},
		{FileLabels, func(w io.Writer) error { return npy.Write(w, []int64{int64(set.N)}, int64s(set.Y)) }},
		{FileEmbeddings, func(w io.Writer) error {
			e := o.Poisoned.EmbeddingSize()
			return npy.Write(w, []int64{int64(set.N), int64(e)}, o.Poisoned.Embed(set.X, set.N))
		}},
		{FileReport, func(w io.Writer) error { return writeJSON(w, o.Report) }},
		{FileMarkdown, o.Report.WriteMarkdown},
	}
	for _, f := range writes {
		if err := atomicfile.Write(filepath.Join(dir, f.name), 0o644, f.fill); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if err := o.Clean.Save(filepath.Join(dir, DirClean)); err != nil {
		return err
	}
	return o.Poisoned.Save(filepath.Join(dir, DirPoisoned))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
