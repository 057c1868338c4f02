// Package pickle reads Python pickle streams as data, never running them.
//
// Scan decodes the opcodes of protocols 0 to 5 from an io.Reader and runs
// them on a symbolic machine that tracks the stack, the marks and the memo
// the way CPython's unpickler does, with opaque values standing for
// everything that is not a short string or a global. It reports, through
// a callback, every global a load would import (GLOBAL, INST, and
// STACK_GLOBAL with its operands resolved through the stack and the memo),
// every operand it cannot resolve to a string, every call of something
// that is not a global, every BUILD applied to a global (an attribute
// write on a module-level object), and every extension-registry lookup.
//
// The stream is read through a fixed buffer: payloads too long to be a
// name (tensor bytes, long strings) are skipped, with Seek when the reader
// allows it, so memory does not grow with the file. Several pickles
// written one after another are read in turn. Limits names every bound on
// untrusted input; errors carry the byte offset of the opcode at fault.
package pickle
