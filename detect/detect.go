// Package detect finds poisoned rows of a training set: backdoor-trigger
// rows and flipped labels. Each detector reads the rows' features or a
// model's embeddings (and, where it helps, a second view: the raw inputs,
// or out-of-sample class probabilities) with their labels, and returns a
// suspicion score per row and a statistic per class. Scan gates classes,
// fuses detectors and applies a removal budget.
package detect

import (
	"fmt"

	"github.com/poisonguard/poisonguard/dataset"
)

// Matrix is a dense row-major float32 matrix.
type Matrix struct {
	Data       []float32
	Rows, Cols int
}

// Row returns row i, sharing storage with the matrix.
func (m Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// Validate checks the matrix's dimensions against its data.
func (m Matrix) Validate() error {
	if m.Rows < 0 || m.Cols < 0 || len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("matrix of %d×%d holds %d values", m.Rows, m.Cols, len(m.Data))
	}
	return nil
}

// Data is what the detectors read.
type Data struct {
	// Features holds one row per training row: features or a model's
	// embeddings (the last hidden layer's activations).
	Features Matrix
	// Labels holds each row's class index in [0, Classes).
	Labels  []int
	Classes int
	// Inputs, when set, is a second view of the same rows: the raw
	// training inputs (pixels, tabular features).
	Inputs *Matrix
	// InputShape is the image shape of an input row, or zero for tabular
	// inputs.
	InputShape dataset.Shape
	// Probs, when set, holds out-of-sample class probabilities,
	// Rows×Classes.
	Probs *Matrix
}

// Validate checks that the views agree on the rows.
func (d *Data) Validate() error {
	if err := d.Features.Validate(); err != nil {
		return fmt.Errorf("features: %w", err)
	}
	n := d.Features.Rows
	if len(d.Labels) != n {
		return fmt.Errorf("%d labels for %d rows", len(d.Labels), n)
	}
	for i, y := range d.Labels {
		if y < 0 || y >= d.Classes {
			return fmt.Errorf("row %d: class %d outside [0, %d)", i, y, d.Classes)
		}
	}
	if d.Inputs != nil {
		if err := d.Inputs.Validate(); err != nil {
			return fmt.Errorf("inputs: %w", err)
		}
		if d.Inputs.Rows != n {
			return fmt.Errorf("%d input rows for %d feature rows", d.Inputs.Rows, n)
		}
	}
	if d.Probs != nil {
		if err := d.Probs.Validate(); err != nil {
			return fmt.Errorf("probabilities: %w", err)
		}
		if d.Probs.Rows != n || d.Probs.Cols != d.Classes {
			return fmt.Errorf("probabilities of %d×%d for %d rows of %d classes", d.Probs.Rows, d.Probs.Cols, n, d.Classes)
		}
	}
	return nil
}

// ClassIndex lists the rows of each class.
func (d *Data) ClassIndex() [][]int {
	rows := make([][]int, d.Classes)
	for i, y := range d.Labels {
		rows[y] = append(rows[y], i)
	}
	return rows
}

// Scores is one detector's output.
type Scores struct {
	// Detector names the detector, as --detector spells it.
	Detector string
	// Row holds a suspicion score per row: higher is more suspicious.
	// Scores compare within one detector only.
	Row []float64
	// Like holds, per row, the class the row looks like when the
	// detector can tell (its neighbours' or the model's majority class),
	// else -1; nil when the detector never tells.
	Like []int
	// Class holds a statistic per class for the class-level gate.
	Class []ClassStat
}

// ClassStat is a detector's view of one class.
type ClassStat struct {
	Class int `json:"class"`
	Rows  int `json:"rows"`
	// Statistic is the detector's evidence that the class holds poison
	// (a spectral gap, a cluster separation, a disagreement mass); larger
	// is stronger.
	Statistic float64 `json:"statistic"`
	// Poisoned is the detector's own verdict on the class.
	Poisoned bool `json:"poisoned"`
}

// newScores checks d and allocates a per-class detector's scores: a row
// score per row and a statistic per class, each class's row count set.
func newScores(d *Data, detector string) (*Scores, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", detector, err)
	}
	sc := &Scores{
		Detector: detector,
		Row:      make([]float64, d.Features.Rows),
		Class:    make([]ClassStat, d.Classes),
	}
	for c := range sc.Class {
		sc.Class[c].Class = c
	}
	for _, y := range d.Labels {
		sc.Class[y].Rows++
	}
	return sc, nil
}
