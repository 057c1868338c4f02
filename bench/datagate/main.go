// Command datagate measures the data gate's speed on generated numeric
// data and prints a table: for each file, the time to merely read it
// through dataset.Open (the physical floor), the time to profile it, and
// values per second for both. Run from the repository root:
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
	"path/filepath"
	"runtime"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/internal/format/npy"
	"github.com/poisonguard/poisonguard/profile"
)

func main() {
	dir := flag.String("dir", "", "scratch directory (default: a new temporary one, removed afterwards)")
	runs := flag.Int("runs", 3, "runs per measurement; the best is reported")
	csvGB := flag.Float64("csv-gb", 0, "write a CSV of about this many GB for the memory test, print its path, and stop")
	flag.Parse()
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
	files := []file{
		{"mnist-shape.npy (float32)", 60_000, 784, writeNPY},
		{"wide.npy (float32)", 1_000_000, 50, writeNPY},
		{"wide.parquet (double)", 1_000_000, 50, writeParquet},
		{"table.csv", 1_000_000, 20, writeCSV},
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "file\trows\tcols\tvalues\tread s\tread Mval/s\tprofile s\tprofile Mval/s\tprofile/read\t\n")
	for i, f := range files {
		path := filepath.Join(dir, fmt.Sprintf("f%d%s", i, filepath.Ext(f.name[:len(f.name)-len(filepath.Ext(f.name))])))
		path = filepath.Join(dir, fmt.Sprintf("f%d.%s", i, ext(f.name)))
		if err := f.write(path, f.rows, f.cols); err != nil {
			return err
		}
		read, err := best(runs, func() error { return readAll(path) })
		if err != nil {
			return err
		}
		prof, err := best(runs, func() error { return profileAll(path) })
		if err != nil {
			return err
		}
		values := float64(f.rows) * float64(f.cols)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0fM\t%.3f\t%.1f\t%.3f\t%.1f\t%.2f\t\n", f.name, f.rows, f.cols, values/1e6,
			read.Seconds(), values/read.Seconds()/1e6, prof.Seconds(), values/prof.Seconds()/1e6, prof.Seconds()/read.Seconds())
		os.Remove(path)
	}
	tw.Flush()
	fmt.Printf("\n%d cores (GOMAXPROCS), %s, %s/%s\n", runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

func ext(name string) string {
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

func writeNPY(path string, rows, cols int) error {
	rng := rand.New(rand.NewPCG(1, uint64(rows)))
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
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
	group := parquet.Group{}
	for j := range cols {
		group["c"+strconv.Itoa(j)] = parquet.Leaf(parquet.DoubleType)
	}
	schema := parquet.NewSchema("bench", group)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := parquet.NewWriter(f, schema)
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
