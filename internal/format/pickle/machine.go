package pickle

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// kind is what the machine knows of a value.
type kind uint8

const (
	kAbsent    kind = iota // an empty memo slot
	kOther                 // numbers, None, booleans, containers: not callable
	kObject                // result of a call or a persistent load: opaque
	kStr                   // a text string kept in s
	kBytes                 // a byte string kept in s
	kLongStr               // text too long to keep
	kLongBytes             // bytes too long to keep
	kGlobal                // a global: s holds module, NUL, name
)

// value is one symbolic stack or memo entry.
type value struct {
	k kind
	s string
}

// globalValue is the value of the global module.name.
func globalValue(module, name string) value {
	return value{k: kGlobal, s: module + "\x00" + name}
}

// global returns the module and name of a kGlobal value.
func (v value) global() (module, name string) {
	module, name, _ = strings.Cut(v.s, "\x00")
	return module, name
}

func (v value) describe() string {
	switch v.k {
	case kStr:
		return strconv.Quote(v.s)
	case kBytes:
		return "bytes " + strconv.Quote(v.s)
	case kLongStr:
		return "a string too long to keep"
	case kLongBytes:
		return "a long bytes object"
	case kGlobal:
		module, name := v.global()
		return "global " + module + "." + name
	case kObject:
		return "the result of a call"
	}
	return "a non-string value"
}

// machine is the symbolic unpickler.
type machine struct {
	rd      *reader
	lim     Limits
	visit   func(Event)
	ctx     context.Context
	offset  int64 // Options.Offset - reader base correction
	stack   []value
	marks   []int
	memo    []value
	sparse  map[uint64]value
	memoLen int
	stats   Stats
	pickle  int
	opAt    int64 // offset of the current opcode
	op      byte
	flagged bool // an anomaly of this pickle was reported
}

// Scan reads the pickles of r one after another, as many as
// opts.Pickles says or until r ends, and calls visit for each Event. It
// never runs the pickle. After the first pickle, a stream that ends
// cleanly between pickles ends the scan. It returns an *Error for a
// stream it cannot read on; a limit wraps ErrLimit.
func Scan(ctx context.Context, r io.Reader, opts Options, visit func(Event)) (Stats, error) {
	lim, err := opts.Limits.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	m := &machine{rd: newReader(r, 0), lim: lim, visit: visit, ctx: ctx, offset: opts.Offset,
		stack: make([]value, 0, 256), memo: make([]value, 0, 256)}
	for m.pickle = 0; opts.Pickles == 0 || m.pickle < opts.Pickles; m.pickle++ {
		if m.pickle > 0 && m.rd.atEOF() {
			break
		}
		if m.pickle == lim.MaxPickles {
			m.opAt, m.op = m.rd.offset(), 0
			return m.stats, m.fail(fmt.Errorf("more than %d pickles: %w", lim.MaxPickles, ErrLimit))
		}
		if err := m.run(); err != nil {
			return m.stats, err
		}
		m.stats.Pickles++
		m.stats.End = m.rd.offset() + m.offset
	}
	return m.stats, nil
}

// run reads one pickle up to its STOP.
func (m *machine) run() error {
	m.stack, m.marks, m.memoLen, m.flagged = m.stack[:0], m.marks[:0], 0, false
	clear(m.memo)
	m.memo = m.memo[:0]
	m.sparse = nil
	for {
		m.opAt = m.rd.offset()
		op, err := m.rd.readByte()
		if err != nil {
			m.op = 0
			return m.fail(err)
		}
		m.op = op
		m.stats.Opcodes++
		if m.stats.Opcodes&0xffff == 0 {
			if err := m.ctx.Err(); err != nil {
				return err
			}
			if m.stats.Opcodes > m.lim.MaxOpcodes {
				return m.fail(fmt.Errorf("more than %d opcodes: %w", m.lim.MaxOpcodes, ErrLimit))
			}
		}
		if op == opStop {
			m.pop()
			return nil
		}
		if err := m.step(op); err != nil {
			return m.fail(err)
		}
		if len(m.stack) > m.lim.MaxStack || len(m.marks) > m.lim.MaxStack {
			return m.fail(fmt.Errorf("stack deeper than %d: %w", m.lim.MaxStack, ErrLimit))
		}
	}
}

