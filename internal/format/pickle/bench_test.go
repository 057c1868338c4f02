package pickle_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/pickle"
)

// torchLike builds a pickle shaped like a state dict: tensors entries,
// each a key, a memoized rebuild global, a persistent-id tuple, a shape
// tuple and a REDUCE, and payload bytes of BINBYTES8 after each (0 for
// none).
func torchLike(tensors int, payload int) []byte {
	var b bytes.Buffer
	b.WriteString("\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00")
	b.WriteString(su("collections") + su("OrderedDict") + "\x93\x94)R\x94(")
	b.WriteString(su("torch._utils") + su("_rebuild_tensor_v2") + "\x93\x94") // memo 2
	b.WriteString(su("torch") + su("FloatStorage") + "\x93\x94")              // memo 3
	b.WriteString("0")                                                        // leave the storage type in the memo only
	b.WriteString("0")
	data := make([]byte, payload)
	for i := range tensors {
		b.WriteString(su(fmt.Sprintf("layers.%d.weight", i)) + "\x94h\x02((" + su("storage") + "\x94h\x03")
		b.WriteString(su(fmt.Sprint(i)) + "\x94" + su("cpu") + "\x94M\x00\x04t\x94Q")
		b.WriteString("K\x00K\x20K\x20\x86\x94K\x20K\x01\x86\x94\x89h\x00)R\x94t\x94R\x94")
		if payload > 0 {
			var n [8]byte
			binary.LittleEndian.PutUint64(n[:], uint64(payload))
			b.WriteString(su(fmt.Sprintf("blob.%d", i)) + "\x8e")
			b.Write(n[:])
			b.Write(data)
		}
	}
	b.WriteString("u.")
	return b.Bytes()
}

// noSeek hides a reader's Seek method, so payloads are read, not skipped.
type noSeek struct{ r io.Reader }

func (n noSeek) Read(p []byte) (int, error) { return n.r.Read(p) }

func benchScan(b *testing.B, data []byte, seek bool) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var r io.Reader = bytes.NewReader(data)
		if !seek {
			r = noSeek{r}
		}
		st, err := pickle.Scan(context.Background(), r, pickle.Options{}, func(pickle.Event) {})
		if err != nil || st.Pickles != 1 {
			b.Fatalf("stats %+v, error %v", st, err)
		}
	}
}

// BenchmarkScan measures the scan of a state-dict-like pickle: small
// opcodes only, and with 1 MiB payloads read through (no Seek) or skipped
// with Seek.
func BenchmarkScan(b *testing.B) {
	small := torchLike(20000, 0)
	big := torchLike(64, 1<<20)
	b.Run("opcodes", func(b *testing.B) { benchScan(b, small, false) })
	b.Run("payloads-read", func(b *testing.B) { benchScan(b, big, false) })
	b.Run("payloads-seek", func(b *testing.B) { benchScan(b, big, true) })
}

func TestTorchLikeIsValid(t *testing.T) {
	for _, payload := range []int{0, 1000} {
		evs, st, err := scanAll(t, torchLike(50, payload), pickle.Options{})
		if err != nil || st.Anomalies != 0 || st.Pickles != 1 {
			t.Fatalf("stats %+v, error %v", st, err)
		}
		for _, e := range evs {
			if e.Kind != pickle.Global {
				t.Errorf("event %+v", e)
			}
		}
	}
}
