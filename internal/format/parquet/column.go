package parquet

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// ColumnReader streams the values of one column across all row groups,
// holding one page (and the chunk's dictionary) at a time. Reads may stop
// and resume anywhere, across page and row group boundaries.
type ColumnReader struct {
	file   *File
	index  int
	col    Column
	maxDef byte

	rg      int        // row group of the open chunk; -1 before the first
	base    int64      // file row of the chunk's first row
	pages   pq.Pages   // nil when no chunk is open
	infos   []pageInfo // data pages of the open chunk
	next    int        // index into infos of the next page to read
	scratch []byte

	page    pq.Page // nil when no page is held
	pageRow int64   // file row of the page's first row
	n, pos  int     // rows in the page, next row to read
	vpos    int     // next non-null value to read
	defs    []byte  // definition levels, nil when the page has no nulls
	vals    typed   // the page's values (dictionary indexes when idx is set)
	idx     []int32 // dictionary indexes, nil for plain pages

	dict    pq.Dictionary // dictionary the caches below were built from
	dictVal typed
	dictNum []float64
	dictStr []string

	err error // sticky error
}

// typed holds one page's decoded values in the column's physical type.
type typed struct {
	f64     []float64
	f32     []float32
	i32     []int32
	i64     []int64
	bits    []byte // booleans, least significant bit first
	bytes   []byte
	offsets []uint32
	n       int
}

// Column returns the column the reader reads.
func (r *ColumnReader) Column() Column { return r.col }

// ReadFloat64 reads up to len(dst) values of a numeric column, writing
// null for each null. It returns the number of values read and io.EOF once
// the column is exhausted. Integers are converted exactly up to 2^53,
// unsigned logical types read as unsigned, decimals are scaled.
func (r *ColumnReader) ReadFloat64(dst []float64, null float64) (n int, err error) {
	if !r.col.Numeric() {
		return 0, fmt.Errorf("column %q of type %s is not numeric", r.col.Name, r.col.Type)
	}
	return r.read(len(dst), func(from, to int) error {
		return r.fillFloat64(dst[from:to], null)
	})
}

// ReadString reads up to len(dst) values as text: byte arrays as they are,
// booleans as "true" and "false", numbers in their shortest decimal form.
// A null reads as "". It returns the number of values read and io.EOF once
// the column is exhausted.
func (r *ColumnReader) ReadString(dst []string) (n int, err error) {
	return r.read(len(dst), func(from, to int) error {
		return r.fillString(dst[from:to])
	})
}

// Close releases the page and chunk the reader holds.
func (r *ColumnReader) Close() (err error) {
	defer recoverPanic(&err, -1, -1)
	r.releasePage()
	return r.closeChunk()
}

