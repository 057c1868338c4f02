package profile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/dataset/example"
	"github.com/poisonguard/poisonguard/drift"
	"github.com/poisonguard/poisonguard/profile"
)

// table is a small in-memory numeric dataset with string labels.
type table struct {
	names  []string
	rows   [][]float64
	labels []string
}

// loadExample reads a shipped example CSV whose last column is the label.
func loadExample(t testing.TB, name string) table {
	t.Helper()
	raw, err := fs.ReadFile(example.FS(), name)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	header := strings.Split(lines[0], ",")
	tb := table{names: header[:len(header)-1]}
	for _, line := range lines[1:] {
		fields := strings.Split(line, ",")
		row := make([]float64, len(fields)-1)
		for i, f := range fields[:len(fields)-1] {
			if row[i], err = strconv.ParseFloat(f, 64); err != nil {
				t.Fatal(err)
			}
		}
		tb.rows = append(tb.rows, row)
		tb.labels = append(tb.labels, fields[len(fields)-1])
	}
	return tb
}

func (tb table) slice(lo, hi int) table {
	out := table{names: tb.names, rows: tb.rows[lo:hi]}
	if tb.labels != nil {
		out.labels = tb.labels[lo:hi]
	}
	return out
}

// source streams a table in batches of batchRows.
type source struct {
	tb        table
	batchRows int
	next      int
	labeled   bool
}

func (s *source) Schema() dataset.Schema {
	var sc dataset.Schema
	for _, n := range s.tb.names {
		sc.Columns = append(sc.Columns, dataset.Column{Name: n, Kind: dataset.Numeric})
	}
	return sc
}
func (s *source) HasLabels() bool { return s.labeled }
func (s *source) Close() error    { return nil }
func (s *source) Next(context.Context) (*dataset.Batch, error) {
	if s.next >= len(s.tb.rows) {
		return nil, io.EOF
	}
	hi := min(s.next+s.batchRows, len(s.tb.rows))
	b := &dataset.Batch{Offset: int64(s.next), Rows: hi - s.next, Cols: make([]dataset.Vector, len(s.tb.names))}
	for j := range s.tb.names {
		for i := s.next; i < hi; i++ {
			b.Cols[j].Num = append(b.Cols[j].Num, s.tb.rows[i][j])
		}
	}
	if s.labeled {
		b.Labels = s.tb.labels[s.next:hi]
	}
	s.next = hi
	return b, nil
}

