package profile

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Top-K parameters.
const (
	// DefaultExactCategories is the capacity NewTopK uses for capacity ≤ 0:
	// counts are exact up to this many distinct values.
	DefaultExactCategories = 10000
	// MaxTopKCapacity bounds the capacity of a TopK, and of an imported
	// TopKState.
	MaxTopKCapacity = 1 << 20
	// MaxItemBytes is the longest value a TopK keeps. Longer values are cut
	// to at most MaxItemBytes bytes, at a UTF-8 character boundary, so values
	// that share that prefix count as one.
	MaxItemBytes = 256
)

// ItemCount is one value of a categorical column with its estimated count.
// The true count lies in [Count−Error, Count]; Error is 0 while the summary
// is exact.
type ItemCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
	Error int64  `json:"error"`
}

// TopK counts the values of a categorical column. It keeps exact counts
// while the column has at most Capacity distinct values. Beyond that it
// becomes a SpaceSaving summary (Metwally, Agrawal and El Abbadi, 2005) of
// Capacity counters: every monitored value's count is an overestimate by at
// most its Error, every value not monitored occurred at most MaxError times,
// and MaxError ≤ Total/Capacity. Any value occurring more than
// Total/Capacity times is therefore monitored.
//
// Merge follows the mergeable Misra–Gries summary of Agarwal et al.
// ("Mergeable Summaries", PODS 2012), which keeps MaxError ≤ Total/Capacity
// across any tree of merges of summaries of equal capacity. Merging two
// exact summaries whose union has at most Capacity values stays exact.
//
// The zero value is not usable; build a TopK with NewTopK. A TopK is not safe
// for concurrent use.
type TopK struct {
	capacity int
	total    int64
	// floor bounds the true count of any value not monitored, and every
	// Error. It is 0 exactly while the counts are exact.
	floor int64
	items []ItemCount    // min-heap by Count, ties by Value
	index map[string]int // position of each value in items
}

// NewTopK returns an empty counter with the given capacity. A capacity ≤ 0
// selects DefaultExactCategories; larger ones are clamped to MaxTopKCapacity.
func NewTopK(capacity int) *TopK {
	if capacity <= 0 {
		capacity = DefaultExactCategories
	}
	capacity = min(capacity, MaxTopKCapacity)
	return &TopK{capacity: capacity, index: make(map[string]int)}
}

// Capacity returns the number of distinct values counted exactly, and the
// number of counters kept afterwards.
func (t *TopK) Capacity() int { return t.capacity }

// Total returns the sum of all counts added, the N of the error bound.
func (t *TopK) Total() int64 { return t.total }

// Exact reports whether every count is exact, which holds until more than
// Capacity distinct values have been seen.
func (t *TopK) Exact() bool { return t.floor == 0 }

// MaxError returns the bound on every Error and on the count of any value not
// monitored; it is at most Total/Capacity, and 0 while Exact.
func (t *TopK) MaxError() int64 { return t.floor }

// Add counts n occurrences of s. Values longer than MaxItemBytes are
// truncated first; n ≤ 0 is ignored. s is copied, never retained.
func (t *TopK) Add(s string, n int64) {
	if n <= 0 {
		return
	}
	s = truncateItem(s)
	t.total += n
	if i, ok := t.index[s]; ok {
		t.items[i].Count += n
		t.down(i)
		return
	}
	if len(t.items) < t.capacity {
		t.items = append(t.items, ItemCount{Value: strings.Clone(s), Count: t.floor + n, Error: t.floor})
		t.index[t.items[len(t.items)-1].Value] = len(t.items) - 1
		t.up(len(t.items) - 1)
		return
	}
	// SpaceSaving: the new value replaces the least counted one and inherits
	// its count as error.
	evicted := t.items[0]
	delete(t.index, evicted.Value)
	t.floor = max(t.floor, evicted.Count)
	t.items[0] = ItemCount{Value: strings.Clone(s), Count: t.floor + n, Error: t.floor}
	t.index[t.items[0].Value] = 0
	t.down(0)
}

