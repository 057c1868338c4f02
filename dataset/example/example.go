// Package example embeds the small real datasets poisonguard ships for its
// demo, documentation and tests, so that nothing needs a download. See
// README.md in this folder for their sources and licences.
package example

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/poisonguard/poisonguard/internal/atomicfile"
)

//go:embed *.csv
var files embed.FS

// The shipped files.
const (
	DigitsTrain    = "digits-train.csv"    // 1200 digits rows, the baseline
	DigitsBatch    = "digits-batch.csv"    // 597 other rows, a clean batch
	DigitsTampered = "digits-tampered.csv" // the same rows, poisoned
	Diabetes       = "diabetes.csv"        // 442 rows, 10 features, target
)

// FS returns the embedded files.
func FS() fs.FS { return files }

// Extract writes the named files into dir and returns their paths.
func Extract(dir string, names ...string) ([]string, error) {
	paths := make([]string, len(names))
	for i, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("example %s: %w", name, err)
		}
		paths[i] = filepath.Join(dir, name)
		if err := atomicfile.Write(paths[i], 0o644, func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		}); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
