package profile_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/poisonguard/poisonguard/profile"
)

// mix is the splitmix64 finalizer, a bijection with full avalanche, used to
// turn distinct integers into well-spread 64-bit hashes.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func uniform(r *rand.Rand, n int) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = r.Float64()
	}
	return vs
}

func lognormal(r *rand.Rand, n int) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = math.Exp(2 * r.NormFloat64())
	}
	return vs
}

// quantileRankError returns how far q lies from the interval of true
// inclusive ranks of v in the ascending data: the rank of v is anywhere in
// (share < v, share ≤ v], and the exact inclusive q-quantile has q there.
func quantileRankError(sorted []float64, v, q float64) float64 {
	n := float64(len(sorted))
	lo := float64(sort.SearchFloat64s(sorted, v)) / n
	hi := float64(sort.Search(len(sorted), func(i int) bool { return sorted[i] > v })) / n
	return max(lo-q, q-hi, 0)
}

// maxRankErrors returns the largest quantile rank error over q = 0.01..0.99
// and the largest CDF error at the true quantiles.
func maxRankErrors(s *profile.KLL, sorted []float64) (qErr, cdfErr float64) {
	qs := make([]float64, 99)
	for i := range qs {
		qs[i] = float64(i+1) / 100
	}
	for i, v := range s.Quantiles(qs) {
		qErr = max(qErr, quantileRankError(sorted, v, qs[i]))
	}
	n := float64(len(sorted))
	for _, q := range qs {
		x := sorted[int(q*n)]
		trueRank := float64(sort.Search(len(sorted), func(i int) bool { return sorted[i] > x })) / n
		cdfErr = max(cdfErr, math.Abs(s.CDF(x)-trueRank))
	}
	return qErr, cdfErr
}

func TestKLLRankError(t *testing.T) {
	const n = 1_000_000
	dists := []struct {
		name string
		gen  func(*rand.Rand, int) []float64
	}{
		{"uniform", uniform},
		{"lognormal", lognormal},
	}
	for _, d := range dists {
		for _, seed := range []uint64{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/seed%d", d.name, seed), func(t *testing.T) {
				data := d.gen(rand.New(rand.NewPCG(seed, 7)), n)
				s := profile.NewKLL(profile.DefaultKLLK)
				s.UpdateMany(data)
				slices.Sort(data)
				if s.N() != n || s.Min() != data[0] || s.Max() != data[n-1] {
					t.Fatalf("N, Min, Max = %d, %v, %v; want %d, %v, %v", s.N(), s.Min(), s.Max(), n, data[0], data[n-1])
				}
				eps := s.NormalizedRankError()
				qErr, cdfErr := maxRankErrors(s, data)
				t.Logf("max quantile rank error %.5f, max CDF error %.5f, bound %.5f", qErr, cdfErr, eps)
				if qErr > 2*eps || cdfErr > 2*eps {
					t.Errorf("rank errors %.5f (quantile), %.5f (CDF) above 2×%.5f", qErr, cdfErr, eps)
				}
				if qErr == 0 {
					t.Errorf("no rank error after compaction: the test cannot fail")
				}
			})
		}
	}
}

func TestKLLMergeShards(t *testing.T) {
	const n, shards = 1_000_000, 8
	for _, seed := range []uint64{11, 12, 13} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			data := lognormal(rand.New(rand.NewPCG(seed, 9)), n)
			merged := profile.NewKLL(profile.DefaultKLLK)
			for i := range shards {
				part := profile.NewKLL(profile.DefaultKLLK)
				part.UpdateMany(data[i*n/shards : (i+1)*n/shards])
				merged.Merge(part)
			}
			slices.Sort(data)
			if merged.N() != n || merged.Min() != data[0] || merged.Max() != data[n-1] {
				t.Fatalf("N, Min, Max = %d, %v, %v", merged.N(), merged.Min(), merged.Max())
			}
			eps := merged.NormalizedRankError()
			qErr, cdfErr := maxRankErrors(merged, data)
			t.Logf("max quantile rank error %.5f, max CDF error %.5f, bound %.5f", qErr, cdfErr, eps)
			if qErr > eps || cdfErr > eps {
				t.Errorf("rank errors %.5f (quantile), %.5f (CDF) above %.5f", qErr, cdfErr, eps)
			}
		})
	}
}

