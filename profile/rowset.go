package profile

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// DefaultRowCapacity is how many distinct row hashes a profile keeps. Up to
// that many distinct rows, duplicate counts and baseline look-ups are exact;
// beyond it the profile keeps the DefaultRowCapacity smallest hashes, a
// uniform sample of the distinct rows (a bottom-k, or KMV, sketch), and
// duplicate figures are estimated from it. Memory while profiling: 24 bytes
// a kept row plus 16 a pending one, about 80 MB at peak for the default
// (while a fold merges into a new list); the file stores about 14 bytes a
// kept row.
const DefaultRowCapacity = 1 << 20

// RowSet is a bounded, mergeable set of row feature hashes with each row's
// multiplicity and label. New rows collect in a pending list that is sorted
// and folded into the sorted entries in bulk, which costs far less than a
// hash map's random access per row.
type RowSet struct {
	capacity  int
	threshold uint64     // hashes above it are not kept; MaxUint64 while exact
	entries   []rowEntry // sorted by hash, unique
	pending   []pendingRow
	// Scratch reused by every fold: the sort buffer and the list the next
	// fold writes into.
	sortBuf []pendingRow
	spare   []rowEntry
	classes []string // label names by index, for encoding
}

type rowEntry struct {
	hash     uint64
	label    uint64 // label hash of the first occurrence; 0 = none
	count    uint32
	conflict bool // the same features appeared with different labels
}

type pendingRow struct {
	hash, label uint64
}

// minPendingFlush is the least number of pending rows folded in at once.
const minPendingFlush = 1 << 16

func newRowSet(capacity int) *RowSet {
	return &RowSet{capacity: capacity, threshold: math.MaxUint64}
}

// Exact reports whether the set holds every distinct row.
func (r *RowSet) Exact() bool { return r.threshold == math.MaxUint64 }

// Coverage is the share of the hash space the set covers: 1 while exact,
// else the fraction of distinct rows it samples.
func (r *RowSet) Coverage() float64 {
	if r.Exact() {
		return 1
	}
	return (float64(r.threshold) + 1) / math.Exp2(64)
}

// Len returns the number of distinct rows kept.
func (r *RowSet) Len() int {
	r.flush()
	return len(r.entries)
}

func (r *RowSet) add(h, label uint64) {
	if h > r.threshold {
		return
	}
	if r.pending == nil {
		r.pending = make([]pendingRow, 0, r.foldAt())
	}
	r.pending = append(r.pending, pendingRow{h, label})
	if len(r.pending) >= r.foldAt() {
		r.flush()
	}
}

// dropScratch releases the buffers that only folding needs, once no more
// rows will come.
func (r *RowSet) dropScratch() {
	r.flush()
	r.pending, r.sortBuf, r.spare = nil, nil, nil
}

// foldAt is how many pending rows trigger a fold: as many as the entries
// (at least minPendingFlush, at most the capacity), so that each fold's
// merge is paid for by as many new rows.
func (r *RowSet) foldAt() int {
	return max(min(r.capacity, len(r.entries)), minPendingFlush)
}

// flush folds the pending rows into the entries and trims to capacity.
func (r *RowSet) flush() {
	if len(r.pending) == 0 {
		return
	}
	if cap(r.sortBuf) < len(r.pending) {
		r.sortBuf = make([]pendingRow, len(r.pending))
	}
	sorted := radixSortRows(r.pending, r.sortBuf)
	r.pending = r.pending[:0]
	// Fold the sorted rows into the entries, writing the spare list, and
	// swap: the lists are reused from fold to fold.
	out := slices.Grow(r.spare[:0], len(r.entries)+len(sorted))
	i := 0
	for k := 0; k < len(sorted); {
		p := sorted[k]
		e := rowEntry{hash: p.hash, label: p.label, count: 1}
		for k++; k < len(sorted) && sorted[k].hash == p.hash; k++ {
			e.count = min(e.count+1, math.MaxUint32)
			e.conflict = e.conflict || sorted[k].label != p.label
		}
		for ; i < len(r.entries) && r.entries[i].hash < e.hash; i++ {
			out = append(out, r.entries[i])
		}
		if i < len(r.entries) && r.entries[i].hash == e.hash {
			e = combine(r.entries[i], e)
			i++
		}
		out = append(out, e)
	}
	r.spare = append(out, r.entries[i:]...)
	r.entries, r.spare = r.spare, r.entries
	r.trim()
	// Make room for the next fold's rows at once rather than by doubling.
	if next := r.foldAt(); cap(r.pending) < next {
		r.pending = make([]pendingRow, 0, next)
	}
}

// combine returns the entry of one hash seen in two places: counts add,
// and different labels make a conflict; the first entry's label is kept.
func combine(a, b rowEntry) rowEntry {
	a.count = uint32(min(uint64(a.count)+uint64(b.count), math.MaxUint32))
	a.conflict = a.conflict || b.conflict || a.label != b.label
	return a
}

