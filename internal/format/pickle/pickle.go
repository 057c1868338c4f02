package pickle

import (
	"errors"
	"fmt"
)

// Default limits, used where a Limits field is zero.
const (
	// DefaultMaxOpcodes caps the opcodes of one stream.
	DefaultMaxOpcodes = 1 << 30
	// DefaultMaxMemo caps the memo entries of one pickle.
	DefaultMaxMemo = 1 << 20
	// DefaultMaxStack caps the depth of the stack and of the mark stack.
	DefaultMaxStack = 1 << 20
	// DefaultMaxString is the longest string kept as a potential module
	// or attribute name; longer strings are skipped and cannot name a
	// global (a STACK_GLOBAL on one is reported as unresolved).
	DefaultMaxString = 256
	// DefaultMaxLine is the longest text argument (protocol 0) decoded;
	// longer lines are skipped.
	DefaultMaxLine = 4096
	// DefaultMaxPickles caps the pickles read from one stream.
	DefaultMaxPickles = 1 << 12
)

// Limits bounds the work and memory of Scan on untrusted input. A zero
// field takes its Default value; a negative one is an error.
type Limits struct {
	MaxOpcodes int64
	MaxMemo    int
	MaxStack   int
	MaxString  int
	MaxLine    int
	MaxPickles int
}

func (l Limits) withDefaults() (Limits, error) {
	if l.MaxOpcodes < 0 || l.MaxMemo < 0 || l.MaxStack < 0 || l.MaxString < 0 || l.MaxLine < 0 || l.MaxPickles < 0 {
		return l, errors.New("pickle: limits must not be negative")
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if l.MaxOpcodes == 0 {
		l.MaxOpcodes = DefaultMaxOpcodes
	}
	def(&l.MaxMemo, DefaultMaxMemo)
	def(&l.MaxStack, DefaultMaxStack)
	def(&l.MaxString, DefaultMaxString)
	def(&l.MaxLine, DefaultMaxLine)
	def(&l.MaxPickles, DefaultMaxPickles)
	l.MaxString = min(l.MaxString, bufSize)
	l.MaxLine = min(l.MaxLine, bufSize-1)
	return l, nil
}

// Options configures Scan.
type Options struct {
	Limits Limits
	// Pickles is how many pickles to read; zero reads pickles until the
	// stream ends.
	Pickles int
	// Offset is added to every reported offset: the position of the
	// stream within its file.
	Offset int64
}

// EventKind says what an Event reports.
type EventKind uint8

// Event kinds.
const (
	// Global is a global that loading imports (GLOBAL, INST,
	// STACK_GLOBAL); Module and Name hold it.
	Global EventKind = iota + 1
	// Unresolved is a STACK_GLOBAL whose operands are not both strings
	// the scanner kept: results of calls, bytes, long strings, missing
	// memo entries. Detail says what they were; Module and Name hold
	// what is known, "?" otherwise.
	Unresolved
	// Extension is an EXT1, EXT2 or EXT4 lookup in the copyreg extension
	// registry; Name holds the code.
	Extension
	// IndirectCall is a REDUCE, NEWOBJ, NEWOBJ_EX or OBJ whose callable
	// is not a global but the result of an earlier call or load.
	IndirectCall
	// GlobalMutation is a BUILD, APPEND(S), SETITEM(S) or ADDITEMS applied
	// to a global itself (not to an instance): it writes attributes of, or
	// calls methods on, a module-level object. Module and Name hold it.
	GlobalMutation
	// Anomaly is a construct CPython's unpickler rejects (stack
	// underflow, missing mark or memo entry, a call of a non-callable,
	// undecodable text); the scan goes on with opaque values. Only the
	// first of each pickle is reported; Stats.Anomalies counts them all.
	Anomaly
)

func (k EventKind) String() string {
	switch k {
	case Global:
		return "global"
	case Unresolved:
		return "unresolved"
	case Extension:
		return "extension"
	case IndirectCall:
		return "indirect-call"
	case GlobalMutation:
		return "global-mutation"
	case Anomaly:
		return "anomaly"
	}
	return fmt.Sprintf("event(%d)", k)
}

// Event is one thing Scan reports.
type Event struct {
	Kind EventKind
	// Offset is the stream offset (plus Options.Offset) of the opcode.
	Offset int64
	// Pickle is the index of the pickle in the stream, from 0.
	Pickle int
	// Op is the opcode's name, such as "STACK_GLOBAL".
	Op           string
	Module, Name string
	Detail       string
}

// Stats describes what Scan read.
type Stats struct {
	// Pickles is the number of complete pickles read.
	Pickles int
	// Opcodes is the number of opcodes decoded.
	Opcodes int64
	// End is the offset (plus Options.Offset) just after the last STOP.
	End int64
	// Protocol is the highest PROTO seen.
	Protocol int
	// Dups, Gets and Puts count DUP, GET-family and PUT-family opcodes
	// (MEMOIZE included), for judging expansion attacks.
	Dups, Gets, Puts int64
	// Anomalies counts constructs CPython rejects.
	Anomalies int64
}

// ErrLimit marks a stream beyond the Limits.
var ErrLimit = errors.New("limit exceeded")

// Error is a stream that cannot be read on: an invalid opcode, a stream
// that ends inside a pickle, an unsupported protocol or a limit.
type Error struct {
	// Offset is the stream offset (plus Options.Offset) of the opcode.
	Offset int64
	// Pickle is the index of the pickle in the stream, from 0.
	Pickle int
	// Op names the opcode, when it was decoded.
	Op  string
	Err error
}

func (e *Error) Error() string {
	op := ""
	if e.Op != "" {
		op = " " + e.Op
	}
	return fmt.Sprintf("pickle %d: offset %d%s: %v", e.Pickle, e.Offset, op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
