package dataset

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/poisonguard/poisonguard/internal/format/csv"
)

// openCSV opens a CSV file (raw or gzipped) as a source. The first record
// is the header; a column with an empty name is called colN (N counting
// from 1, as pandas' unnamed index column would otherwise be nameless).
// Files named .tsv or .tab (before any .gz) are tab-separated. Values are
// read as described in infer.go: trimmed, NA and empty as missing, kinds
// inferred from the first Options.InferRows rows. The source has an
// Invalid() []int64 method counting values that did not fit their column's
// kind.
func openCSV(path string, opts Options) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s, err := newCSVSource(path, f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func newCSVSource(path string, f *os.File, opts Options) (*textSource, error) {
	r, err := csv.NewReader(f, csv.Options{Comma: csvDelimiter(path)})
	if err != nil {
		return nil, err
	}
	rows := &csvRows{path: path, f: f, r: r, headerRows: 1}
	rec, err := r.Read()
	if err == io.EOF {
		return nil, &InputError{Path: path, Offset: 0, Err: errors.New("empty file: no header")}
	}
	if err != nil {
		return nil, rows.inputError(err)
	}
	header := make([]string, len(rec))
	for i, name := range rec {
		header[i] = strings.TrimSpace(string(name))
		if header[i] == "" {
			header[i] = "col" + strconv.Itoa(i+1)
		}
	}
	return newTextSource(path, header, rows, opts)
}

// csvDelimiter returns tab for .tsv and .tab files, else comma.
func csvDelimiter(path string) byte {
	name := strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz")
	if strings.HasSuffix(name, ".tsv") || strings.HasSuffix(name, ".tab") {
		return '\t'
	}
	return ','
}

// csvRows adapts csv.Reader to textRows.
type csvRows struct {
	path       string
	f          *os.File
	r          *csv.Reader
	headerRows int64 // records before the first data row
}

func (c *csvRows) next() ([][]byte, error) {
	rec, err := c.r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, c.inputError(err)
	}
	return rec, nil
}

func (c *csvRows) close() error { return c.f.Close() }

// inputError places a tokenizer error: the data row (a header is not
// one), the byte offset, and the physical line in the message.
func (c *csvRows) inputError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return &InputError{Path: c.path, Offset: -1, Err: err}
	}
	return &InputError{Path: c.path, Row: max(pe.Record-c.headerRows, 0), Offset: pe.Offset,
		Err: fmt.Errorf("line %d: %w", pe.Line, pe.Err)}
}

// openTextLabels opens a CSV or text file of labels, one a line, raw or
// gzipped. The file has a single column; a blank line is a missing label.
// The first line is a header, and skipped, when it is one of label,
// labels, target, class or y (in any case), or when it is not a number
// while the second line is. Labels are canonical as in a label column.
func openTextLabels(path string) (LabelReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := csv.NewReader(f, csv.Options{Comma: csvDelimiter(path), FieldsPerRecord: 1})
	if err != nil {
		f.Close()
		return nil, err
	}
	l := &textLabels{rows: csvRows{path: path, f: f, r: r}, canon: textSource{labels: map[string]string{}}}
	// Look at the first two lines to spot a header.
	for range 2 {
		rec, err := l.rows.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			return nil, labelsError(err)
		}
		l.head = append(l.head, strings.TrimSpace(string(rec[0])))
	}
	if len(l.head) > 0 && isLabelHeader(l.head) {
		l.head = l.head[1:]
		l.rows.headerRows = 1
	}
	return l, nil
}

// isLabelHeader applies openTextLabels' header rule to the first lines.
func isLabelHeader(head []string) bool {
	switch strings.ToLower(head[0]) {
	case "label", "labels", "target", "class", "y":
		return true
	}
	isNum := func(s string) bool {
		_, ok := csv.ParseFloat([]byte(s))
		return ok
	}
	return len(head) == 2 && !isMissingText([]byte(head[0])) && !isNum(head[0]) && isNum(head[1])
}

// textLabels reads labels from a one-column text file.
type textLabels struct {
	rows  csvRows
	canon textSource // for canonicalLabel and its cache
	head  []string   // lines read ahead, not yet returned
	eof   bool
}

func (l *textLabels) Read(n int) ([]string, error) {
	out := make([]string, 0, min(n, 1<<16))
	for len(out) < n && len(l.head) > 0 {
		out = append(out, l.canon.canonicalLabel([]byte(l.head[0])))
		l.head = l.head[1:]
	}
	for len(out) < n && !l.eof {
		rec, err := l.rows.next()
		if err == io.EOF {
			l.eof = true
			break
		}
		if err != nil {
			return nil, labelsError(err)
		}
		out = append(out, l.canon.canonicalLabel(trimSpace(rec[0])))
	}
	if len(out) == 0 {
		return nil, io.EOF
	}
	return out, nil
}

// labelsError explains a field count error in a labels file.
func labelsError(err error) error {
	if errors.Is(err, csv.ErrFieldCount) {
		return fmt.Errorf("%w (a labels file has one column)", err)
	}
	return err
}

func (l *textLabels) Close() error { return l.rows.close() }