func TestKLLDeterministic(t *testing.T) {
	data := lognormal(rand.New(rand.NewPCG(5, 5)), 300_000)
	encode := func(s *profile.KLL) []byte {
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	batch := profile.NewKLL(0)
	batch.UpdateMany(data)
	want := encode(batch)

	one := profile.NewKLL(0)
	for _, v := range data {
		one.Update(v)
	}
	chunked := profile.NewKLL(0)
	for i := 0; i < len(data); i += 777 {
		chunked.UpdateMany(data[i:min(i+777, len(data))])
	}
	again := profile.NewKLL(0)
	again.UpdateMany(data)
	for name, s := range map[string]*profile.KLL{"Update": one, "chunked UpdateMany": chunked, "second run": again} {
		if !bytes.Equal(encode(s), want) {
			t.Errorf("%s: encoding differs from one UpdateMany", name)
		}
	}

	mergeAll := func() []byte {
		m := profile.NewKLL(0)
		for i := range 4 {
			p := profile.NewKLL(0)
			p.UpdateMany(data[i*75_000 : (i+1)*75_000])
			m.Merge(p)
		}
		return encode(m)
	}
	if !bytes.Equal(mergeAll(), mergeAll()) {
		t.Error("the same merges give different sketches")
	}
}

func TestKLLExactWhileSmall(t *testing.T) {
	// Hand-worked inclusive ranks of {1, 2, 3, 4, 5}: Quantile(q) is the
	// ceil(5q)-th smallest value, CDF(x) the share ≤ x.
	s := profile.NewKLL(profile.DefaultKLLK)
	s.UpdateMany([]float64{5, 1, math.NaN(), 4, 2, 3})
	tests := []struct {
		q, want float64
	}{
		{0, 1}, {0.1, 1}, {0.2, 1}, {0.21, 2}, {0.5, 3}, {0.6, 3}, {0.61, 4}, {0.99, 5}, {1, 5},
	}
	for _, tt := range tests {
		if got := s.Quantile(tt.q); got != tt.want {
			t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	for x, want := range map[float64]float64{0: 0, 1: 0.2, 2.5: 0.4, 3: 0.6, 5: 1, 9: 1} {
		if got := s.CDF(x); got != want {
			t.Errorf("CDF(%v) = %v, want %v", x, got, want)
		}
	}
	if s.N() != 5 {
		t.Errorf("N = %d, want 5 (NaN ignored)", s.N())
	}

	// Exactly k values: nothing is compacted yet, every weight is 1.
	k := 64
	data := uniform(rand.New(rand.NewPCG(3, 3)), k)
	e := profile.NewKLL(k)
	e.UpdateMany(data)
	slices.Sort(data)
	values, weights := e.Sorted()
	if !slices.Equal(values, data) {
		t.Fatal("Sorted values differ from the input")
	}
	for i, w := range weights {
		if w != 1 {
			t.Fatalf("weight %d is %d, want 1", i, w)
		}
	}
	for i := 1; i <= k; i++ {
		q := float64(i) / float64(k)
		if got := e.Quantile(q); got != data[i-1] {
			t.Errorf("Quantile(%v) = %v, want %v", q, got, data[i-1])
		}
	}
	// One more value compacts, and weights still sum to N.
	e.Update(0.5)
	_, weights = e.Sorted()
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if len(weights) > k || sum != int64(k+1) {
		t.Errorf("after k+1 values: %d retained with total weight %d, want ≤ %d and %d", len(weights), sum, k, k+1)
	}
}

func TestKLLEmptyAndInvalid(t *testing.T) {
	s := profile.NewKLL(0)
	for name, v := range map[string]float64{
		"Min": s.Min(), "Max": s.Max(), "Quantile": s.Quantile(0.5), "CDF": s.CDF(1),
	} {
		if !math.IsNaN(v) {
			t.Errorf("empty %s = %v, want NaN", name, v)
		}
	}
	s.Update(1)
	for _, q := range []float64{-0.1, 1.1, math.NaN()} {
		if got := s.Quantile(q); !math.IsNaN(got) {
			t.Errorf("Quantile(%v) = %v, want NaN", q, got)
		}
	}
	if s.K() != profile.DefaultKLLK {
		t.Errorf("NewKLL(0).K() = %d, want %d", s.K(), profile.DefaultKLLK)
	}
	if k := profile.NewKLL(3).K(); k != profile.MinKLLK {
		t.Errorf("NewKLL(3).K() = %d, want %d", k, profile.MinKLLK)
	}
}

func TestKLLNormalizedRankError(t *testing.T) {
	// DataSketches documents the single-sided error of k = 200 as 1.33%
	// (KLL sketch accuracy table); 2.296/200^0.9723 = 0.013292.
	tests := []struct {
		k    int
		want float64
	}{
		{200, 0.013292},
		{1024, 2.296 / math.Pow(1024, 0.9723)},
	}
	for _, tt := range tests {
		if got := profile.NewKLL(tt.k).NormalizedRankError(); math.Abs(got-tt.want) > 5e-6 {
			t.Errorf("k=%d: NormalizedRankError = %v, want %v", tt.k, got, tt.want)
		}
	}
	// A merge with a smaller k carries its larger error.
	big, small := profile.NewKLL(400), profile.NewKLL(100)
	small.Update(1)
	big.Merge(small)
	if big.NormalizedRankError() != small.NormalizedRankError() {
		t.Errorf("merged error %v, want the k=100 error %v", big.NormalizedRankError(), small.NormalizedRankError())
	}
}

func TestKLLMergeSelfAndMixedK(t *testing.T) {
	data := uniform(rand.New(rand.NewPCG(8, 8)), 50_000)
	s := profile.NewKLL(0)
	s.UpdateMany(data)
	s.Merge(s)
	if s.N() != 100_000 {
		t.Fatalf("self-merge N = %d, want 100000", s.N())
	}
	if got := s.Quantile(0.5); math.Abs(got-0.5) > 2*s.NormalizedRankError() {
		t.Errorf("self-merge median %v", got)
	}
	small := profile.NewKLL(16)
	small.UpdateMany(data)
	s.Merge(small)
	if s.N() != 150_000 {
		t.Errorf("N = %d, want 150000", s.N())
	}
}

func TestKLLMarshalRoundTrip(t *testing.T) {
	data := uniform(rand.New(rand.NewPCG(4, 4)), 100_000)
	for _, n := range []int{0, 1, 150, 100_000} {
		s := profile.NewKLL(0)
		s.UpdateMany(data[:n])
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var d profile.KLL
		if err := d.UnmarshalBinary(b); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		// The decoded sketch carries on exactly as the original.
		s.UpdateMany(data[:1000])
		d.UpdateMany(data[:1000])
		b1, _ := s.MarshalBinary()
		b2, _ := d.MarshalBinary()
		if !bytes.Equal(b1, b2) {
			t.Errorf("n=%d: decoded sketch diverges from the original", n)
		}
	}
}

func TestKLLUnmarshalRejects(t *testing.T) {
	s := profile.NewKLL(0)
	s.UpdateMany(uniform(rand.New(rand.NewPCG(6, 6)), 10_000))
	good, _ := s.MarshalBinary()
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	putU64 := func(b []byte, at int, v uint64) []byte {
		for i := range 8 {
			b[at+i] = byte(v >> (8 * i))
		}
		return b
	}
	const values = 42 // the header size; level lengths follow
	levels := int(good[9])
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated header", good[:20]},
		{"truncated values", good[:len(good)-3]},
		{"trailing bytes", append(bytes.Clone(good), 0)},
		{"bad magic", edit(func(b []byte) []byte { b[0] = 'X'; return b })},
		{"bad version", edit(func(b []byte) []byte { b[4] = 9; return b })},
		{"k too small", edit(func(b []byte) []byte { b[5], b[6] = 2, 0; return b })},
		{"min k above k", edit(func(b []byte) []byte { b[7], b[8] = 0xff, 0xff; return b })},
		{"no levels", edit(func(b []byte) []byte { b[9] = 0; return b })},
		{"n mismatch", edit(func(b []byte) []byte { return putU64(b, 10, uint64(s.N()+1)) })},
		{"NaN value", edit(func(b []byte) []byte { return putU64(b, len(b)-8, math.Float64bits(math.NaN())) })},
		{"value above max", edit(func(b []byte) []byte { return putU64(b, len(b)-8, math.Float64bits(2)) })},
		{"unsorted level", edit(func(b []byte) []byte { return putU64(b, len(b)-8, math.Float64bits(0)) })},
		{"NaN min", edit(func(b []byte) []byte { return putU64(b, 26, math.Float64bits(math.NaN())) })},
		{"huge level", edit(func(b []byte) []byte { b[values+4*(levels-1)+3] = 0x7f; return b })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d profile.KLL
			err := d.UnmarshalBinary(tt.data)
			if !errors.Is(err, profile.ErrMalformedSketch) {
				t.Errorf("UnmarshalBinary = %v, want ErrMalformedSketch", err)
			}
		})
	}
}

func FuzzKLLUnmarshal(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{0, 1, 9, 40, 5000} {
		s := profile.NewKLL(profile.MinKLLK)
		s.UpdateMany(lognormal(r, n))
		b, _ := s.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s profile.KLL
		if err := s.UnmarshalBinary(data); err != nil {
			return
		}
		again, err := s.MarshalBinary()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted input does not round-trip")
		}
		s.Quantiles([]float64{0, 0.3, 0.5, 1})
		s.CDF(0)
		s.Merge(&s)
		s.UpdateMany([]float64{1, 2, 3, math.Inf(-1)})
		var other profile.KLL
		_ = other.UnmarshalBinary(data)
		s.Merge(&other)
		if got, _ := s.Sorted(); len(got) == 0 && s.N() > 0 {
			t.Fatalf("non-empty sketch with no retained values")
		}
	})
}