func profileOf(t testing.TB, tb table, opts profile.Options) *profile.Profile {
	t.Helper()
	p, err := profile.FromSource(context.Background(), &source{tb: tb, batchRows: 100, labeled: tb.labels != nil}, opts, "test")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type reference struct {
	Diabetes map[string]struct {
		Mean, Variance, Min, Max float64
		Quantiles                []float64
	}
	DigitsTrainLabelEntropyBits float64 `json:"digits_train_label_entropy_bits"`
	DigitsTrainLabelCounts      []int64 `json:"digits_train_label_counts"`
}

func loadReference(t *testing.T) reference {
	raw, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Max(math.Abs(want), 1e-300)
}

// Moments and exact quantiles against numpy (testdata/gen.py): relative
// 1e-12 for means, 1e-10 for variances, exact for min, max and quantiles
// up to 1e-12 relative (numpy interpolates with a different formula).
func TestStatisticsMatchNumpy(t *testing.T) {
	ref := loadReference(t)
	tb := loadExample(t, example.Diabetes)
	p := profileOf(t, tb, profile.Options{})
	for name, want := range ref.Diabetes {
		if name == "target" {
			continue
		}
		c := p.Column(name)
		if c == nil {
			t.Fatalf("no column %s", name)
		}
		m := c.Moments
		if relErr(m.Mean, want.Mean) > 1e-12 || relErr(m.Variance(), want.Variance) > 1e-10 ||
			m.Min != want.Min || m.Max != want.Max {
			t.Errorf("%s: mean %v var %v min %v max %v; numpy %v %v %v %v", name, m.Mean, m.Variance(), m.Min, m.Max,
				want.Mean, want.Variance, want.Min, want.Max)
		}
		for i, q := range profile.QuantileProbs() {
			if got := c.Quantile(q); relErr(got, want.Quantiles[i]) > 1e-12 {
				t.Errorf("%s: quantile %.2f = %v, numpy %v", name, q, got, want.Quantiles[i])
			}
		}
	}
	digits := profileOf(t, loadExample(t, example.DigitsTrain), profile.Options{})
	if relErr(digits.Label.EntropyBits, ref.DigitsTrainLabelEntropyBits) > 1e-12 {
		t.Errorf("entropy %v bits, numpy %v", digits.Label.EntropyBits, ref.DigitsTrainLabelEntropyBits)
	}
	for i, c := range digits.Label.Classes {
		if c.Class != strconv.Itoa(i) || c.Count != ref.DigitsTrainLabelCounts[i] {
			t.Errorf("class %d: %+v, want count %d", i, c, ref.DigitsTrainLabelCounts[i])
		}
	}
}

// Profiles of shards merge into the profile of the whole: exactly for
// counts, label counts, exact samples and fingerprints; means and variances
// to floating-point rounding (1e-12 and 1e-10 relative).
func TestMergeShardsEqualsWhole(t *testing.T) {
	tb := loadExample(t, example.DigitsTrain)
	whole := profileOf(t, tb, profile.Options{})
	var parts []*profile.Profile
	for _, cut := range [][2]int{{0, 333}, {333, 700}, {700, 701}, {701, 1200}} {
		parts = append(parts, profileOf(t, tb.slice(cut[0], cut[1]), profile.Options{}))
	}
	merged, err := profile.Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Rows != whole.Rows || merged.Fingerprint.String() != whole.Fingerprint.String() {
		t.Fatalf("rows %d fingerprint %s, whole %d %s", merged.Rows, merged.Fingerprint, whole.Rows, whole.Fingerprint)
	}
	if !slices.Equal(merged.Label.Classes, whole.Label.Classes) || relErr(merged.Label.EntropyBits, whole.Label.EntropyBits) > 1e-12 {
		t.Fatalf("labels %+v, whole %+v", merged.Label, whole.Label)
	}
	for i, w := range whole.Columns {
		m := merged.Columns[i]
		if m.Count != w.Count || m.Moments.N != w.Moments.N || m.Moments.Min != w.Moments.Min || m.Moments.Max != w.Moments.Max {
			t.Fatalf("%s: counts differ: %+v vs %+v", w.Name, m.Moments, w.Moments)
		}
		if relErr(m.Moments.Mean, w.Moments.Mean) > 1e-12 || relErr(m.Moments.M2, w.Moments.M2) > 1e-10 {
			t.Errorf("%s: mean %v m2 %v, whole %v %v", w.Name, m.Moments.Mean, m.Moments.M2, w.Moments.Mean, w.Moments.M2)
		}
		if !slices.Equal(m.Values.Values, w.Values.Values) || !slices.Equal(m.Values.Counts, w.Values.Counts) {
			t.Errorf("%s: exact samples differ", w.Name)
		}
	}
	wd, wc := whole.RowHashes.Duplicates()
	md, mc := merged.RowHashes.Duplicates()
	if wd != md || wc != mc {
		t.Errorf("duplicates %v/%v, whole %v/%v", md, mc, wd, wc)
	}
}

// Beyond the exact limit, merged quantiles stay within the sketch's rank
// error: the true rank of each reported quantile lies within
// eps·n of q·n (plus the ties at that value).
func TestMergedSketchQuantilesWithinRankError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tb := table{names: []string{"x"}}
	for range 200_000 {
		tb.rows = append(tb.rows, []float64{math.Exp(rng.NormFloat64())})
	}
	opts := profile.Options{ExactLimit: 1000}
	var parts []*profile.Profile
	for k := range 8 {
		parts = append(parts, profileOf(t, tb.slice(k*25_000, (k+1)*25_000), opts))
	}
	merged, err := profile.Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	c := merged.Columns[0]
	if c.Exact() || c.Sketch == nil {
		t.Fatal("expected a sketch beyond the exact limit")
	}
	sorted := make([]float64, len(tb.rows))
	for i, r := range tb.rows {
		sorted[i] = r[0]
	}
	slices.Sort(sorted)
	eps := c.Sketch.NormalizedRankError()
	n := float64(len(sorted))
	for _, q := range profile.QuantileProbs() {
		v := c.Quantile(q)
		lo, _ := slices.BinarySearch(sorted, v)
		if math.Abs(float64(lo)/n-q) > eps {
			t.Errorf("q=%.2f: value %v has rank %.4f, beyond ±%.4f", q, v, float64(lo)/n, eps)
		}
	}
	if c.Moments.N != 200_000 {
		t.Fatalf("n = %d", c.Moments.N)
	}
}

