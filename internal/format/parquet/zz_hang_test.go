package parquet_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"
)

func TestTmpHang(t *testing.T) {
	debug.SetTraceback("all")
	paths, _ := filepath.Glob("testdata/*.parquet")
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 200000; iter++ {
		data, _ := os.ReadFile(paths[iter%len(paths)])
		for k := 0; k < 1+rng.IntN(4); k++ {
			switch rng.IntN(3) {
			case 0:
				data[rng.IntN(len(data))] ^= byte(1 << rng.IntN(8))
			case 1:
				data[rng.IntN(len(data))] = byte(rng.IntN(256))
			case 2:
				data[rng.IntN(len(data))] = []byte{0, 0xff, 0x7f, 0x80}[rng.IntN(4)]
			}
		}
		done := make(chan struct{})
		timer := time.AfterFunc(3*time.Second, func() {
			os.WriteFile("/tmp/hang.parquet", data, 0o644)
			panic("hang")
		})
		go func() { readAll(data); close(done) }()
		<-done
		timer.Stop()
	}
}