func TestHLLEstimate(t *testing.T) {
	for _, n := range []int{10, 1000, 100_000, 1_000_000} {
		for _, seed := range []uint64{1, 2, 3} {
			t.Run(fmt.Sprintf("n%d/seed%d", n, seed), func(t *testing.T) {
				h := profile.NewHLL(profile.DefaultHLLPrecision)
				for i := range n {
					x := mix(seed<<40 | uint64(i))
					h.AddHash(x)
					h.AddHash(x) // duplicates do not count
				}
				est := h.Estimate()
				rel := (est - float64(n)) / float64(n)
				t.Logf("estimate %.1f, relative error %+.4f (σ = %.4f)", est, rel, h.RelativeError())
				if math.Abs(rel) > 3*h.RelativeError() {
					t.Errorf("estimate %.1f for %d distinct: %.2fσ off", est, n, rel/h.RelativeError())
				}
			})
		}
	}
	if got := profile.NewHLL(0).Estimate(); got != 0 {
		t.Errorf("empty estimate %v, want 0", got)
	}
	if got := profile.NewHLL(0).RelativeError(); math.Abs(got-0.01625) > 1e-12 {
		t.Errorf("RelativeError = %v, want 1.04/64 = 0.01625", got)
	}
}

func TestHLLMergeEqualsUnion(t *testing.T) {
	a, b, union := profile.NewHLL(0), profile.NewHLL(0), profile.NewHLL(0)
	for i := range 200_000 {
		x := mix(uint64(i))
		if i < 120_000 {
			a.AddHash(x)
		}
		if i >= 80_000 {
			b.AddHash(x)
		}
		union.AddHash(x)
	}
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	got, _ := a.MarshalBinary()
	want, _ := union.MarshalBinary()
	if !bytes.Equal(got, want) {
		t.Error("merged sketch differs from the sketch of the union")
	}
	if err := a.Merge(profile.NewHLL(10)); !errors.Is(err, profile.ErrPrecisionMismatch) {
		t.Errorf("Merge of p=10 into p=12 = %v, want ErrPrecisionMismatch", err)
	}
}