// fail wraps err with the current position.
func (m *machine) fail(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Offset: m.opAt + m.offset, Pickle: m.pickle, Op: opNames[m.op], Err: err}
}

func (m *machine) emit(k EventKind, module, name, detail string) {
	if m.visit != nil {
		m.visit(Event{Kind: k, Offset: m.opAt + m.offset, Pickle: m.pickle, Op: opNames[m.op],
			Module: module, Name: name, Detail: detail})
	}
}

// anomaly reports a construct CPython rejects, once per pickle.
func (m *machine) anomaly(format string, args ...any) {
	m.stats.Anomalies++
	if !m.flagged {
		m.flagged = true
		m.emit(Anomaly, "", "", fmt.Sprintf(format, args...))
	}
}

// step runs one opcode other than STOP.
func (m *machine) step(op byte) error {
	switch op {
	case opMark, opPop, opPopMark, opDup, opTuple, opTuple1, opTuple2, opTuple3, opEmptyTuple,
		opList, opEmptyList, opDict, opEmptyDict, opEmptySet, opFrozenSet, opNone, opNewTrue, opNewFalse,
		opAppend, opAppends, opSetItem, opSetItems, opAddItems:
		m.stackOp(op)
		return nil
	case opGlobal, opInst, opStackGlobal, opReduce, opBuild, opNewObj, opNewObjEx, opObj,
		opExt1, opExt2, opExt4, opPersID, opBinPersID:
		return m.callOp(op)
	case opPut, opBinPut, opLongBinPut, opMemoize, opGet, opBinGet, opLongBinGet:
		return m.memoOp(op)
	}
	return m.dataOp(op)
}

// push appends v; the caller's loop bounds the depth.
func (m *machine) push(v value) { m.stack = append(m.stack, v) }

// fence is the stack position of the innermost mark.
func (m *machine) fence() int {
	if len(m.marks) == 0 {
		return 0
	}
	return m.marks[len(m.marks)-1]
}

func (m *machine) pop() value {
	if len(m.stack) > m.fence() {
		v := m.stack[len(m.stack)-1]
		m.stack = m.stack[:len(m.stack)-1]
		return v
	}
	m.anomaly("stack underflow")
	return value{k: kObject}
}

func (m *machine) top() value {
	if len(m.stack) > m.fence() {
		return m.stack[len(m.stack)-1]
	}
	m.anomaly("stack underflow")
	return value{k: kObject}
}

// popMark removes the innermost mark and returns the values above it,
// valid until the next push.
func (m *machine) popMark() []value {
	if len(m.marks) == 0 {
		m.anomaly("no MARK on the stack")
		return nil
	}
	at := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	items := m.stack[at:]
	m.stack = m.stack[:at]
	return items
}

// stackOp runs the opcodes that build containers and shuffle the stack.
func (m *machine) stackOp(op byte) {
	other := value{k: kOther}
	switch op {
	case opMark:
		m.marks = append(m.marks, len(m.stack))
	case opPop:
		if len(m.stack) > m.fence() || len(m.marks) == 0 {
			m.pop()
		} else {
			m.popMark()
		}
	case opPopMark:
		m.popMark()
	case opDup:
		m.stats.Dups++
		m.push(m.top())
	case opTuple, opList, opDict, opFrozenSet:
		m.popMark()
		m.push(other)
	case opTuple1, opTuple2, opTuple3:
		for range int(op-opTuple1) + 1 {
			m.pop()
		}
		m.push(other)
	case opEmptyTuple, opEmptyList, opEmptyDict, opEmptySet, opNone, opNewTrue, opNewFalse:
		m.push(other)
	case opAppend:
		m.pop()
		m.mutate(m.top())
	case opSetItem:
		m.pop()
		m.pop()
		m.mutate(m.top())
	case opAppends, opSetItems, opAddItems:
		m.popMark()
		m.mutate(m.top())
	}
}

