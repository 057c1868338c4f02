package dataset

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/poisonguard/poisonguard/internal/format/csv"
)

// Text formats (CSV, JSONL) share one reading model, implemented here:
//
//   - Every value is text. Leading and trailing white space is trimmed
//     before a value is looked at, and categorical values are kept
//     trimmed.
//   - A value is missing when it is empty or one of NA, N/A and null (in
//     any case). "nan", "NaN", "inf" and the like are numbers: a NaN that
//     was present is data, not a gap.
//   - Kinds are inferred from the first Options.InferRows rows, which are
//     held in memory (at most maxSampleBytes of text and maxSampleFields
//     values; inference uses fewer rows when these caps are reached) and
//     then replayed. A column is Numeric when every non-missing value in
//     the sample parses as a float64 (strconv syntax), else Boolean when
//     every one is true or false in any case, else Categorical. A column
//     with no value in the sample is Numeric, all missing.
//   - After the sample, a value that does not fit its column's kind is
//     counted as invalid (see Invalid): in a Numeric column it reads as
//     Missing; in a Boolean column it is kept as its lower-case text, a
//     categorical value the profile can still count.
//   - The label column's values are canonical: a number is written by
//     FormatLabel, so "3", "3.0" and " 3 " are the same label "3"; any
//     other text is kept trimmed; a missing label is "".

// Caps on the inference sample, so that Options.InferRows times a wide or
// long row cannot exhaust memory.
const (
	maxSampleBytes  = 64 << 20
	maxSampleFields = 1 << 23
)

// maxInterned caps the distinct strings a source shares between rows
// (categorical values and labels); past it, each value is a new string.
const maxInterned = 1 << 16

// textRows yields the records of a text format, each a slice of raw
// fields aligned with the format's columns. A nil or empty field is a
// missing value. Fields stay valid until the next call.
type textRows interface {
	// next returns the next record or io.EOF; other errors are
	// *InputError.
	next() ([][]byte, error)
	close() error
}

// textSource turns textRows into batches of typed columns.
type textSource struct {
	path   string
	rows   textRows
	schema Schema
	// feat holds, for each schema column, its index in a record.
	feat     []int
	label    int // record index of the label column, -1 if none
	id       int // record index of the id column, -1 if none
	sample   sample
	replayed int // sample rows already returned
	invalid  []int64
	interned map[string]string // categorical values
	labels   map[string]string // raw label text to canonical label
	lower    []byte
	batch    Batch
	rowsMax  int
	emitted  int64
	done     bool
}

// newTextSource reads the inference sample from rows, whose records have
// the columns named by header, and infers the schema.
func newTextSource(path string, header []string, rows textRows, opts Options) (*textSource, error) {
	s := &textSource{path: path, rows: rows, label: -1, id: -1, interned: map[string]string{}, labels: map[string]string{}}
	index := make(map[string]int, len(header))
	for i, name := range header {
		if prev, dup := index[name]; dup {
			return nil, fmt.Errorf("%s: column name %q appears twice (columns %d and %d)", path, name, prev+1, i+1)
		}
		index[name] = i
	}
	find := func(role, name string) (int, error) {
		if name == "" {
			return -1, nil
		}
		i, ok := index[name]
		if !ok {
			return -1, fmt.Errorf("%s: no %s column %q; the columns are %s", path, role, name, listColumns(header))
		}
		return i, nil
	}
	var err error
	if s.label, err = find("label", opts.Label); err != nil {
		return nil, err
	}
	if s.id, err = find("id", opts.ID); err != nil {
		return nil, err
	}
	for i := range header {
		if i != s.label && i != s.id {
			s.feat = append(s.feat, i)
		}
	}

	s.sample.width = len(header)
	for s.sample.rows < opts.InferRows && !s.sample.full() {
		rec, err := rows.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		s.sample.add(rec)
	}

	s.schema.Columns = make([]Column, len(s.feat))
	for j, i := range s.feat {
		s.schema.Columns[j] = Column{Name: header[i], Kind: s.sample.infer(i)}
	}
	s.invalid = make([]int64, len(s.feat))
	s.rowsMax = arrayBatchRows(opts, max(len(s.feat), 1))
	s.batch.Cols = make([]Vector, len(s.feat))
	for j, c := range s.schema.Columns {
		if c.Kind == Numeric {
			s.batch.Cols[j].Num = make([]float64, 0, s.rowsMax)
		} else {
			s.batch.Cols[j].Str = make([]string, 0, s.rowsMax)
		}
	}
	if s.label >= 0 {
		s.batch.Labels = make([]string, 0, s.rowsMax)
	}
	if s.id >= 0 {
		s.batch.IDs = make([]string, 0, s.rowsMax)
	}
	return s, nil
}

