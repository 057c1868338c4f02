package profile

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Samples round-trip through JSON exactly with either key width, and
// float32 samples take 32-bit keys and fewer bytes.
func TestValuesEncodingWidths(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	f32, f64 := make([]float64, 5000), make([]float64, 5000)
	for i := range f32 {
		f32[i] = float64(float32(rng.NormFloat64() * 1e3))
		f64[i] = rng.NormFloat64() * 1e3
	}
	f32 = append(f32, 0, -1.5, float64(math.MaxFloat32), -float64(math.SmallestNonzeroFloat32))
	sizes := map[string]int{}
	for name, raw := range map[string][]float64{"float32": f32, "float64": f64} {
		v := Compact(slices.Clone(raw))
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back Values
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(back.Values, v.Values) || !slices.Equal(back.Counts, v.Counts) {
			t.Fatalf("%s: round trip changed the sample", name)
		}
		enc := v.appendEncoded(nil)
		_, n := binary.Uvarint(enc)
		want := byte(8)
		if name == "float32" {
			want = 4
		}
		if enc[n] != want {
			t.Fatalf("%s: key width %d, want %d", name, enc[n], want)
		}
		sizes[name] = len(b)
	}
	if sizes["float32"]*10 > sizes["float64"]*7 {
		t.Errorf("float32 encoding %d bytes is not much smaller than float64's %d", sizes["float32"], sizes["float64"])
	}
}

// A sample takes the form its values call for — repeats without counts
// when it has fewer than two values per distinct value, distinct values
// with counts otherwise — from compaction, merging and decoding alike, and
// both forms of the same values encode to the same bytes.
func TestValuesForms(t *testing.T) {
	a, b := Compact([]float64{3, 1, 2}), Compact([]float64{5, 4})
	if a.Counts != nil || a.N() != 3 || a.Distinct() != 3 || a.Count(2) != 1 {
		t.Fatalf("distinct values: %+v", a)
	}
	if m := mergeValues(a, b); m.Counts != nil || m.N() != 5 {
		t.Fatalf("disjoint merge: %+v", m)
	}
	m := mergeValues(a, Compact([]float64{2, 7}))
	if !slices.Equal(m.Values, []float64{1, 2, 2, 3, 7}) || m.Counts != nil || m.Distinct() != 4 || m.Quantile(0.5) != 2 {
		t.Fatalf("overlapping merge: %+v", m)
	}
	repeats, counted := Compact([]float64{1, 2, 1}), Compact([]float64{1, 1, 2, 1})
	if !slices.Equal(repeats.Values, []float64{1, 1, 2}) || repeats.Counts != nil {
		t.Fatalf("two of three values distinct: %+v", repeats)
	}
	if !slices.Equal(counted.Values, []float64{1, 2}) || !slices.Equal(counted.Counts, []int64{3, 1}) {
		t.Fatalf("two of four values distinct: %+v", counted)
	}
	if m := mergeValues(repeats, Compact([]float64{1})); !slices.Equal(m.Counts, []int64{3, 1}) {
		t.Fatalf("merging into the counted form: %+v", m)
	}
	same := &Values{Values: []float64{1, 2}, Counts: []int64{2, 1}}
	if !slices.Equal(repeats.appendEncoded(nil), same.appendEncoded(nil)) {
		t.Fatal("the two forms of the same values encode differently")
	}
	for _, v := range []*Values{repeats, counted} {
		var back Values
		if b, _ := json.Marshal(v); json.Unmarshal(b, &back) != nil ||
			!slices.Equal(back.Values, v.Values) || !slices.Equal(back.Counts, v.Counts) || (back.Counts == nil) != (v.Counts == nil) {
			t.Fatalf("round trip of %+v gave %+v", v, back)
		}
	}
}

// Counts that add up past int64 are refused, not expanded.
func TestValuesRejectOverflowingCounts(t *testing.T) {
	raw := binary.AppendUvarint(nil, 3)
	raw = append(raw, 8)
	for i := range 3 {
		delta := uint64(1) // the next float
		if i == 0 {
			delta = orderKey(1.0)
		}
		raw = binary.AppendUvarint(raw, delta)
		raw = binary.AppendUvarint(raw, math.MaxInt64/2)
	}
	var v Values
	if err := json.Unmarshal(quotedBase64(raw), &v); err == nil {
		t.Fatalf("accepted counts summing past int64: %d values", len(v.Values))
	}
}

// An exact sample with huge counts (a few-valued column of a very large
// dataset) turns into a sketch without expanding them, with its true n,
// range and, within the sketch's rank error, quantiles.
func TestMergeSampleWeighted(t *testing.T) {
	v := &Values{}
	for i := range 5000 {
		v.Values = append(v.Values, float64(i))
		v.Counts = append(v.Counts, 1<<40+int64(i%3))
	}
	s := NewKLL(200)
	s.mergeSample(v)
	if s.N() != v.N() || s.Min() != 0 || s.Max() != 4999 {
		t.Fatalf("n=%d (want %d), min %v, max %v", s.N(), v.N(), s.Min(), s.Max())
	}
	eps := s.NormalizedRankError()
	for _, q := range []float64{0.1, 0.5, 0.9} {
		if got := s.Quantile(q); math.Abs(got/5000-q) > eps+1e-3 {
			t.Errorf("quantile %v = %v, want about %v", q, got, q*5000)
		}
	}
	// A sample in the repeats form sketches like its values fed one by one.
	r := Compact([]float64{3, 1, 2, 2})
	a, b := NewKLL(8), NewKLL(8)
	a.mergeSample(r)
	b.UpdateMany(r.Values)
	if a.N() != b.N() || a.Quantile(0.5) != b.Quantile(0.5) {
		t.Fatalf("repeats form: n %d/%d, median %v/%v", a.N(), b.N(), a.Quantile(0.5), b.Quantile(0.5))
	}
}

// Merging two exact few-valued columns of a huge dataset, whose union has
// too many distinct values to stay exact, sketches them without expanding
// their counts (which would need 2^52 values of memory).
func TestMergeHugeExactColumnsIntoSketch(t *testing.T) {
	sample := func(base int) *Values {
		v := &Values{}
		for i := range 3000 {
			v.Values = append(v.Values, float64(base+i))
			v.Counts = append(v.Counts, 1<<40)
		}
		return v
	}
	c, o := &Column{Values: sample(0)}, &Column{Values: sample(3000)}
	c.mergeDistribution(o, Settings{ExactLimit: 100_000, KLLK: 200})
	if c.Values != nil || c.Sketch == nil || c.Sketch.N() != 6000<<40 {
		t.Fatalf("merged: values %v, sketch %v", c.Values != nil, c.Sketch != nil)
	}
}