// Merge folds other into t, so that t counts both streams. other is not
// changed and may be t itself. The result keeps t's capacity; the bound
// MaxError ≤ Total/Capacity holds when both have the same capacity (the
// per-item bounds hold regardless). Counts that were exact on both sides and
// fit in Capacity stay exact; otherwise every Error of the result is
// MaxError.
func (t *TopK) Merge(other *TopK) {
	if other == nil || other.total == 0 {
		return
	}
	// Misra–Gries form: counter = Count − floor is a lower bound, and the
	// true count is at most counter + floor.
	counters := make(map[string]int64, len(t.items)+len(other.items))
	for _, it := range t.items {
		if c := it.Count - t.floor; c > 0 {
			counters[it.Value] += c
		}
	}
	for _, it := range other.items {
		if c := it.Count - other.floor; c > 0 {
			counters[it.Value] += c
		}
	}
	floor := t.floor + other.floor
	merged := make([]ItemCount, 0, len(counters))
	for v, c := range counters {
		merged = append(merged, ItemCount{Value: v, Count: c})
	}
	sortItems(merged)
	if len(merged) > t.capacity {
		// Subtract the (capacity+1)-th largest counter from all: the true
		// count of a dropped value is at most that much above its counter.
		cut := merged[t.capacity].Count
		merged = merged[:t.capacity]
		for len(merged) > 0 && merged[len(merged)-1].Count <= cut {
			merged = merged[:len(merged)-1]
		}
		for i := range merged {
			merged[i].Count -= cut
		}
		floor += cut
	}
	t.total += other.total
	t.floor = floor
	t.items = merged
	clear(t.index)
	for i := range t.items {
		t.items[i].Count += floor
		t.items[i].Error = floor
	}
	t.heapify()
}

// Top returns the k most counted values, by Count descending and then Value
// ascending; k ≤ 0 or beyond the number of monitored values returns them all.
func (t *TopK) Top(k int) []ItemCount {
	out := slices.Clone(t.items)
	sortItems(out)
	if k > 0 && k < len(out) {
		out = out[:k]
	}
	return out
}

// Counts returns a fresh map of every value to its exact count, or nil when
// the summary is no longer Exact.
func (t *TopK) Counts() map[string]int64 {
	if !t.Exact() {
		return nil
	}
	m := make(map[string]int64, len(t.items))
	for _, it := range t.items {
		m[it.Value] = it.Count
	}
	return m
}

// TopKState is the JSON-friendly form of a TopK: export it with State and
// rebuild the TopK with TopKFromState. Items are sorted as Top sorts them.
type TopKState struct {
	Capacity int         `json:"capacity"`
	Total    int64       `json:"total"`
	MaxError int64       `json:"max_error"`
	Items    []ItemCount `json:"items"`
}

// State exports the summary.
func (t *TopK) State() TopKState {
	return TopKState{Capacity: t.capacity, Total: t.total, MaxError: t.floor, Items: t.Top(0)}
}

// TopKFromState rebuilds a TopK from an exported state, treating it as
// untrusted: it checks the capacity and item limits, that values are unique
// and within MaxItemBytes, that every count and error is consistent with
// MaxError, and that the counts add up to Total (exactly while exact,
// and within the SpaceSaving invariant otherwise). Errors wrap
// ErrMalformedSketch.
func TopKFromState(st TopKState) (*TopK, error) {
	if err := st.check(); err != nil {
		return nil, fmt.Errorf("import top-k state: %w: %w", ErrMalformedSketch, err)
	}
	t := &TopK{capacity: st.Capacity, total: st.Total, floor: st.MaxError}
	t.items = slices.Clone(st.Items)
	t.index = make(map[string]int, len(t.items))
	t.heapify()
	return t, nil
}