// listColumns names the columns for an error message, the first few only
// when there are many.
func listColumns(names []string) string {
	const show = 20
	quoted := make([]string, 0, min(len(names), show))
	for _, n := range names[:min(len(names), show)] {
		quoted = append(quoted, fmt.Sprintf("%q", n))
	}
	s := strings.Join(quoted, ", ")
	if len(names) > show {
		s += fmt.Sprintf(" and %d more", len(names)-show)
	}
	return s
}

func (s *textSource) Schema() Schema  { return s.schema }
func (s *textSource) HasLabels() bool { return s.label >= 0 }
func (s *textSource) Close() error    { return s.rows.close() }

// Invalid returns, for each schema column, how many values read so far did
// not fit the column's inferred kind (a number column's text that does not
// parse, a boolean column's value other than true or false). Callers reach
// it through an interface{ Invalid() []int64 } assertion on the Source.
func (s *textSource) Invalid() []int64 { return append([]int64(nil), s.invalid...) }

func (s *textSource) Next(ctx context.Context) (*Batch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.done {
		return nil, io.EOF
	}
	b := &s.batch
	for j := range b.Cols {
		b.Cols[j].Num = b.Cols[j].Num[:0]
		b.Cols[j].Str = b.Cols[j].Str[:0]
	}
	if b.Labels != nil {
		b.Labels = b.Labels[:0]
	}
	if b.IDs != nil {
		b.IDs = b.IDs[:0]
	}
	n := 0
	for ; n < s.rowsMax; n++ {
		var rec [][]byte
		if s.replayed < s.sample.rows {
			rec = s.sample.record(s.replayed)
			s.replayed++
			if s.replayed == s.sample.rows {
				s.sample = sample{} // release it
			}
		} else {
			var err error
			if rec, err = s.rows.next(); err == io.EOF {
				s.done = true
				break
			} else if err != nil {
				return nil, err
			}
		}
		s.add(rec)
	}
	if n == 0 {
		return nil, io.EOF
	}
	b.Offset, b.Rows = s.emitted, n
	s.emitted += int64(n)
	return b, nil
}

// add appends one record to the batch.
func (s *textSource) add(rec [][]byte) {
	b := &s.batch
	for j, i := range s.feat {
		v := trimSpace(rec[i])
		col := &b.Cols[j]
		switch s.schema.Columns[j].Kind {
		case Numeric:
			x := Missing
			if !isMissingText(v) {
				if f, ok := csv.ParseFloat(v); ok {
					x = f
				} else {
					s.invalid[j]++
				}
			}
			col.Num = append(col.Num, x)
		case Boolean:
			str := ""
			if !isMissingText(v) {
				if t, ok := parseBool(v); ok {
					str = t
				} else {
					s.lower = append(s.lower[:0], v...)
					str = s.intern(bytes.ToLower(s.lower))
					s.invalid[j]++
				}
			}
			col.Str = append(col.Str, str)
		default:
			str := ""
			if !isMissingText(v) {
				str = s.intern(v)
			}
			col.Str = append(col.Str, str)
		}
	}
	if s.label >= 0 {
		b.Labels = append(b.Labels, s.canonicalLabel(trimSpace(rec[s.label])))
	}
	if s.id >= 0 {
		v := trimSpace(rec[s.id])
		id := ""
		if !isMissingText(v) {
			id = string(v)
		}
		b.IDs = append(b.IDs, id)
	}
}

