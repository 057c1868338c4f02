// Command datagate measures the data gate's speed on generated numeric
// data and prints a table: for each file, the time to merely read it
// through dataset.Open in this process (the physical floor, warm), the
// time to profile it in this process once warm (profile encoded to
// nowhere), the wall time of the real command "poisonguard data profile
// FILE -o OUT" in a fresh process (what a user waits for: fresh memory,
// profile written to disk), and values per second for each. Run from the repository root, which it
// builds the binary from:
//
//	go run ./bench/datagate            # the default set of files
//	go run ./bench/datagate -csv-gb 5  # also write a 5 GB CSV and print its path
//
// Each figure is the best of -runs runs, on GOMAXPROCS cores.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/dataset/mnist"
	"github.com/poisonguard/poisonguard/drift"
	"github.com/poisonguard/poisonguard/internal/format/npy"
	"github.com/poisonguard/poisonguard/profile"
)

// keepFiles keeps the generated files (-keep).
var keepFiles bool

func main() {
	dir := flag.String("dir", "", "scratch directory (default: a new temporary one, removed afterwards)")
	runs := flag.Int("runs", 3, "runs per measurement; the best is reported")
	csvGB := flag.Float64("csv-gb", 0, "write a CSV of about this many GB for the memory test, print its path, and stop")
	keep := flag.Bool("keep", false, "keep the generated files in -dir (for profiling them)")
	flag.Parse()
	keepFiles = *keep
	if err := run(*dir, *runs, *csvGB); err != nil {
		fmt.Fprintln(os.Stderr, "datagate:", err)
		os.Exit(2)
	}
}

type file struct {
	name       string
	rows, cols int
	write      func(path string, rows, cols int) error
}