func TestHLLMarshal(t *testing.T) {
	h := profile.NewHLL(profile.MinHLLPrecision)
	for i := range 1000 {
		h.AddHash(mix(uint64(i)))
	}
	good, _ := h.MarshalBinary()
	var d profile.HLL
	if err := d.UnmarshalBinary(good); err != nil {
		t.Fatal(err)
	}
	if d.Estimate() != h.Estimate() || d.Precision() != h.Precision() {
		t.Error("round trip changed the sketch")
	}
	bad := map[string][]byte{
		"empty":        nil,
		"bad magic":    append([]byte("XGHL"), good[4:]...),
		"bad version":  append([]byte("PGHL\x02"), good[5:]...),
		"p too large":  append([]byte("PGHL\x01\x13"), good[6:]...),
		"truncated":    good[:len(good)-1],
		"rank too big": append(bytes.Clone(good[:len(good)-1]), 65-profile.MinHLLPrecision+1),
	}
	for name, data := range bad {
		if err := d.UnmarshalBinary(data); !errors.Is(err, profile.ErrMalformedSketch) {
			t.Errorf("%s: UnmarshalBinary = %v, want ErrMalformedSketch", name, err)
		}
	}
}

func FuzzHLLUnmarshal(f *testing.F) {
	for _, p := range []int{4, 5, 12} {
		h := profile.NewHLL(p)
		for i := range 100 {
			h.AddHash(mix(uint64(i)))
		}
		b, _ := h.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var h profile.HLL
		if err := h.UnmarshalBinary(data); err != nil {
			return
		}
		again, _ := h.MarshalBinary()
		if !bytes.Equal(again, data) {
			t.Fatal("accepted input does not round-trip")
		}
		if e := h.Estimate(); math.IsNaN(e) || e < 0 {
			t.Fatalf("estimate %v", e)
		}
		h.AddHash(0)
		h.AddHash(math.MaxUint64)
		_ = h.Merge(&h)
	})
}