func TestFingerprintIgnoresOrderAndSeesChanges(t *testing.T) {
	tb := loadExample(t, example.Diabetes)
	base := profileOf(t, tb, profile.Options{}).Fingerprint.String()

	shuffled := tb
	shuffled.rows = slices.Clone(tb.rows)
	shuffled.labels = slices.Clone(tb.labels)
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(shuffled.rows), func(i, j int) {
		shuffled.rows[i], shuffled.rows[j] = shuffled.rows[j], shuffled.rows[i]
		shuffled.labels[i], shuffled.labels[j] = shuffled.labels[j], shuffled.labels[i]
	})
	if got := profileOf(t, shuffled, profile.Options{}).Fingerprint.String(); got != base {
		t.Fatalf("shuffled rows changed the fingerprint: %s vs %s", got, base)
	}

	changed := shuffled
	changed.rows = slices.Clone(shuffled.rows)
	changed.rows[17] = slices.Clone(changed.rows[17])
	changed.rows[17][2] += 0.5
	if got := profileOf(t, changed, profile.Options{}).Fingerprint.String(); got == base {
		t.Fatal("a changed value kept the fingerprint")
	}
	relabelled := shuffled
	relabelled.labels = slices.Clone(shuffled.labels)
	relabelled.labels[5] += "1"
	if got := profileOf(t, relabelled, profile.Options{}).Fingerprint.String(); got == base {
		t.Fatal("a changed label kept the fingerprint")
	}
}

func TestDuplicatesAndConflicts(t *testing.T) {
	tb := loadExample(t, example.DigitsTrain).slice(0, 300)
	dup := tb
	dup.rows = append(slices.Clone(tb.rows), tb.rows[:30]...)
	dup.labels = slices.Clone(tb.labels)
	for i := range 30 {
		l := tb.labels[i]
		if i < 10 { // ten copies with another label
			l = strconv.Itoa((int(l[0]-'0') + 1) % 10)
		}
		dup.labels = append(dup.labels, l)
	}
	base, _ := profileOf(t, tb, profile.Options{}).RowHashes.Duplicates()
	d, conflicts := profileOf(t, dup, profile.Options{}).RowHashes.Duplicates()
	if d != base+30 {
		t.Errorf("duplicates %v, want %v", d, base+30)
	}
	if conflicts < 20 {
		t.Errorf("conflicting rows %v, want at least 20 (10 originals and 10 copies)", conflicts)
	}
}