// read runs fill over consecutive runs of rows within pages until want
// rows are read.
func (r *ColumnReader) read(want int, fill func(from, to int) error) (n int, err error) {
	if r.err != nil {
		return 0, r.err
	}
	defer func() {
		if rec := recover(); rec != nil {
			err = formatErrorf(r.pageOffset(), r.pageRow, "malformed parquet data (decoder panic: %v)", rec)
		}
		if err != nil && err != io.EOF {
			r.err = err
		}
	}()
	for n < want {
		if r.pos == r.n {
			if err := r.nextPage(); err != nil {
				return n, err
			}
			continue
		}
		k := min(want-n, r.n-r.pos)
		if err := fill(n, n+k); err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

func (r *ColumnReader) pageOffset() int64 {
	if r.next > 0 && r.next <= len(r.infos) && r.pages != nil {
		return r.infos[r.next-1].offset
	}
	return -1
}

// nextPage moves to the next page with at least one row, opening the next
// chunk as needed; io.EOF after the last.
func (r *ColumnReader) nextPage() error {
	r.releasePage()
	for {
		if r.pages == nil {
			if err := r.openChunk(); err != nil {
				return err
			}
		}
		if r.next == len(r.infos) {
			if err := r.closeChunk(); err != nil {
				return err
			}
			continue
		}
		info := r.infos[r.next]
		r.next++
		page, err := r.pages.ReadPage()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return formatErrorf(info.offset, r.base+info.rows, "column %q: %w", r.col.Name, err)
		}
		r.page, r.pageRow = page, r.base+info.rows
		if err := r.loadPage(); err != nil {
			return formatErrorf(info.offset, r.pageRow, "column %q: %w", r.col.Name, err)
		}
		if int64(r.n) != info.values {
			return formatErrorf(info.offset, r.pageRow, "column %q: page holds %d rows, its header declares %d", r.col.Name, r.n, info.values)
		}
		if r.n > 0 {
			return nil
		}
	}
}

func (r *ColumnReader) openChunk() error {
	rg := r.rg + 1
	if rg >= len(r.file.rowGroups) {
		return io.EOF
	}
	if r.rg >= 0 {
		r.base += r.file.rowGroups[r.rg].NumRows
	}
	r.rg = rg
	var err error
	if r.infos, r.scratch, err = r.file.checkChunk(rg, r.index, r.infos, r.scratch); err != nil {
		return err
	}
	chunk := r.file.file.RowGroups()[rg].ColumnChunks()[r.index]
	r.pages = chunk.Pages()
	r.next = 0
	r.dict, r.dictNum, r.dictStr = nil, r.dictNum[:0], r.dictStr[:0]
	return nil
}

func (r *ColumnReader) closeChunk() error {
	if r.pages == nil {
		return nil
	}
	err := r.pages.Close()
	r.pages = nil
	r.dict = nil
	r.dictVal = typed{}
	r.infos = r.infos[:0]
	r.next = 0
	return err
}

func (r *ColumnReader) releasePage() {
	if r.page != nil {
		pq.Release(r.page)
	}
	r.page = nil
	r.n, r.pos, r.vpos = 0, 0, 0
	r.defs, r.idx = nil, nil
	r.vals = typed{}
}

// loadPage exposes the held page's levels and values and checks that they
// agree with each other and with the dictionary.
func (r *ColumnReader) loadPage() error {
	p := r.page
	n := int(p.NumValues())
	present := n
	if r.maxDef > 0 {
		defs := p.DefinitionLevels()
		if len(defs) != n {
			return fmt.Errorf("page has %d definition levels for %d values", len(defs), n)
		}
		present = 0
		for _, d := range defs {
			if d == r.maxDef {
				present++
			}
		}
		if present < n {
			r.defs = defs
		}
	}
	if dict := p.Dictionary(); dict != nil {
		data := p.Data()
		if data.Kind() != encoding.Int32 {
			return errors.New("dictionary page indexes are not int32")
		}
		idx := data.Int32()
		if len(idx) < present {
			return fmt.Errorf("page has %d values for %d non-null rows", len(idx), present)
		}
		if dict != r.dict {
			if err := r.loadDictionary(dict); err != nil {
				return err
			}
		}
		size := uint32(r.dictVal.n)
		for _, i := range idx[:present] {
			if uint32(i) >= size {
				return fmt.Errorf("dictionary index %d out of range [0, %d)", i, size)
			}
		}
		r.idx = idx
	} else {
		v, err := r.typedValues(p.Data())
		if err != nil {
			return err
		}
		if v.n < present {
			return fmt.Errorf("page has %d values for %d non-null rows", v.n, present)
		}
		r.vals = v
	}
	r.n = n
	return nil
}

func (r *ColumnReader) loadDictionary(dict pq.Dictionary) error {
	v, err := r.typedValues(dict.Page().Data())
	if err != nil {
		return fmt.Errorf("dictionary: %w", err)
	}
	if v.n != dict.Len() {
		return fmt.Errorf("dictionary has %d values, declares %d", v.n, dict.Len())
	}
	r.dict, r.dictVal = dict, v
	r.dictNum, r.dictStr = r.dictNum[:0], r.dictStr[:0]
	return nil
}

// typedValues views data as the column's physical type.
func (r *ColumnReader) typedValues(data encoding.Values) (typed, error) {
	var v typed
	kind := data.Kind()
	if kind != encodingKind(r.col.Type) {
		return v, fmt.Errorf("page holds %s values in a %s column", kind, r.col.Type)
	}
	switch kind {
	case encoding.Boolean:
		v.bits = data.Boolean()
		v.n = 8 * len(v.bits)
	case encoding.Int32:
		v.i32 = data.Int32()
		v.n = len(v.i32)
	case encoding.Int64:
		v.i64 = data.Int64()
		v.n = len(v.i64)
	case encoding.Float:
		v.f32 = data.Float()
		v.n = len(v.f32)
	case encoding.Double:
		v.f64 = data.Double()
		v.n = len(v.f64)
	case encoding.ByteArray:
		v.bytes, v.offsets = data.ByteArray()
		if len(v.offsets) == 0 {
			return v, nil
		}
		v.n = len(v.offsets) - 1
		prev := v.offsets[0]
		for _, o := range v.offsets {
			if o < prev || int(o) > len(v.bytes) {
				return v, errors.New("invalid byte array offsets")
			}
			prev = o
		}
	}
	return v, nil
}

// fillFloat64 reads len(dst) rows of the held page.
func (r *ColumnReader) fillFloat64(dst []float64, null float64) error {
	if r.idx != nil && len(r.dictNum) != r.dictVal.n {
		r.dictNum = growFloat64(r.dictNum, r.dictVal.n)
		r.convertFloat64(r.dictNum, &r.dictVal, 0)
	}
	if r.defs == nil {
		r.plainFloat64(dst)
		r.pos += len(dst)
		return nil
	}
	defs := r.defs[r.pos : r.pos+len(dst)]
	for i := 0; i < len(defs); {
		if defs[i] != r.maxDef {
			dst[i] = null
			i++
			continue
		}
		j := i + 1
		for j < len(defs) && defs[j] == r.maxDef {
			j++
		}
		r.plainFloat64(dst[i:j])
		i = j
	}
	r.pos += len(dst)
	return nil
}

// plainFloat64 copies the next len(dst) non-null values.
func (r *ColumnReader) plainFloat64(dst []float64) {
	from := r.vpos
	r.vpos += len(dst)
	if r.idx != nil {
		for i, k := range r.idx[from:r.vpos] {
			dst[i] = r.dictNum[k]
		}
		return
	}
	r.convertFloat64(dst, &r.vals, from)
}

func (r *ColumnReader) convertFloat64(dst []float64, v *typed, from int) {
	to := from + len(dst)
	switch r.col.Type {
	case Double:
		copy(dst, v.f64[from:to])
	case Float:
		for i, x := range v.f32[from:to] {
			dst[i] = float64(x)
		}
	case Int32:
		if r.col.unsigned {
			for i, x := range v.i32[from:to] {
				dst[i] = float64(uint32(x))
			}
		} else {
			for i, x := range v.i32[from:to] {
				dst[i] = float64(x)
			}
		}
	case Int64:
		if r.col.unsigned {
			for i, x := range v.i64[from:to] {
				dst[i] = float64(uint64(x))
			}
		} else {
			for i, x := range v.i64[from:to] {
				dst[i] = float64(x)
			}
		}
	}
	if r.col.scale != 0 {
		for i := range dst {
			dst[i] /= r.col.scale
		}
	}
}

// fillString reads len(dst) rows of the held page.
func (r *ColumnReader) fillString(dst []string) error {
	if r.idx != nil && len(r.dictStr) != r.dictVal.n {
		r.dictStr = growString(r.dictStr, r.dictVal.n)
		r.convertString(r.dictStr, &r.dictVal, 0)
	}
	for i := 0; i < len(dst); {
		if r.defs != nil && r.defs[r.pos+i] != r.maxDef {
			dst[i] = ""
			i++
			continue
		}
		j := i + 1
		for j < len(dst) && (r.defs == nil || r.defs[r.pos+j] == r.maxDef) {
			j++
		}
		from := r.vpos
		r.vpos += j - i
		if r.idx != nil {
			for k, x := range r.idx[from:r.vpos] {
				dst[i+k] = r.dictStr[x]
			}
		} else {
			r.convertString(dst[i:j], &r.vals, from)
		}
		i = j
	}
	r.pos += len(dst)
	return nil
}

func (r *ColumnReader) convertString(dst []string, v *typed, from int) {
	switch r.col.Type {
	case ByteArray:
		for i := range dst {
			a, b := v.offsets[from+i], v.offsets[from+i+1]
			dst[i] = string(v.bytes[a:b])
		}
	case Boolean:
		for i := range dst {
			k := from + i
			if v.bits[k>>3]>>(k&7)&1 == 1 {
				dst[i] = "true"
			} else {
				dst[i] = "false"
			}
		}
	case Int32, Int64:
		if r.col.scale != 0 {
			num := make([]float64, len(dst))
			r.convertFloat64(num, v, from)
			for i, x := range num {
				dst[i] = strconv.FormatFloat(x, 'g', -1, 64)
			}
			return
		}
		for i := range dst {
			switch {
			case r.col.Type == Int32 && r.col.unsigned:
				dst[i] = strconv.FormatUint(uint64(uint32(v.i32[from+i])), 10)
			case r.col.Type == Int32:
				dst[i] = strconv.FormatInt(int64(v.i32[from+i]), 10)
			case r.col.unsigned:
				dst[i] = strconv.FormatUint(uint64(v.i64[from+i]), 10)
			default:
				dst[i] = strconv.FormatInt(v.i64[from+i], 10)
			}
		}
	case Float:
		for i, x := range v.f32[from : from+len(dst)] {
			dst[i] = formatFloat(float64(x), 32)
		}
	case Double:
		for i, x := range v.f64[from : from+len(dst)] {
			dst[i] = formatFloat(x, 64)
		}
	}
}

func formatFloat(x float64, bits int) string { return strconv.FormatFloat(x, 'g', -1, bits) }

func encodingKind(t Type) encoding.Kind {
	switch t {
	case Boolean:
		return encoding.Boolean
	case Int32:
		return encoding.Int32
	case Int64:
		return encoding.Int64
	case Float:
		return encoding.Float
	case Double:
		return encoding.Double
	case ByteArray:
		return encoding.ByteArray
	}
	return encoding.Undefined
}

func growFloat64(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

func growString(s []string, n int) []string {
	if cap(s) < n {
		return make([]string, n)
	}
	return s[:n]
}