// intern returns v as a string, shared with earlier equal values while
// the table has room.
func (s *textSource) intern(v []byte) string {
	if str, ok := s.interned[string(v)]; ok {
		return str
	}
	str := string(v)
	if len(s.interned) < maxInterned {
		s.interned[str] = str
	}
	return str
}

// canonicalLabel returns the canonical form of a trimmed label.
func (s *textSource) canonicalLabel(v []byte) string {
	if isMissingText(v) {
		return ""
	}
	if str, ok := s.labels[string(v)]; ok {
		return str
	}
	str := string(v)
	if f, ok := csv.ParseFloat(v); ok {
		str = FormatLabel(f)
	}
	if len(s.labels) < maxInterned {
		s.labels[string(v)] = str
	}
	return str
}

// trimSpace is bytes.TrimSpace with a fast exit for the usual value that
// has no space to trim.
func trimSpace(v []byte) []byte {
	if n := len(v); n == 0 || (v[0] > ' ' && v[0] < 0x80 && v[n-1] > ' ' && v[n-1] < 0x80) {
		return v
	}
	return bytes.TrimSpace(v)
}

// isMissingText reports whether a trimmed value stands for a missing one:
// empty, NA, N/A or null, in any case.
func isMissingText(v []byte) bool {
	switch len(v) {
	case 0:
		return true
	case 2:
		return v[0]|0x20 == 'n' && v[1]|0x20 == 'a'
	case 3:
		return v[0]|0x20 == 'n' && v[1] == '/' && v[2]|0x20 == 'a'
	case 4:
		return v[0]|0x20 == 'n' && bytes.EqualFold(v, []byte("null"))
	}
	return false
}

// parseBool returns "true" or "false" for those words in any case.
func parseBool(v []byte) (string, bool) {
	switch {
	case bytes.EqualFold(v, []byte("true")):
		return "true", true
	case bytes.EqualFold(v, []byte("false")):
		return "false", true
	}
	return "", false
}

// sample holds the first rows of a text source, trimmed, in one block.
type sample struct {
	width int
	rows  int
	data  []byte
	ends  []uint32 // end of each field in data, width per row
	rec   [][]byte
}

func (p *sample) full() bool {
	return len(p.data) >= maxSampleBytes || len(p.ends)+p.width > maxSampleFields
}

func (p *sample) add(rec [][]byte) {
	for _, f := range rec {
		p.data = append(p.data, trimSpace(f)...)
		p.ends = append(p.ends, uint32(len(p.data)))
	}
	p.rows++
}

// record returns row i's fields, valid until the next call.
func (p *sample) record(i int) [][]byte {
	p.rec = p.rec[:0]
	start := uint32(0)
	if i > 0 {
		start = p.ends[i*p.width-1]
	}
	for _, end := range p.ends[i*p.width : (i+1)*p.width] {
		p.rec = append(p.rec, p.data[start:end:end])
		start = end
	}
	return p.rec
}

// infer returns the kind of field i over the sample's rows.
func (p *sample) infer(i int) Kind {
	numeric, boolean := true, true
	for r := range p.rows {
		start := uint32(0)
		if k := r*p.width + i; k > 0 {
			start = p.ends[k-1]
		}
		v := p.data[start:p.ends[r*p.width+i]]
		if isMissingText(v) {
			continue
		}
		if numeric {
			if _, ok := csv.ParseFloat(v); !ok {
				numeric = false
			}
		}
		if boolean {
			if _, ok := parseBool(v); !ok {
				boolean = false
			}
		}
		if !numeric && !boolean {
			return Categorical
		}
	}
	if numeric {
		return Numeric
	}
	return Boolean
}
