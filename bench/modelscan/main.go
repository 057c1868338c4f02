// Command modelscan reads a pickle file through the model scanner's
// pickle machine without letting it seek, so every payload byte is read
// and skipped through its fixed buffer: the streaming floor of "model
// scan" on one file, for bench/modelscan/run.sh.
//
//	go build -o /tmp/stream ./bench/modelscan && GOMAXPROCS=1 /tmp/stream big.pkl
//
// It prints the bytes, seconds, MB/s and globals found.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/poisonguard/poisonguard/internal/format/pickle"
)

// noSeek hides the file's Seek method.
type noSeek struct{ r io.Reader }

func (n noSeek) Read(p []byte) (int, error) { return n.r.Read(p) }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "modelscan:", err)
		os.Exit(2)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: modelscan FILE")
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	globals := map[string]int{}
	start := time.Now()
	st, err := pickle.Scan(context.Background(), noSeek{f}, pickle.Options{}, func(e pickle.Event) {
		globals[e.Module+"."+e.Name]++
	})
	elapsed := time.Since(start)
	if err != nil {
		return err
	}
	fmt.Printf("bytes %d seconds %.3f MB/s %.0f pickles %d opcodes %d globals %v\n",
		st.End, elapsed.Seconds(), float64(st.End)/1e6/elapsed.Seconds(), st.Pickles, st.Opcodes, globals)
	return nil
}