func run(dir string, runs int, csvGB float64) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "datagate-")
		if err != nil {
			return err
		}
		if csvGB == 0 {
			defer os.RemoveAll(d)
		}
		dir = d
	}
	if csvGB > 0 {
		path := filepath.Join(dir, "big.csv")
		// About 7.4 bytes a value ("-12.3456,").
		rows := int(csvGB * 1e9 / (20 * 7.4))
		if err := writeCSV(path, rows, 20); err != nil {
			return err
		}
		fmt.Println(path)
		return nil
	}
	bin := filepath.Join(dir, "poisonguard")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/poisonguard").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	files := []file{
		{"MNIST train images (idx.gz)", 60_000, 784, writeMNIST},
		{"mnist-shape.npy (float32)", 60_000, 784, writeNPY},
		{"wide.npy (float32)", 1_000_000, 50, writeNPY},
		{"wide64.npy (float64)", 1_000_000, 50, writeNPY64},
		{"pixels.npy (uint8)", 1_000_000, 50, writePixels},
		{"wide.parquet (double)", 1_000_000, 50, writeParquet},
		{"snappy.parquet (double, snappy)", 1_000_000, 50, writeParquetSnappy},
		{"table.csv", 1_000_000, 20, writeCSV},
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "file\trows\tcols\tvalues\tread s\tread Mval/s\tin-process s\tin-process Mval/s\tcommand s\tcommand Mval/s\tcommand/read\t\n")
	for i, f := range files {
		path := filepath.Join(dir, fmt.Sprintf("f%d.%s", i, ext(f.name)))
		if err := f.write(path, f.rows, f.cols); err != nil {
			return err
		}
		read, err := best(runs, func() error { return readAll(path) })
		if err != nil {
			return err
		}
		warm, err := best(runs, func() error { return profileAll(path) })
		if err != nil {
			return err
		}
		prof, err := best(runs, func() error { return profileCommand(bin, path, filepath.Join(dir, "out.json")) })
		if err != nil {
			return err
		}
		values := float64(f.rows) * float64(f.cols)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0fM\t%.3f\t%.1f\t%.3f\t%.1f\t%.3f\t%.1f\t%.2f\t\n", f.name, f.rows, f.cols, values/1e6,
			read.Seconds(), values/read.Seconds()/1e6, warm.Seconds(), values/warm.Seconds()/1e6,
			prof.Seconds(), values/prof.Seconds()/1e6, prof.Seconds()/read.Seconds())
		if !keepFiles {
			os.Remove(path)
		}
	}
	tw.Flush()
	if err := checkTiming(dir, runs); err != nil {
		return err
	}
	fmt.Printf("\n%d cores (GOMAXPROCS), %s, %s/%s\n", runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// checkTiming times data check's work on a 1M-row, 20-column batch (one
// column shifted) against the profile of another 1M-row file: profiling the
// batch and comparing it, as the command does.
func checkTiming(dir string, runs int) error {
	base, batch := filepath.Join(dir, "base.npy"), filepath.Join(dir, "batch.npy")
	if err := writeNPY(base, 1_000_000, 20); err != nil {
		return err
	}
	if err := writeShifted(batch, 1_000_000, 20); err != nil {
		return err
	}
	defer os.Remove(base)
	defer os.Remove(batch)
	baseline, err := profilePath(base, profile.Options{})
	if err != nil {
		return err
	}
	var drifted int
	d, err := best(runs, func() error {
		p, err := profilePath(batch, profile.Options{ExactLimit: 1_000_000, KLLK: baseline.Settings.KLLK})
		if err != nil {
			return err
		}
		res, err := drift.Check(baseline, p, drift.DefaultPolicy())
		if err != nil {
			return err
		}
		drifted = 0
		for _, c := range res.Columns {
			if c.Drifted {
				drifted++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("\ndata check, 1M-row × 20 batch (exact) against a 1M-row profile (sketch): %.2f s, %d of 20 columns drifted (1 shifted)\n",
		d.Seconds(), drifted)
	return nil
}

func profilePath(path string, opts profile.Options) (*profile.Profile, error) {
	src, err := dataset.Open(path, dataset.Options{})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	return profile.FromSource(context.Background(), src, opts)
}

// writeShifted writes a file like writeNPY's with other values and column
// 3 shifted by 0.05 standard deviations.
func writeShifted(path string, rows, cols int) error {
	rng := rand.New(rand.NewPCG(9, uint64(rows)))
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
		if i%cols == 3 {
			data[i] += 0.05
		}
	}
	return writeArray(path, rows, cols, data)
}

// writePixels writes random bytes, image-like data with 256 values a
// column.
func writePixels(path string, rows, cols int) error {
	rng := rand.New(rand.NewPCG(4, uint64(rows)))
	data := make([]uint8, rows*cols)
	for i := range data {
		data[i] = uint8(rng.IntN(256))
	}
	return writeArray(path, rows, cols, data)
}

// writeMNIST extracts the embedded MNIST training images.
func writeMNIST(path string, _, _ int) error {
	dir := filepath.Dir(path)
	images, _, _, _, err := mnist.Extract(dir)
	if err != nil {
		return err
	}
	return os.Rename(images, path)
}

func ext(name string) string {
	if strings.Contains(name, "idx.gz") {
		return "idx.gz"
	}
	for _, e := range []string{"npy", "parquet", "csv"} {
		if filepath.Ext(trimParen(name)) == "."+e {
			return e
		}
	}
	return "bin"
}

func trimParen(s string) string {
	for i, r := range s {
		if r == ' ' {
			return s[:i]
		}
	}
	return s
}

func best(runs int, fn func() error) (time.Duration, error) {
	var b time.Duration
	for i := range runs {
		runtime.GC()
		start := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		if d := time.Since(start); i == 0 || d < b {
			b = d
		}
	}
	return b, nil
}

func readAll(path string) error {
	src, err := dataset.Open(path, dataset.Options{})
	if err != nil {
		return err
	}
	defer src.Close()
	for {
		if _, err := src.Next(context.Background()); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// profileAll profiles in this process and encodes the profile to nowhere:
// the pipeline's own speed once the process's memory is warm.
func profileAll(path string) error {
	src, err := dataset.Open(path, dataset.Options{})
	if err != nil {
		return err
	}
	defer src.Close()
	p, err := profile.FromSource(context.Background(), src, profile.Options{})
	if err != nil {
		return err
	}
	return profile.Write(io.Discard, p)
}

// profileCommand runs the real command in a fresh process, so that the
// figure includes what a process pays for fresh memory and writing.
func profileCommand(bin, path, out string) error {
	cmd := exec.Command(bin, "data", "profile", path, "-o", out, "-q")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", path, err, b)
	}
	return nil
}

func writeNPY(path string, rows, cols int) error {
	rng := rand.New(rand.NewPCG(1, uint64(rows)))
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return writeArray(path, rows, cols, data)
}

// writeNPY64 writes normal doubles, as numpy saves them by default.
func writeNPY64(path string, rows, cols int) error {
	rng := rand.New(rand.NewPCG(5, uint64(rows)))
	data := make([]float64, rows*cols)
	for i := range data {
		data[i] = rng.NormFloat64()
	}
	return writeArray(path, rows, cols, data)
}

func writeArray[T float32 | float64 | uint8](path string, rows, cols int, data []T) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := npy.Write(w, []int64{int64(rows), int64(cols)}, data); err != nil {
		f.Close()
		return err
	}
	return errors.Join(w.Flush(), f.Close())
}

func writeParquet(path string, rows, cols int) error {
	return writeParquetWith(path, rows, cols, nil)
}

// writeParquetSnappy writes the file pandas and pyarrow write by default:
// doubles, Snappy-compressed pages.
func writeParquetSnappy(path string, rows, cols int) error {
	return writeParquetWith(path, rows, cols, &parquet.Snappy)
}

func writeParquetWith(path string, rows, cols int, codec compress.Codec) error {
	group := parquet.Group{}
	for j := range cols {
		group["c"+strconv.Itoa(j)] = parquet.Leaf(parquet.DoubleType)
	}
	schema := parquet.NewSchema("bench", group)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	opts := []parquet.WriterOption{schema}
	if codec != nil {
		opts = append(opts, parquet.Compression(codec))
	}
	w := parquet.NewWriter(f, opts...)
	rng := rand.New(rand.NewPCG(2, uint64(rows)))
	row := make(parquet.Row, cols)
	for range rows {
		for j := range cols {
			row[j] = parquet.DoubleValue(rng.NormFloat64()).Level(0, 0, j)
		}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			f.Close()
			return err
		}
	}
	return errors.Join(w.Close(), f.Close())
}

func writeCSV(path string, rows, cols int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for j := range cols {
		if j > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, "c%d", j)
	}
	w.WriteByte('\n')
	rng := rand.New(rand.NewPCG(3, uint64(rows)))
	var buf []byte
	for range rows {
		buf = buf[:0]
		for j := range cols {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendFloat(buf, float64(float32(rng.NormFloat64()*10)), 'f', 4, 32)
		}
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			f.Close()
			return err
		}
	}
	return errors.Join(w.Flush(), f.Close())
}