// mutate checks the target of an opcode that mutates or calls a method on
// the value below its arguments.
func (m *machine) mutate(target value) {
	switch target.k {
	case kGlobal:
		module, name := target.global()
		m.emit(GlobalMutation, module, name, opNames[m.op]+" on a global")
	case kStr, kBytes, kLongStr, kLongBytes:
		m.anomaly("%s on %s", opNames[m.op], target.describe())
	}
}

// callOp runs the opcodes that import globals and call them.
func (m *machine) callOp(op byte) error {
	switch op {
	case opGlobal, opInst:
		return m.global(op)
	case opStackGlobal:
		name, module := m.pop(), m.pop()
		m.stackGlobal(module, name)
	case opReduce:
		m.pop()
		m.call(m.pop())
		m.push(value{k: kObject})
	case opBuild:
		m.pop()
		if t := m.top(); t.k == kGlobal {
			module, name := t.global()
			m.emit(GlobalMutation, module, name, "BUILD sets attributes of a global")
		}
	case opNewObj:
		m.pop()
		m.call(m.pop())
		m.push(value{k: kObject})
	case opNewObjEx:
		m.pop()
		m.pop()
		m.call(m.pop())
		m.push(value{k: kObject})
	case opObj:
		items := m.popMark()
		if len(items) == 0 {
			m.anomaly("OBJ without a class")
		} else {
			m.call(items[0])
		}
		m.push(value{k: kObject})
	case opExt1, opExt2, opExt4:
		return m.extension(op)
	case opPersID:
		if _, _, err := m.rd.line(m.lim.MaxLine); err != nil {
			return err
		}
		m.push(value{k: kObject})
	case opBinPersID:
		m.pop()
		m.push(value{k: kObject})
	}
	return nil
}

// call checks the callable of REDUCE, NEWOBJ, NEWOBJ_EX and OBJ.
func (m *machine) call(fn value) {
	switch fn.k {
	case kGlobal:
	case kObject:
		m.emit(IndirectCall, "", "", opNames[m.op]+" calls the result of an earlier call or load")
	default:
		m.anomaly("%s calls %s, which is not callable", opNames[m.op], fn.describe())
	}
}

// global runs GLOBAL and INST, whose module and name are text lines.
func (m *machine) global(op byte) error {
	mod, err := m.nameLine()
	if err != nil {
		return err
	}
	name, err := m.nameLine()
	if err != nil {
		return err
	}
	switch {
	case mod.k == kStr && name.k == kStr:
		m.emit(Global, mod.s, name.s, "")
	default:
		m.emit(Unresolved, orUnknown(mod), orUnknown(name), "a module or name line too long or not UTF-8")
	}
	if op == opInst {
		m.popMark()
		m.push(value{k: kObject})
		return nil
	}
	m.push(globalValue(orUnknown(mod), orUnknown(name)))
	return nil
}

// nameLine reads a GLOBAL or INST argument line.
func (m *machine) nameLine() (value, error) {
	b, long, err := m.rd.line(m.lim.MaxLine)
	switch {
	case err != nil:
		return value{}, err
	case long || len(b) > m.lim.MaxString:
		return value{k: kLongStr}, nil
	case !utf8.Valid(b):
		return value{k: kBytes, s: string(b)}, nil
	}
	return value{k: kStr, s: string(b)}, nil
}

func orUnknown(v value) string {
	if v.k == kStr {
		return v.s
	}
	return "?"
}

// stackGlobal resolves STACK_GLOBAL's operands.
func (m *machine) stackGlobal(module, name value) {
	if module.k == kStr && name.k == kStr {
		m.emit(Global, module.s, name.s, "")
	} else {
		m.emit(Unresolved, orUnknown(module), orUnknown(name),
			fmt.Sprintf("module is %s, name is %s", module.describe(), name.describe()))
	}
	m.push(globalValue(orUnknown(module), orUnknown(name)))
}

