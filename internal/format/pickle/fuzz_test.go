package pickle_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/pickle"
)

// FuzzScan checks that Scan never panics, reports offsets inside the
// input, returns only *pickle.Error for bad input, and ends where it says.
func FuzzScan(f *testing.F) {
	for _, dir := range []string{"testdata", "../../../scan/testdata"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.pkl"))
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add(torchLike(3, 10))
	f.Add([]byte("cos\nsystem\n(S'id'\ntR."))
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := pickle.Limits{MaxMemo: 64, MaxStack: 64, MaxOpcodes: 1 << 16}
		st, err := pickle.Scan(context.Background(), bytes.NewReader(b), pickle.Options{Limits: lim},
			func(e pickle.Event) {
				if e.Offset < 0 || e.Offset >= int64(len(b)) {
					t.Fatalf("event %+v outside %d bytes", e, len(b))
				}
			})
		var pe *pickle.Error
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("error %v is not a *pickle.Error", err)
		}
		if err == nil && st.End != int64(len(b)) {
			t.Fatalf("clean scan ended at %d of %d bytes", st.End, len(b))
		}
		if pe != nil && (pe.Offset < 0 || pe.Offset > int64(len(b))) {
			t.Fatalf("error offset %d outside %d bytes", pe.Offset, len(b))
		}
	})
}
