package csv_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/csv"
)

// numericCSV returns a CSV of rows×cols random decimals like those a
// pandas export holds.
func numericCSV(rows, cols int) []byte {
	rng := rand.New(rand.NewPCG(7, 7))
	var b bytes.Buffer
	for c := range cols {
		if c > 0 {
			b.WriteByte(',')
		}
		b.WriteString("f")
		b.WriteString(strconv.Itoa(c))
	}
	b.WriteByte('\n')
	var num []byte
	for range rows {
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			num = strconv.AppendFloat(num[:0], rng.NormFloat64()*100, 'f', 4, 64)
			b.Write(num)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func BenchmarkReadParse(b *testing.B) {
	const rows, cols = 20000, 50
	data := numericCSV(rows, cols)
	b.SetBytes(int64(len(data)))
	var sum float64
	for b.Loop() {
		r, err := csv.NewReader(bytes.NewReader(data), csv.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Read(); err != nil { // header
			b.Fatal(err)
		}
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range rec {
				v, _ := csv.ParseFloat(f)
				sum += v
			}
		}
	}
	b.ReportMetric(float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
	_ = sum
}

func BenchmarkRead(b *testing.B) {
	const rows, cols = 20000, 50
	data := numericCSV(rows, cols)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := csv.NewReader(bytes.NewReader(data), csv.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds(), "fields/s")
}
