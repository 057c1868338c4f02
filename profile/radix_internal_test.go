package profile

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRadixSortKeysMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	gens := map[string]func() float64{
		"normal":   rng.NormFloat64,
		"integers": func() float64 { return float64(rng.IntN(300)) },
		"mixed signs and zeros": func() float64 {
			switch rng.IntN(4) {
			case 0:
				return 0
			case 1:
				return -rng.ExpFloat64() * 1e300
			}
			return rng.NormFloat64() * 1e-300
		},
		"constant": func() float64 { return 3.5 },
		// Values that share sign, exponent and top mantissa bits and differ
		// below: long runs for the low-bit pass to sort.
		"clustered in the low bits": func() float64 { return 1 + float64(rng.IntN(1<<20))*0x1p-52 },
		"float32":                   func() float64 { return float64(float32(rng.NormFloat64())) },
		// A narrow range far from zero: the keys share their top 30 bits.
		"narrow range": func() float64 { return 1000 + rng.Float64() },
		// Few distinct values among many: long runs of equal keys.
		"rounded": func() float64 { return math.Round(rng.NormFloat64()*100) / 100 },
	}
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{0, 1, 2, 17, 5000, 40000} {
				xs := make([]float64, n)
				keys := make([]uint64, n)
				for i := range xs {
					xs[i] = gen()
					keys[i] = orderKey(xs[i])
				}
				got := radixSortKeys(keys, make([]uint64, n))
				slices.Sort(xs)
				for i, k := range got {
					if fromOrderKey(k) != xs[i] && !(xs[i] == 0 && fromOrderKey(k) == 0) {
						t.Fatalf("n=%d: position %d holds %v, want %v", n, i, fromOrderKey(k), xs[i])
					}
				}
			}
		})
	}
	if orderKey(math.Copysign(0, -1)) != orderKey(0) || fromOrderKey(orderKey(0)) != 0 {
		t.Fatal("-0 and +0 must share one key, which decodes to 0")
	}
}

// Order keys preserve order and invert exactly, in both widths, and keep
// the zero low bits of float32 values zero for either sign.
func TestOrderKeys(t *testing.T) {
	vals := []float64{math.Inf(-1), -math.MaxFloat64, -1e300, -3.5, -1, -math.SmallestNonzeroFloat64, 0,
		math.SmallestNonzeroFloat64, 1e-300, 1, 3.5, 1e300, math.MaxFloat64, math.Inf(1)}
	for i, x := range vals {
		if got := fromOrderKey(orderKey(x)); got != x {
			t.Fatalf("%v decodes as %v", x, got)
		}
		if i > 0 && orderKey(vals[i-1]) >= orderKey(x) {
			t.Fatalf("key order broken between %v and %v", vals[i-1], x)
		}
	}
	f32 := []float64{float64(float32(math.Inf(-1))), -math.MaxFloat32, -2.5, -math.SmallestNonzeroFloat32, 0,
		math.SmallestNonzeroFloat32, 0.1 * 1, 2.5, math.MaxFloat32}
	f32[6] = float64(float32(0.1))
	for i, x := range f32 {
		if got := fromOrderKey32(orderKey32(x)); got != x {
			t.Fatalf("float32 %v decodes as %v", x, got)
		}
		if i > 0 && orderKey32(f32[i-1]) >= orderKey32(x) {
			t.Fatalf("32-bit key order broken between %v and %v", f32[i-1], x)
		}
		if x != 0 && orderKey(x)&(1<<29-1) != 0 {
			t.Fatalf("the 64-bit key of float32 %v has low bits set", x)
		}
	}
}

func TestRadixSortRowsByHash(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	rows := make([]pendingRow, 3000)
	for i := range rows {
		rows[i] = pendingRow{hash: rng.Uint64() >> uint(rng.IntN(64)), label: uint64(i)}
	}
	want := slices.Clone(rows)
	slices.SortStableFunc(want, func(a, b pendingRow) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	// LSD radix sort is stable, so equal hashes keep their order too.
	if got := radixSortRows(rows, make([]pendingRow, len(rows))); !slices.Equal(got, want) {
		t.Fatal("rows not sorted by hash, stably")
	}
}

// radixSortKeysFull is the full 64-bit least-significant-digit radix sort
// radixSortKeys replaced: the baseline of BenchmarkRadixSortKeys.
func radixSortKeysFull(keys, buf []uint64) []uint64 {
	var hist [radixPasses][radixBuckets]uint32
	for _, k := range keys {
		for p := range radixPasses {
			hist[p][(k>>(p*radixBits))&radixMask]++
		}
	}
	src, dst := keys, buf[:len(keys)]
	for p := range radixPasses {
		h := &hist[p]
		shift := p * radixBits
		if h[(src[0]>>shift)&radixMask] == uint32(len(src)) {
			continue
		}
		var sum uint32
		for i, c := range h {
			h[i] = sum
			sum += c
		}
		for _, k := range src {
			d := (k >> shift) & radixMask
			dst[h[d]] = k
			h[d]++
		}
		src, dst = dst, src
	}
	return src
}

// BenchmarkRadixSortKeys sorts KLL levels 0 (4096 keys), as the sketch
// does once per 4096 values of a continuous column, with the high-bits
// sort and with the full 64-bit baseline: normal doubles, and doubles in a
// narrow range far from zero. Each iteration sorts the next of 256
// different blocks: sorting one block over and over lets the branch
// predictor learn its runs and flatters a sort that has many.
func BenchmarkRadixSortKeys(b *testing.B) {
	for _, data := range []struct {
		name string
		gen  func(*rand.Rand) float64
	}{
		{"normal", (*rand.Rand).NormFloat64},
		{"narrow", func(r *rand.Rand) float64 { return 1000 + r.Float64() }},
	} {
		rng := rand.New(rand.NewPCG(1, 2))
		blocks := make([][]uint64, 256)
		for i := range blocks {
			blocks[i] = make([]uint64, 4096)
			for j := range blocks[i] {
				blocks[i][j] = orderKey(data.gen(rng))
			}
		}
		keys, buf := make([]uint64, 4096), make([]uint64, 4096)
		for _, c := range []struct {
			name string
			sort func(keys, buf []uint64) []uint64
		}{{"high-bits", radixSortKeys}, {"full-64-bit", radixSortKeysFull}} {
			b.Run(data.name+"/"+c.name, func(b *testing.B) {
				i := 0
				for b.Loop() {
					copy(keys, blocks[i%len(blocks)])
					i++
					c.sort(keys, buf)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/4096, "ns/key")
			})
		}
	}
}