// checkTopK verifies the documented bounds of t against the true counts.
func checkTopK(t *testing.T, tk *profile.TopK, truth map[string]int64) {
	t.Helper()
	var total int64
	for _, c := range truth {
		total += c
	}
	if tk.Total() != total {
		t.Fatalf("Total = %d, want %d", tk.Total(), total)
	}
	if bound := total / int64(tk.Capacity()); tk.MaxError() > bound {
		t.Errorf("MaxError %d above Total/Capacity = %d", tk.MaxError(), bound)
	}
	monitored := map[string]bool{}
	for _, it := range tk.Top(0) {
		monitored[it.Value] = true
		if c := truth[it.Value]; c > it.Count || c < it.Count-it.Error || it.Error > tk.MaxError() {
			t.Errorf("%q: true count %d outside [%d, %d]", it.Value, c, it.Count-it.Error, it.Count)
		}
	}
	for v, c := range truth {
		if !monitored[v] && c > tk.MaxError() {
			t.Errorf("%q: unmonitored with count %d above MaxError %d", v, c, tk.MaxError())
		}
	}
}

// zipfStream returns n draws from a Zipf law over distinct values, in order.
func zipfStream(seed uint64, n int, distinct uint64) []string {
	r := rand.New(rand.NewPCG(seed, 3))
	z := rand.NewZipf(r, 1.2, 1, distinct-1)
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("v%d", z.Uint64())
	}
	return out
}

func TestTopKExact(t *testing.T) {
	tk := profile.NewTopK(0)
	truth := map[string]int64{}
	for _, v := range zipfStream(1, 50_000, 5000) {
		tk.Add(v, 1)
		truth[v]++
	}
	tk.Add("ignored", 0)
	if !tk.Exact() || !maps.Equal(tk.Counts(), truth) {
		t.Fatal("small stream not counted exactly")
	}
	checkTopK(t, tk, truth)
	top := tk.Top(3)
	if len(top) != 3 || top[0].Value != "v0" || top[0].Count != truth["v0"] || top[0].Count < top[1].Count {
		t.Errorf("Top(3) = %v", top)
	}
}