// extension runs EXT1, EXT2 and EXT4.
func (m *machine) extension(op byte) error {
	n := 1
	switch op {
	case opExt2:
		n = 2
	case opExt4:
		n = 4
	}
	b, err := m.rd.take(n)
	if err != nil {
		return err
	}
	var code uint32
	for i := n - 1; i >= 0; i-- {
		code = code<<8 | uint32(b[i])
	}
	m.emit(Extension, "?", strconv.FormatUint(uint64(code), 10), "copyreg extension code")
	m.push(globalValue("?", "ext"+strconv.FormatUint(uint64(code), 10)))
	return nil
}

// memoOp runs PUT, GET and their binary forms.
func (m *machine) memoOp(op byte) error {
	var idx uint64
	switch op {
	case opMemoize:
		idx = uint64(m.memoLen)
	case opPut, opGet:
		b, long, err := m.rd.line(m.lim.MaxLine)
		if err != nil {
			return err
		}
		n, perr := strconv.ParseUint(string(b), 10, 64)
		if long || perr != nil {
			return fmt.Errorf("invalid memo index %q", clip(b))
		}
		idx = n
	case opBinPut, opBinGet:
		c, err := m.rd.readByte()
		if err != nil {
			return err
		}
		idx = uint64(c)
	case opLongBinPut, opLongBinGet:
		b, err := m.rd.take(4)
		if err != nil {
			return err
		}
		idx = uint64(binary.LittleEndian.Uint32(b))
	}
	switch op {
	case opGet, opBinGet, opLongBinGet:
		m.stats.Gets++
		v := m.memoGet(idx)
		if v.k == kAbsent {
			m.anomaly("memo entry %d is not set", idx)
			v = value{k: kObject}
		}
		m.push(v)
		return nil
	}
	m.stats.Puts++
	return m.memoPut(idx, m.top())
}

func (m *machine) memoGet(idx uint64) value {
	if idx < uint64(len(m.memo)) {
		return m.memo[idx]
	}
	if m.sparse == nil {
		return value{}
	}
	return m.sparse[idx]
}

func (m *machine) memoPut(idx uint64, v value) error {
	if m.memoGet(idx).k == kAbsent {
		if m.memoLen == m.lim.MaxMemo {
			return fmt.Errorf("more than %d memo entries: %w", m.lim.MaxMemo, ErrLimit)
		}
		m.memoLen++
	}
	switch {
	case idx < uint64(len(m.memo)):
		m.memo[idx] = v
	case idx == uint64(len(m.memo)) && idx < uint64(m.lim.MaxMemo):
		m.memo = append(m.memo, v)
	default:
		if m.sparse == nil {
			m.sparse = make(map[uint64]value)
		}
		m.sparse[idx] = v
	}
	return nil
}

// dataOp runs the opcodes that push numbers, strings and bytes, and PROTO
// and FRAME.
func (m *machine) dataOp(op byte) error {
	switch op {
	case opProto:
		c, err := m.rd.readByte()
		if err != nil {
			return err
		}
		if c > HighestProtocol {
			return fmt.Errorf("unsupported pickle protocol %d", c)
		}
		m.stats.Protocol = max(m.stats.Protocol, int(c))
		return nil
	case opFrame:
		_, err := m.rd.take(8)
		return err
	case opInt, opLong, opFloat:
		_, _, err := m.rd.line(m.lim.MaxLine)
		m.push(value{k: kOther})
		return err
	case opBinInt, opBinInt1, opBinInt2, opBinFloat:
		_, err := m.rd.take(fixedLen(op))
		m.push(value{k: kOther})
		return err
	case opLong1, opLong4:
		n, err := m.length(op)
		if err == nil {
			err = m.rd.skip(n)
		}
		m.push(value{k: kOther})
		return err
	case opString, opUnicode:
		return m.textLine(op)
	case opNextBuffer:
		m.push(value{k: kObject})
		return nil
	case opReadOnlyBuffer:
		m.push(m.pop())
		return nil
	case opBinString, opShortBinString, opBinUnicode, opShortBinUnicode, opBinUnicode8,
		opBinBytes, opShortBinBytes, opBinBytes8, opByteArray8:
		return m.counted(op)
	}
	return fmt.Errorf("invalid opcode 0x%02x", op)
}

