package dataset

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/poisonguard/poisonguard/internal/format/jsonl"
)

// openJSONL opens a JSON Lines file (raw or gzipped) of flat objects as a
// source. The first object's keys, in their order, are the columns; a
// later object may leave keys out (missing values) but may not bring a
// key the first one lacks. Values are read as text, as CSV fields are (see
// infer.go): null is missing, true and false are booleans, numbers keep
// their text, and a string holding a number counts as one. Nested objects
// and arrays are refused. The source has an Invalid() []int64 method
// counting values that did not fit their column's kind.
func openJSONL(path string, opts Options) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s, err := newJSONLSource(path, f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func newJSONLSource(path string, f *os.File, opts Options) (*textSource, error) {
	rows := &jsonlRows{path: path, f: f, r: jsonl.NewReader(f, jsonl.Options{})}
	first, err := rows.r.Read()
	if err == io.EOF {
		return nil, &InputError{Path: path, Offset: 0, Err: errors.New("empty file: no objects")}
	}
	if err != nil {
		return nil, rows.inputError(err)
	}
	if len(first) == 0 {
		return nil, &InputError{Path: path, Row: 1, Offset: rows.r.Offset(),
			Err: errors.New("the first object has no keys, but its keys name the columns")}
	}
	header := make([]string, len(first))
	rows.index = make(map[string]int, len(first))
	for i, fl := range first {
		header[i] = string(fl.Key)
		rows.index[header[i]] = i // the reader refuses duplicate keys
	}
	rows.first = first
	rows.rec = make([][]byte, len(header))
	rows.header = header
	return newTextSource(path, header, rows, opts)
}

// jsonlRows adapts jsonl.Reader to textRows.
type jsonlRows struct {
	path   string
	f      *os.File
	r      *jsonl.Reader
	header []string
	index  map[string]int
	first  []jsonl.Field // the first object, read to learn the columns
	rec    [][]byte
}

func (c *jsonlRows) next() ([][]byte, error) {
	fields := c.first
	if fields != nil {
		c.first = nil
	} else {
		var err error
		if fields, err = c.r.Read(); err == io.EOF {
			return nil, io.EOF
		} else if err != nil {
			return nil, c.inputError(err)
		}
	}
	clear(c.rec)
	for _, fl := range fields {
		i, ok := c.index[string(fl.Key)]
		if !ok {
			return nil, &InputError{Path: c.path, Row: c.r.Records(), Offset: c.r.Offset(),
				Err: fmt.Errorf("line %d: unknown key %q; the first object's keys (%s) are the columns",
					c.r.Line(), fl.Key, listColumns(c.header))}
		}
		if fl.Kind != jsonl.Null {
			c.rec[i] = fl.Value
		}
	}
	return c.rec, nil
}

func (c *jsonlRows) close() error { return c.f.Close() }

// inputError places a scanner error by object number, byte offset and
// physical line.
func (c *jsonlRows) inputError(err error) error {
	var se *jsonl.SyntaxError
	if !errors.As(err, &se) {
		return &InputError{Path: c.path, Offset: -1, Err: err}
	}
	return &InputError{Path: c.path, Row: se.Record, Offset: se.Offset,
		Err: fmt.Errorf("line %d: %w", se.Line, se.Err)}
}