func TestTopKOverflowAndMerge(t *testing.T) {
	const capacity = 100
	stream := zipfStream(2, 200_000, 20_000)
	whole := profile.NewTopK(capacity)
	truth := map[string]int64{}
	shards := make([]*profile.TopK, 4)
	for i := range shards {
		shards[i] = profile.NewTopK(capacity)
	}
	for i, v := range stream {
		n := int64(1 + i%3)
		whole.Add(v, n)
		shards[i%4].Add(v, n)
		truth[v] += n
	}
	if whole.Exact() || whole.Counts() != nil {
		t.Fatal("summary claims exact after overflow")
	}
	t.Run("stream", func(t *testing.T) { checkTopK(t, whole, truth) })
	merged := profile.NewTopK(capacity)
	for _, s := range shards {
		merged.Merge(s)
	}
	t.Run("merged", func(t *testing.T) { checkTopK(t, merged, truth) })
	t.Logf("stream MaxError %d, merged MaxError %d, Total/Capacity %d", whole.MaxError(), merged.MaxError(), whole.Total()/capacity)

	// Merging two exact summaries whose union fits stays exact.
	a, b := profile.NewTopK(10), profile.NewTopK(10)
	a.Add("x", 3)
	a.Add("y", 1)
	b.Add("y", 2)
	b.Add("z", 5)
	a.Merge(b)
	if want := map[string]int64{"x": 3, "y": 3, "z": 5}; !a.Exact() || !maps.Equal(a.Counts(), want) {
		t.Errorf("exact merge gave %v (exact %v), want %v", a.Counts(), a.Exact(), want)
	}
	a.Merge(a)
	if want := map[string]int64{"x": 6, "y": 6, "z": 10}; !maps.Equal(a.Counts(), want) {
		t.Errorf("self merge gave %v, want %v", a.Counts(), want)
	}
	// A union beyond capacity stops being exact, and stays within bounds.
	c, d := profile.NewTopK(3), profile.NewTopK(3)
	small := map[string]int64{}
	for i, v := range []string{"a", "b", "c", "d", "e", "a", "a"} {
		tk := c
		if i%2 == 1 {
			tk = d
		}
		tk.Add(v, 2)
		small[v] += 2
	}
	c.Merge(d)
	if c.Exact() {
		t.Error("five values in capacity 3 claim exact")
	}
	checkTopK(t, c, small)
}

func TestTopKTruncates(t *testing.T) {
	tk := profile.NewTopK(0)
	tk.Add(strings.Repeat("a", 300), 1)
	tk.Add("a"+strings.Repeat("é", 200), 1) // é is 2 bytes; byte 256 starts none
	got := map[int]bool{}
	for _, it := range tk.Top(0) {
		if !utf8.ValidString(it.Value) {
			t.Errorf("truncation split a character: %q", it.Value)
		}
		got[len(it.Value)] = true
	}
	if !got[profile.MaxItemBytes] || !got[profile.MaxItemBytes-1] {
		t.Errorf("truncated lengths %v, want %d and %d", got, profile.MaxItemBytes, profile.MaxItemBytes-1)
	}
}

func TestTopKState(t *testing.T) {
	tk := profile.NewTopK(50)
	for _, v := range zipfStream(3, 20_000, 1000) {
		tk.Add(v, 1)
	}
	b, err := json.Marshal(tk)
	if err != nil {
		t.Fatal(err)
	}
	var back profile.TopK
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Top(0), tk.Top(0)) || back.MaxError() != tk.MaxError() || back.Total() != tk.Total() {
		t.Error("JSON round trip changed the summary")
	}
	// The restored summary carries on like the original.
	tk.Add("new", 7)
	back.Add("new", 7)
	if !slices.Equal(back.Top(0), tk.Top(0)) {
		t.Error("restored summary diverges")
	}

	good := tk.State()
	tests := []struct {
		name string
		edit func(*profile.TopKState)
	}{
		{"zero capacity", func(s *profile.TopKState) { s.Capacity = 0 }},
		{"huge capacity", func(s *profile.TopKState) { s.Capacity = profile.MaxTopKCapacity + 1 }},
		{"too many items", func(s *profile.TopKState) { s.Capacity = 3 }},
		{"duplicate", func(s *profile.TopKState) { s.Items[1].Value = s.Items[0].Value }},
		{"long value", func(s *profile.TopKState) { s.Items[0].Value = strings.Repeat("x", 300) }},
		{"error above max", func(s *profile.TopKState) { s.Items[0].Error = s.MaxError + 1 }},
		{"negative error", func(s *profile.TopKState) { s.Items[0].Error = -1 }},
		{"count above total", func(s *profile.TopKState) { s.Items[0].Count = s.Total + 1 }},
		{"negative total", func(s *profile.TopKState) { s.Total = -1 }},
		{"count below max error", func(s *profile.TopKState) { s.Items[len(s.Items)-1].Count = s.MaxError - 1 }},
		{"exact sum mismatch", func(s *profile.TopKState) {
			s.MaxError = 0
			s.Total++
			for i := range s.Items {
				s.Items[i].Error = 0
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := good
			st.Items = slices.Clone(good.Items)
			tt.edit(&st)
			if _, err := profile.TopKFromState(st); !errors.Is(err, profile.ErrMalformedSketch) {
				t.Errorf("TopKFromState = %v, want ErrMalformedSketch", err)
			}
		})
	}
}