// fixedLen is the argument length of the fixed-size number opcodes.
func fixedLen(op byte) int {
	switch op {
	case opBinInt1:
		return 1
	case opBinInt2:
		return 2
	case opBinInt:
		return 4
	}
	return 8
}

// length reads the length prefix of a counted opcode.
func (m *machine) length(op byte) (int64, error) {
	var n int
	switch op {
	case opShortBinString, opShortBinUnicode, opShortBinBytes, opLong1:
		n = 1
	case opBinString, opBinUnicode, opBinBytes, opLong4:
		n = 4
	default:
		n = 8
	}
	b, err := m.rd.take(n)
	if err != nil {
		return 0, err
	}
	switch n {
	case 1:
		return int64(b[0]), nil
	case 4:
		v := binary.LittleEndian.Uint32(b)
		if (op == opBinString || op == opLong4) && int32(v) < 0 {
			return 0, fmt.Errorf("negative length %d", int32(v))
		}
		return int64(v), nil
	}
	v := binary.LittleEndian.Uint64(b)
	if v > math.MaxInt64 {
		return 0, fmt.Errorf("length %d too large", v)
	}
	return int64(v), nil
}

// counted runs the opcodes whose payload follows a length: short payloads
// are kept as potential names, long ones skipped.
func (m *machine) counted(op byte) error {
	n, err := m.length(op)
	if err != nil {
		return err
	}
	text := op == opBinString || op == opShortBinString || op == opBinUnicode ||
		op == opShortBinUnicode || op == opBinUnicode8
	if n > int64(m.lim.MaxString) {
		if err := m.rd.skip(n); err != nil {
			return err
		}
		if text {
			m.push(value{k: kLongStr})
		} else {
			m.push(value{k: kLongBytes})
		}
		return nil
	}
	b, err := m.rd.take(int(n))
	if err != nil {
		return err
	}
	switch {
	case !text:
		m.push(value{k: kBytes, s: string(b)})
	case (op == opBinUnicode || op == opShortBinUnicode || op == opBinUnicode8) && !utf8.Valid(b):
		if validSurrogates(b) {
			m.push(value{k: kStr, s: string(b)})
		} else {
			m.anomaly("%s is not valid UTF-8", opNames[op])
			m.push(value{k: kObject})
		}
	default:
		m.push(value{k: kStr, s: string(b)})
	}
	return nil
}

// validSurrogates reports whether b is UTF-8 once encoded surrogates, which
// CPython's surrogatepass accepts, are allowed.
func validSurrogates(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			if len(b) >= 3 && b[0] == 0xed && b[1] >= 0xa0 && b[1] <= 0xbf && b[2] >= 0x80 && b[2] <= 0xbf {
				b = b[3:]
				continue
			}
			return false
		}
		b = b[size:]
	}
	return true
}

// textLine runs STRING and UNICODE, whose argument is a text line.
func (m *machine) textLine(op byte) error {
	b, long, err := m.rd.line(m.lim.MaxLine)
	if err != nil {
		return err
	}
	if long {
		m.push(value{k: kLongStr})
		return nil
	}
	var s string
	if op == opString {
		s, err = decodeString(b)
	} else {
		s, err = decodeRawUnicodeEscape(b)
	}
	switch {
	case err != nil:
		m.anomaly("%v", err)
		m.push(value{k: kObject})
	case len(s) > m.lim.MaxString:
		m.push(value{k: kLongStr})
	default:
		m.push(value{k: kStr, s: s})
	}
	return nil
}

// clip cuts b for an error message.
func clip(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "…"
	}
	return string(b)
}
