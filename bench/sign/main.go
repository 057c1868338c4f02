// Command sign measures how fast "poisonguard model sign" hashes a large
// model already in the page cache, against openssl dgst -sha256 (which uses
// the CPU's SHA extensions) run in parallel — one process per core — over
// the same files in the same run, and prints a table. Run from the
// repository root, which it builds the binary from:
//
//	go run ./bench/sign            # 4 GiB: 8 files of 512 MiB, and one 4 GiB file
//	go run ./bench/sign -gib 1     # a smaller model
//
// Each figure is the best of -runs runs. The peak resident memory of the
// signing process is read from its rusage.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	dir := flag.String("dir", "", "scratch directory (default: a new temporary one, removed afterwards)")
	gib := flag.Int("gib", 4, "model size in GiB")
	runs := flag.Int("runs", 3, "runs per measurement; the best is reported")
	flag.Parse()
	if err := run(*dir, *gib, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench/sign:", err)
		os.Exit(2)
	}
}

// layout is one model to sign and how.
type layout struct {
	name  string
	files []string
	flags []string
}

func run(dir string, gib, runs int) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "bench-sign")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	bin := filepath.Join(dir, "poisonguard")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/poisonguard").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	key := filepath.Join(dir, "bench")
	if out, err := exec.Command(bin, "model", "keygen", "-o", key).CombinedOutput(); err != nil {
		return fmt.Errorf("keygen: %v\n%s", err, out)
	}
	size := int64(gib) << 30
	many, err := writeModel(filepath.Join(dir, "sharded-model"), 8, size/8)
	if err != nil {
		return err
	}
	one, err := writeModel(filepath.Join(dir, "single-file"), 1, size)
	if err != nil {
		return err
	}
	layouts := []layout{
		{"8 files, --shard-size 0 (whole files)", many, nil},
		{"8 files, default 1 GB shards", many, []string{"--shard-size", "1000000000"}},
		{"1 file, --shard-size 256 MiB", one, []string{"--shard-size", strconv.Itoa(256 << 20)}},
	}
	cores := runtime.GOMAXPROCS(0)
	fmt.Printf("model sign vs openssl dgst -sha256, %d GiB in the page cache, %d cores, best of %d\n\n", gib, cores, runs)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layout\topenssl ×P (s)\tGB/s\tpoisonguard (s)\tGB/s\tratio\tpeak RSS (MiB)\t")
	for _, l := range layouts {
		if err := warm(l.files); err != nil {
			return err
		}
		ref, sig := time.Duration(1<<62), time.Duration(1<<62)
		var rss int64
		for range runs {
			d, err := opensslParallel(l.files, cores)
			if err != nil {
				return err
			}
			ref = min(ref, d)
			d, m, err := signOnce(bin, key+".key", filepath.Dir(l.files[0]), l.flags)
			if err != nil {
				return err
			}
			sig, rss = min(sig, d), max(rss, m)
		}
		gb := float64(size) / 1e9
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f%%\t%d\t\n", l.name, ref.Seconds(), gb/ref.Seconds(),
			sig.Seconds(), gb/sig.Seconds(), 100*ref.Seconds()/sig.Seconds(), rss>>20)
	}
	tw.Flush()
	fmt.Println("\nratio = poisonguard throughput / openssl throughput; openssl runs one process per core,")
	fmt.Println("each over a size-balanced share of the files (a single file cannot be split by openssl).")
	return nil
}

// writeModel writes n files of size bytes of pseudo-random data.
func writeModel(dir string, n int, size int64) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r := rand.NewChaCha8([32]byte{1})
	var out []string
	buf := make([]byte, 1<<20)
	for i := range n {
		path := filepath.Join(dir, fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, n))
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		for left := size; left > 0; left -= int64(len(buf)) {
			r.Read(buf)
			w.Write(buf[:min(left, int64(len(buf)))])
		}
		if err := w.Flush(); err != nil {
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		out = append(out, path)
	}
	return out, nil
}

// warm reads the files once so that every run finds them in the page cache.
func warm(files []string) error {
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// opensslParallel hashes the files with up to p openssl processes at once,
// each over a size-balanced share of the files.
func opensslParallel(files []string, p int) (time.Duration, error) {
	shares := make([][]string, min(p, len(files)))
	loads := make([]int64, len(shares))
	sorted := append([]string(nil), files...)
	sizes := map[string]int64{}
	for _, f := range sorted {
		st, err := os.Stat(f)
		if err != nil {
			return 0, err
		}
		sizes[f] = st.Size()
	}
	sort.Slice(sorted, func(i, j int) bool { return sizes[sorted[i]] > sizes[sorted[j]] })
	for _, f := range sorted {
		k := 0
		for i := range loads {
			if loads[i] < loads[k] {
				k = i
			}
		}
		shares[k] = append(shares[k], f)
		loads[k] += sizes[f]
	}
	start := time.Now()
	cmds := make([]*exec.Cmd, len(shares))
	for i, s := range shares {
		cmds[i] = exec.Command("openssl", append([]string{"dgst", "-sha256"}, s...)...)
		cmds[i].Stdout = io.Discard
		if err := cmds[i].Start(); err != nil {
			return 0, err
		}
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// signOnce runs poisonguard model sign and returns its wall time and peak
// resident memory.
func signOnce(bin, key, model string, flags []string) (time.Duration, int64, error) {
	args := append([]string{"model", "sign", model, "--key", key, "--signature", model + ".sig", "-q"}, flags...)
	cmd := exec.Command(bin, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%v: %v\n%s", args, err, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return d, ru.Maxrss << 10, nil
}