func FuzzTopKUnmarshalJSON(f *testing.F) {
	tk := profile.NewTopK(4)
	for _, v := range []string{"a", "b", "a", "c", "d", "e", "a"} {
		tk.Add(v, 2)
	}
	b, _ := json.Marshal(tk)
	f.Add(b)
	f.Add([]byte(`{"capacity":2,"total":3,"max_error":0,"items":[{"value":"x","count":3,"error":0}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tk profile.TopK
		if err := json.Unmarshal(data, &tk); err != nil {
			return
		}
		tk.Add("zz", 1)
		tk.Merge(&tk)
		tk.Top(2)
	})
}

func ExampleKLL() {
	s := profile.NewKLL(profile.DefaultKLLK)
	s.UpdateMany([]float64{3, 1, 4, 1, 5, 9, 2, 6})
	fmt.Println(s.N(), s.Quantile(0.5), s.CDF(4))
	// Output: 8 3 0.625
}

func BenchmarkKLLUpdateMany(b *testing.B) {
	data := lognormal(rand.New(rand.NewPCG(1, 2)), 1_000_000)
	for b.Loop() {
		s := profile.NewKLL(profile.DefaultKLLK)
		s.UpdateMany(data)
	}
	b.ReportMetric(float64(len(data))*float64(b.N)/b.Elapsed().Seconds(), "values/s")
}

func BenchmarkKLLUpdate(b *testing.B) {
	data := lognormal(rand.New(rand.NewPCG(1, 2)), 1_000_000)
	for b.Loop() {
		s := profile.NewKLL(profile.DefaultKLLK)
		for _, v := range data {
			s.Update(v)
		}
	}
	b.ReportMetric(float64(len(data))*float64(b.N)/b.Elapsed().Seconds(), "values/s")
}

func BenchmarkKLLMerge(b *testing.B) {
	data := lognormal(rand.New(rand.NewPCG(1, 2)), 1_000_000)
	parts := make([]*profile.KLL, 8)
	for i := range parts {
		parts[i] = profile.NewKLL(0)
		parts[i].UpdateMany(data[i*125_000 : (i+1)*125_000])
	}
	for b.Loop() {
		m := profile.NewKLL(0)
		for _, p := range parts {
			m.Merge(p)
		}
	}
	b.ReportMetric(float64(len(parts))*float64(b.N)/b.Elapsed().Seconds(), "merges/s")
}

func BenchmarkHLLAddHash(b *testing.B) {
	hashes := make([]uint64, 1_000_000)
	for i := range hashes {
		hashes[i] = mix(uint64(i))
	}
	for b.Loop() {
		h := profile.NewHLL(profile.DefaultHLLPrecision)
		for _, x := range hashes {
			h.AddHash(x)
		}
	}
	b.ReportMetric(float64(len(hashes))*float64(b.N)/b.Elapsed().Seconds(), "values/s")
}

func BenchmarkTopKAdd(b *testing.B) {
	stream := zipfStream(4, 1_000_000, 50_000)
	for b.Loop() {
		tk := profile.NewTopK(0)
		for _, v := range stream {
			tk.Add(v, 1)
		}
	}
	b.ReportMetric(float64(len(stream))*float64(b.N)/b.Elapsed().Seconds(), "values/s")
}