// With a row capacity far below the distinct rows, duplicates are
// estimated from the bottom-k sample: within 25% here (the sample holds 512
// of 20,000 distinct rows; the estimate's relative standard error is about
// 1/sqrt(512·0.2) ≈ 10%).
func TestDuplicatesEstimatedBeyondCapacity(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tb := table{names: []string{"a", "b"}}
	for i := range 20_000 {
		tb.rows = append(tb.rows, []float64{float64(i), rng.Float64()})
	}
	for i := range 4000 {
		tb.rows = append(tb.rows, tb.rows[i*3])
	}
	p := profileOf(t, tb, profile.Options{RowCapacity: 512})
	if p.RowHashes.Exact() || p.RowHashes.Len() > 512 {
		t.Fatalf("row set exact=%v len=%d", p.RowHashes.Exact(), p.RowHashes.Len())
	}
	d, _ := p.RowHashes.Duplicates()
	if math.Abs(d-4000)/4000 > 0.25 {
		t.Fatalf("estimated %v duplicates, want about 4000", d)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	for _, opts := range []profile.Options{{}, {ExactLimit: 100, RowCapacity: 64}} {
		p := profileOf(t, loadExample(t, example.DigitsTrain), opts)
		var first bytes.Buffer
		if err := profile.Write(&first, p); err != nil {
			t.Fatal(err)
		}
		q, err := profile.Read(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		var second bytes.Buffer
		if err := profile.Write(&second, q); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("a read and rewritten profile differs (%d vs %d bytes)", first.Len(), second.Len())
		}
		d1, c1 := p.RowHashes.Duplicates()
		d2, c2 := q.RowHashes.Duplicates()
		if d1 != d2 || c1 != c2 {
			t.Fatalf("duplicates %v/%v after reading, %v/%v before", d2, c2, d1, c1)
		}
	}
}

// A writer that fails part-way makes Write return its error, whichever
// column the failure hits, without waiting on the column encoders.
func TestWriteReportsWriterErrors(t *testing.T) {
	p := profileOf(t, loadExample(t, example.DigitsTrain), profile.Options{})
	var whole bytes.Buffer
	if err := profile.Write(&whole, p); err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{0, 1000, whole.Len() / 2, whole.Len() - 10} {
		w := &failingWriter{left: at}
		if err := profile.Write(w, p); !errors.Is(err, errDiskFull) {
			t.Fatalf("failing after %d of %d bytes: err = %v", at, whole.Len(), err)
		}
	}
}

var errDiskFull = errors.New("disk full")

type failingWriter struct{ left int }

func (w *failingWriter) Write(b []byte) (int, error) {
	if len(b) > w.left {
		n := w.left
		w.left = 0
		return n, errDiskFull
	}
	w.left -= len(b)
	return len(b), nil
}

func TestReadRejectsMalformed(t *testing.T) {
	var good bytes.Buffer
	if err := profile.Write(&good, profileOf(t, loadExample(t, example.Diabetes), profile.Options{})); err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(string) string{
		"not json":       func(string) string { return "nope" },
		"wrong format":   func(s string) string { return strings.Replace(s, `"poisonguard.profile"`, `"other"`, 1) },
		"future version": func(s string) string { return strings.Replace(s, `"version": 1`, `"version": 9`, 1) },
		"negative count": func(s string) string { return strings.Replace(s, `"missing":0`, `"missing":-1`, 1) },
		"bad rows":       func(s string) string { return strings.Replace(s, `"rows": 442`, `"rows": 443`, 1) },
		"bad digest":     func(s string) string { return strings.Replace(s, `"digest":"pgfp1:`, `"digest":"pgfp1:0`, 1) },
		"bad values":     func(s string) string { return strings.Replace(s, `"values":"`, `"values":"AAAA`, 1) },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			in := mutate(good.String())
			if in == good.String() {
				t.Fatal("mutation did not apply")
			}
			if _, err := profile.Read(strings.NewReader(in)); err == nil {
				t.Fatal("accepted a malformed profile")
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	var good bytes.Buffer
	tb := loadExample(f, example.Diabetes).slice(0, 20)
	if err := profile.Write(&good, profileOf(f, tb, profile.Options{ExactLimit: 5})); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add([]byte(`{"format":"poisonguard.profile","version":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := profile.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		// Whatever Read accepts must write and merge without panicking.
		if err := profile.Write(io.Discard, p); err != nil {
			t.Fatal(err)
		}
		if _, err := profile.Merge(p, p); err != nil {
			t.Fatal(err)
		}
		// And a check of it against itself must not panic either.
		if _, err := drift.Check(p, p, drift.DefaultPolicy()); err != nil {
			t.Fatal(err)
		}
	})
}

// Beyond the exact limit, a column with few distinct values stays exact
// (it costs only its distinct values) while a continuous one is sketched.
// "price" has more distinct values than the exact store counts eagerly, so
// it reaches the limit as raw values and is counted from there on.
func TestFewValuedColumnsStayExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	tb := table{names: []string{"code", "x", "price"}}
	var prices []float64
	for i := range 150_000 {
		price := float64(rng.IntN(3000))/4 - 100
		prices = append(prices, price)
		tb.rows = append(tb.rows, []float64{float64(i % 97), rng.NormFloat64(), price})
	}
	p := profileOf(t, tb, profile.Options{ExactLimit: 10_000})
	code, x, price := p.Column("code"), p.Column("x"), p.Column("price")
	if !code.Exact() || code.Values.N() != 150_000 || len(code.Values.Values) != 97 {
		t.Fatalf("code: exact=%v", code.Exact())
	}
	want := profile.Compact(prices)
	if !price.Exact() || !slices.Equal(price.Values.Values, want.Values) || !slices.Equal(price.Values.Counts, want.Counts) {
		t.Fatalf("price: exact=%v, want its every value counted", price.Exact())
	}
	if x.Exact() || x.Sketch == nil || x.Sketch.N() != 150_000 {
		t.Fatalf("x: exact=%v", x.Exact())
	}
	// Merging keeps a few-valued column exact too.
	m, err := profile.Merge(p, p)
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Column("code"); !c.Exact() || c.Values.N() != 300_000 {
		t.Fatalf("merged code: exact=%v", c.Exact())
	}
}

// A cancelled context stops profiling with the context's error.
func TestFromSourceStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := &source{tb: loadExample(t, example.DigitsTrain), batchRows: 10, labeled: true}
	if _, err := profile.FromSource(ctx, src, profile.Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// The same rows give the same profile, byte for byte, from run to run —
// including a sketch built from values the exact store had counted, whose
// map order must not leak into the sketch.
func TestProfileDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	tb := table{names: []string{"x", "steps"}}
	for i := range 30_000 {
		tb.rows = append(tb.rows, []float64{rng.NormFloat64(), float64(i%200) + 0.5 + float64(i/20_000)*rng.Float64()})
	}
	encode := func() []byte {
		var buf bytes.Buffer
		if err := profile.Write(&buf, profileOf(t, tb, profile.Options{ExactLimit: 5_000, KLLK: 8})); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	want := encode()
	for range 3 {
		if !bytes.Equal(encode(), want) {
			t.Fatal("profiling the same rows twice gave different profiles")
		}
	}
}

// Two shards whose few-valued columns are exact apart but have too many
// distinct values together merge into a sketch of the whole: its count is
// exact and its quantiles are within the sketch's rank error.
func TestMergeFewValuedShardsIntoSketch(t *testing.T) {
	shard := func(base int) table {
		tb := table{names: []string{"code"}}
		for i := range 20_000 {
			tb.rows = append(tb.rows, []float64{float64(base + i%3000)})
		}
		return tb
	}
	opts := profile.Options{ExactLimit: 5_000}
	a, b := profileOf(t, shard(0), opts), profileOf(t, shard(3000), opts)
	if !a.Column("code").Exact() || !b.Column("code").Exact() {
		t.Fatal("the shards' columns should be exact (3000 distinct values each)")
	}
	m, err := profile.Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Column("code")
	if c.Exact() || c.Sketch == nil || c.Sketch.N() != 40_000 {
		t.Fatalf("merged: exact=%v, want a sketch of 40000 values", c.Exact())
	}
	// Codes below 2000 (and 5000) occur 7 times in a shard, the others 6.
	var all []float64
	for _, tb := range []table{shard(0), shard(3000)} {
		for _, r := range tb.rows {
			all = append(all, r[0])
		}
	}
	slices.Sort(all)
	eps := c.Sketch.NormalizedRankError()
	for _, q := range []float64{0.25, 0.5, 0.75} {
		got := c.Quantile(q)
		lo, _ := slices.BinarySearch(all, got)                      // values below got
		hi, _ := slices.BinarySearch(all, math.Nextafter(got, 7e3)) // values up to got
		if float64(hi)/40_000 < q-eps || float64(lo)/40_000 > q+eps {
			t.Errorf("quantile %v = %v has ranks %.4f..%.4f", q, got, float64(lo)/40_000, float64(hi)/40_000)
		}
	}
}
