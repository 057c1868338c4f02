package dataset

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/poisonguard/poisonguard/internal/format/idx"
	"github.com/poisonguard/poisonguard/internal/format/npy"
)

// WriteFeatures writes the set in a format: CSV, JSONL and Parquet hold the
// features and, in labelColumn, the labels (as the input spelled them);
// .npy and IDX hold the features alone (bytes when every value is an
// integer in 0..255, else float32; images keep their N×H×W[×C] shape),
// and WriteLabels writes their labels.
func WriteFeatures(w io.Writer, s *Set, format Format, labelColumn string) error {
	switch format {
	case FormatCSV:
		return writeCSV(w, s, labelColumn)
	case FormatJSONL:
		return writeJSONL(w, s, labelColumn)
	case FormatParquet:
		return writeParquet(w, s, labelColumn)
	case FormatNPY, FormatIDX:
		shape := []int{s.N, s.D}
		if s.Shape.IsImage() {
			shape = []int{s.N, s.Shape.Height, s.Shape.Width}
			if s.Shape.Channels > 1 {
				shape = append(shape, s.Shape.Channels)
			}
		}
		b, isBytes := asBytes(s.X)
		switch {
		case format == FormatIDX && isBytes:
			return idx.Write(w, shape, b)
		case format == FormatIDX:
			return idx.Write(w, shape, s.X)
		case isBytes:
			return npy.Write(w, int64s(shape), b)
		}
		return npy.Write(w, int64s(shape), s.X)
	}
	return fmt.Errorf("writing %s files is not supported", format)
}

// WriteLabels writes the labels of an array format: IDX bytes, or .npy
// int64. The labels must be integers (IDX: 0..255).
func WriteLabels(w io.Writer, s *Set, format Format) error {
	vals := make([]int64, s.N)
	for i, y := range s.Y {
		v, err := strconv.ParseInt(s.className(y), 10, 64)
		if err != nil {
			return fmt.Errorf("label %q is not an integer; %s labels must be", s.className(y), format)
		}
		vals[i] = v
	}
	switch format {
	case FormatIDX:
		b := make([]uint8, len(vals))
		for i, v := range vals {
			if v < 0 || v > 255 {
				return fmt.Errorf("label %d does not fit an IDX byte", v)
			}
			b[i] = uint8(v)
		}
		return idx.Write(w, []int{s.N}, b)
	case FormatNPY:
		return npy.Write(w, []int64{int64(s.N)}, vals)
	}
	return fmt.Errorf("%s files carry their labels in a column", format)
}

// className returns class c's label text.
func (s *Set) className(c int) string {
	if c < len(s.Names) {
		return s.Names[c]
	}
	return strconv.Itoa(c)
}

// columnName returns feature column j's name.
func (s *Set) columnName(j int) string {
	if j < len(s.Columns) {
		return s.Columns[j]
	}
	return "f" + strconv.Itoa(j)
}

func writeCSV(w io.Writer, s *Set, labelColumn string) error {
	cw := csv.NewWriter(w)
	rec := make([]string, s.D+1)
	for j := range s.D {
		rec[j] = s.columnName(j)
	}
	rec[s.D] = labelColumn
	if err := cw.Write(rec); err != nil {
		return err
	}
	for i := range s.N {
		for j, v := range s.Row(i) {
			rec[j] = strconv.FormatFloat(float64(v), 'g', -1, 32)
		}
		rec[s.D] = s.className(s.Y[i])
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeJSONL(w io.Writer, s *Set, labelColumn string) error {
	bw := bufio.NewWriter(w)
	keys := make([][]byte, s.D+1)
	for j := range s.D + 1 {
		name := labelColumn
		if j < s.D {
			name = s.columnName(j)
		}
		k, err := json.Marshal(name)
		if err != nil {
			return err
		}
		keys[j] = append(k, ':')
	}
	// A label that is a JSON number stays one; others are strings.
	labels := make([][]byte, s.Classes)
	for c := range labels {
		name := s.className(c)
		if _, err := strconv.ParseFloat(name, 64); err == nil && json.Valid([]byte(name)) {
			labels[c] = []byte(name)
		} else if labels[c], err = json.Marshal(name); err != nil {
			return err
		}
	}
	var line []byte
	for i := range s.N {
		line = append(line[:0], '{')
		for j, v := range s.Row(i) {
			line = append(line, keys[j]...)
			line = strconv.AppendFloat(line, float64(v), 'g', -1, 32)
			line = append(line, ',')
		}
		line = append(line, keys[s.D]...)
		line = append(line, labels[s.Y[i]]...)
		line = append(line, '}', '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// allBytes reports whether each value is an integer in 0..255.
func allBytes(x []float32) bool {
	for _, v := range x {
		if v < 0 || v > 255 || v != float32(int(v)) {
			return false
		}
	}
	return true
}

// asBytes returns the values as bytes when each is an integer in 0..255.
func asBytes(x []float32) ([]uint8, bool) {
	if !allBytes(x) {
		return nil, false
	}
	b := make([]uint8, len(x))
	for i, v := range x {
		b[i] = uint8(v)
	}
	return b, true
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