func (st *TopKState) check() error {
	if st.Capacity < 1 || st.Capacity > MaxTopKCapacity {
		return fmt.Errorf("capacity %d outside [1, %d]", st.Capacity, MaxTopKCapacity)
	}
	if len(st.Items) > st.Capacity {
		return fmt.Errorf("%d items above capacity %d", len(st.Items), st.Capacity)
	}
	if st.Total < 0 || st.MaxError < 0 {
		return fmt.Errorf("negative total %d or max error %d", st.Total, st.MaxError)
	}
	seen := make(map[string]struct{}, len(st.Items))
	// sum is Σ Count + (Capacity − len(Items))·MaxError, which a SpaceSaving
	// summary keeps at most Total, and exactly Total while exact.
	var sum int64
	for i, it := range st.Items {
		if len(it.Value) > MaxItemBytes {
			return fmt.Errorf("item %d: value of %d bytes above %d", i, len(it.Value), MaxItemBytes)
		}
		if _, dup := seen[it.Value]; dup {
			return fmt.Errorf("item %d: duplicate value %q", i, it.Value)
		}
		seen[it.Value] = struct{}{}
		if it.Count < 1 || it.Count < st.MaxError || it.Error < 0 || it.Error > st.MaxError {
			return fmt.Errorf("item %d: count %d, error %d inconsistent with max error %d", i, it.Count, it.Error, st.MaxError)
		}
		if it.Count > st.Total-sum {
			return fmt.Errorf("counts add up to more than total %d", st.Total)
		}
		sum += it.Count
	}
	if free := int64(st.Capacity - len(st.Items)); st.MaxError > 0 && free > 0 {
		if st.MaxError > (st.Total-sum)/free {
			return fmt.Errorf("max error %d too large for total %d", st.MaxError, st.Total)
		}
	}
	if st.MaxError == 0 && sum != st.Total {
		return fmt.Errorf("exact counts add up to %d, total is %d", sum, st.Total)
	}
	return nil
}

// truncateItem cuts s to at most MaxItemBytes bytes without splitting a
// UTF-8 encoded character.
func truncateItem(s string) string {
	if len(s) <= MaxItemBytes {
		return s
	}
	cut := MaxItemBytes
	for cut > MaxItemBytes-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// sortItems orders items by Count descending, then Value ascending.
func sortItems(items []ItemCount) {
	slices.SortFunc(items, func(a, b ItemCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
}

// less orders the heap: the least counted value, then the smallest value,
// is evicted first.
func (t *TopK) less(i, j int) bool {
	a, b := &t.items[i], &t.items[j]
	return a.Count < b.Count || (a.Count == b.Count && a.Value < b.Value)
}

func (t *TopK) swap(i, j int) {
	t.items[i], t.items[j] = t.items[j], t.items[i]
	t.index[t.items[i].Value] = i
	t.index[t.items[j].Value] = j
}

func (t *TopK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(i, p) {
			return
		}
		t.swap(i, p)
		i = p
	}
}

func (t *TopK) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(t.items) {
			return
		}
		c := l
		if r := l + 1; r < len(t.items) && t.less(r, l) {
			c = r
		}
		if !t.less(c, i) {
			return
		}
		t.swap(i, c)
		i = c
	}
}

func (t *TopK) heapify() {
	for i, it := range t.items {
		t.index[it.Value] = i
	}
	for i := len(t.items)/2 - 1; i >= 0; i-- {
		t.down(i)
	}
}

// MarshalJSON encodes the summary as its TopKState.
func (t *TopK) MarshalJSON() ([]byte, error) { return json.Marshal(t.State()) }

// UnmarshalJSON decodes a TopKState and validates it as TopKFromState does,
// leaving t unchanged on error.
func (t *TopK) UnmarshalJSON(b []byte) error {
	var st TopKState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("decode top-k state: %w", err)
	}
	u, err := TopKFromState(st)
	if err != nil {
		return err
	}
	*t = *u
	return nil
}