// mergeEntries appends to out the merge of two sorted entry lists, adding
// counts of equal hashes.
func mergeEntries(out, a, b []rowEntry) []rowEntry {
	out = slices.Grow(out, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].hash < b[j].hash:
			out = append(out, a[i])
			i++
		case b[j].hash < a[i].hash:
			out = append(out, b[j])
			j++
		default:
			out = append(out, combine(a[i], b[j]))
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// trim keeps the capacity smallest hashes.
func (r *RowSet) trim() {
	if len(r.entries) <= r.capacity {
		return
	}
	r.entries = r.entries[:r.capacity]
	r.threshold = r.entries[r.capacity-1].hash
}

// find returns the entry of hash h, if kept.
func (r *RowSet) find(h uint64) (rowEntry, bool) {
	i, ok := slices.BinarySearchFunc(r.entries, h, func(e rowEntry, h uint64) int { return cmp.Compare(e.hash, h) })
	if !ok {
		return rowEntry{}, false
	}
	return r.entries[i], true
}

// Lookup tells whether a row hash is covered by the set and, if present,
// its label hash and whether it was seen with conflicting labels.
func (r *RowSet) Lookup(h uint64) (covered, present bool, label uint64, conflict bool) {
	r.flush()
	if h > r.threshold {
		return false, false, 0, false
	}
	e, ok := r.find(h)
	return true, ok, e.label, e.conflict
}

// Duplicates returns the number of rows that repeat an earlier row's
// features, and of rows whose features occur with more than one label; both
// exact while the set is exact, else estimated from the sample.
func (r *RowSet) Duplicates() (dup, conflicting float64) {
	r.flush()
	for _, e := range r.entries {
		dup += float64(e.count - 1)
		if e.conflict {
			conflicting += float64(e.count)
		}
	}
	c := r.Coverage()
	return dup / c, conflicting / c
}

// merge folds o into r.
func (r *RowSet) merge(o *RowSet) {
	r.flush()
	o.flush()
	r.threshold = min(r.threshold, o.threshold)
	r.entries = mergeEntries(nil, r.entries, o.entries)
	for len(r.entries) > 0 && r.entries[len(r.entries)-1].hash > r.threshold {
		r.entries = r.entries[:len(r.entries)-1]
	}
	r.trim()
}

type rowSetJSON struct {
	Capacity  int    `json:"capacity"`
	Threshold string `json:"threshold"`
	Distinct  int    `json:"distinct"`
	Entries   string `json:"entries"`
}

// Limits on a decoded row set.
const (
	// MaxRowCapacity caps the capacity a profile may declare.
	MaxRowCapacity = 1 << 26
	// MaxEncodedRowBytes caps a row set's decompressed encoding.
	MaxEncodedRowBytes = 1 << 30
)

const conflictLabel = math.MaxUint32

// MarshalJSON encodes the kept hashes in order as deltas, with counts and
// label indexes into the profile's classes, base64-encoded.
func (r *RowSet) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := r.writeJSON(&buf, r.encodeEntries()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeEntries returns the binary encoding of the kept entries: per entry
// the uvarint delta of its hash from the previous one, its count and its
// label index (0 none, 1+ a class, conflictLabel for conflicting labels).
func (r *RowSet) encodeEntries() []byte {
	index := make(map[uint64]uint64, len(r.classes))
	for i, c := range r.classes {
		index[labelHash(c)] = uint64(i) + 1
	}
	r.flush()
	raw := make([]byte, 0, 12*len(r.entries))
	var prev uint64
	for _, e := range r.entries {
		k := e.hash
		lab := index[e.label]
		if e.conflict {
			lab = conflictLabel
		}
		raw = binary.AppendUvarint(raw, k-prev)
		raw = binary.AppendUvarint(raw, uint64(e.count))
		raw = binary.AppendUvarint(raw, lab)
		prev = k
	}
	return raw
}

// writeJSON writes the row set's JSON object with its encoded entries,
// streaming their base64 rather than building the string: for 2^20 rows
// that would be 16 MB more, then copied once more into the object.
func (r *RowSet) writeJSON(w io.Writer, entries []byte) error {
	head, err := json.Marshal(rowSetJSON{
		Capacity:  r.capacity,
		Threshold: fmt.Sprintf("%016x", r.threshold),
		Distinct:  len(r.entries),
	})
	if err != nil {
		return err
	}
	head = append(head[:len(head)-len(`"entries":""}`)], `"entries":"`...)
	if _, err := w.Write(head); err != nil {
		return err
	}
	enc := base64.NewEncoder(base64.StdEncoding, w)
	_, err = enc.Write(entries)
	if err := errors.Join(err, enc.Close()); err != nil {
		return err
	}
	_, err = io.WriteString(w, `"}`)
	return err
}

// UnmarshalJSON decodes and validates a row set; classes must be set on the
// profile afterwards by resolve.
func (r *RowSet) UnmarshalJSON(b []byte) error {
	var j rowSetJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Capacity < 1 || j.Capacity > MaxRowCapacity || j.Distinct < 0 || j.Distinct > j.Capacity {
		return fmt.Errorf("row hashes: capacity %d and distinct %d out of range", j.Capacity, j.Distinct)
	}
	tb, err := hex.DecodeString(j.Threshold)
	if err != nil || len(tb) != 8 {
		return errors.New("row hashes: threshold must be 16 hex digits")
	}
	if base64.StdEncoding.DecodedLen(len(j.Entries)) > MaxEncodedRowBytes {
		return fmt.Errorf("row hashes: more than %d bytes", MaxEncodedRowBytes)
	}
	raw, err := base64.StdEncoding.DecodeString(j.Entries)
	if err != nil {
		return fmt.Errorf("row hashes: %w", err)
	}
	out := newRowSet(j.Capacity)
	out.threshold = binary.BigEndian.Uint64(tb)
	rd := bytes.NewReader(raw)
	var key uint64
	for i := 0; i < j.Distinct; i++ {
		d, e1 := binary.ReadUvarint(rd)
		c, e2 := binary.ReadUvarint(rd)
		l, e3 := binary.ReadUvarint(rd)
		if err := errors.Join(e1, e2, e3); err != nil {
			return fmt.Errorf("row hashes: entry %d: %w", i, err)
		}
		if (i > 0 && d == 0) || key+d < key || c == 0 || c > math.MaxUint32 || (l > MaxClasses && l != conflictLabel) {
			return fmt.Errorf("row hashes: entry %d is malformed", i)
		}
		key += d
		if key > out.threshold {
			return fmt.Errorf("row hashes: entry %d lies above the threshold", i)
		}
		out.entries = append(out.entries, rowEntry{hash: key, count: uint32(c), conflict: l == conflictLabel, label: l})
	}
	if rd.Len() != 0 {
		return errors.New("row hashes: trailing bytes")
	}
	*r = *out
	return nil
}

// resolve turns decoded label indexes into label hashes once the profile's
// classes are known.
func (r *RowSet) resolve(classes []string) error {
	r.classes = classes
	for i := range r.entries {
		e := &r.entries[i]
		switch {
		case e.conflict:
			e.label = 0
		case e.label == 0:
		case e.label > uint64(len(classes)):
			return fmt.Errorf("row hashes: label index %d out of range (%d classes)", e.label, len(classes))
		default:
			e.label = labelHash(classes[e.label-1])
		}
	}
	return nil
}

// Fingerprint is an order-independent 128-bit digest of a dataset's rows
// (features and label): the sum, lane by lane, of every row's hash. Equal
// multisets of rows give equal fingerprints whatever the file format, row
// order or sharding, and fingerprints of shards add up to the whole's.
type Fingerprint struct {
	Rows   int64
	h1, h2 uint64
}

func (f *Fingerprint) add(h1, h2, label uint64) {
	f.Rows++
	f.h1 += mix64(h1 ^ label)
	f.h2 += mix64(h2 ^ bitsRotate(label))
}

func bitsRotate(x uint64) uint64 { return x<<29 | x>>35 }

func (f *Fingerprint) merge(o Fingerprint) {
	f.Rows += o.Rows
	f.h1 += o.h1
	f.h2 += o.h2
}

// String renders the fingerprint as "pgfp1:" and 32 hex digits.
func (f Fingerprint) String() string {
	return fmt.Sprintf("pgfp1:%016x%016x", mix64(f.h1^uint64(f.Rows)), f.h2^mix64(uint64(f.Rows)))
}

type fingerprintJSON struct {
	Rows   int64  `json:"rows"`
	Digest string `json:"digest"`
	Sums   string `json:"sums"`
}

// MarshalJSON writes the digest and the lane sums needed to merge.
func (f Fingerprint) MarshalJSON() ([]byte, error) {
	return json.Marshal(fingerprintJSON{Rows: f.Rows, Digest: f.String(), Sums: fmt.Sprintf("%016x%016x", f.h1, f.h2)})
}

// UnmarshalJSON reads a fingerprint and checks its digest.
func (f *Fingerprint) UnmarshalJSON(b []byte) error {
	var j fingerprintJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	raw, err := hex.DecodeString(j.Sums)
	if err != nil || len(raw) != 16 || j.Rows < 0 {
		return errors.New("fingerprint: sums must be 32 hex digits")
	}
	g := Fingerprint{Rows: j.Rows, h1: binary.BigEndian.Uint64(raw[:8]), h2: binary.BigEndian.Uint64(raw[8:])}
	if !strings.EqualFold(g.String(), j.Digest) {
		return errors.New("fingerprint: digest does not match its sums")
	}
	*f = g
	return nil
}

// Each calls fn for every kept row hash with its multiplicity, label hash
// (0 for none or conflicting) and whether its labels conflict.
func (r *RowSet) Each(fn func(h uint64, count int64, label uint64, conflict bool)) {
	r.flush()
	for _, e := range r.entries {
		fn(e.hash, int64(e.count), e.label, e.conflict)
	}
}

// Threshold returns the largest hash the set covers.
func (r *RowSet) Threshold() uint64 { return r.threshold }
