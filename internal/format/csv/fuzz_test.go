package csv_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/csv"
)

// writeCSV writes rows with the quoting a careful writer would use: a
// field is quoted when it holds a delimiter, quote, CR or LF, when it could
// be taken for a byte order mark, or when it is the only field of its row
// and empty (a blank line).
func writeCSV(rows [][]string, crlf bool) []byte {
	var b bytes.Buffer
	for _, row := range rows {
		for i, f := range row {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(f, ",\"\r\n") || strings.HasPrefix(f, "\xef") || (f == "" && len(row) == 1) {
				b.WriteByte('"')
				b.WriteString(strings.ReplaceAll(f, `"`, `""`))
				b.WriteByte('"')
			} else {
				b.WriteString(f)
			}
		}
		if crlf {
			b.WriteString("\r\n")
		} else {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func FuzzReader(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.*sv"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(3), uint16(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, shape uint8, bufSize uint16) {
		// Any input: a small buffer, which forces refills in the middle
		// of records, must read exactly what one large buffer reads.
		for _, width := range []int{0, -1} {
			big, errBig := readAll(t, data, csv.Options{FieldsPerRecord: width, BufferBytes: 1 << 12})
			small, errSmall := readAll(t, data, csv.Options{FieldsPerRecord: width, BufferBytes: int(bufSize%64) + 1})
			if !reflect.DeepEqual(big, small) {
				t.Fatalf("buffer sizes disagree:\nbig   %q\nsmall %q", big, small)
			}
			if (errBig == nil) != (errSmall == nil) || (errBig != nil && errBig.Error() != errSmall.Error()) {
				t.Fatalf("buffer sizes disagree on the error: %v, %v", errBig, errSmall)
			}
		}

		// Round trip: fields cut from data, written with quoting, read
		// back equal.
		width := int(shape%4) + 1
		parts := strings.Split(string(data), "\x00")
		var rows [][]string
		for len(parts) >= width {
			rows = append(rows, parts[:width])
			parts = parts[width:]
		}
		got, err := readAll(t, writeCSV(rows, shape&0x80 != 0), csv.Options{BufferBytes: int(bufSize%64) + 1})
		if err != nil {
			t.Fatalf("reading written rows: %v", err)
		}
		if len(rows) == 0 {
			rows = nil
		}
		if !reflect.DeepEqual(got, rows) {
			t.Fatalf("round trip:\nwrote %q\nread  %q", rows, got)
		}
	})
}
