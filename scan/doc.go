// Package scan judges model files for code that loading them would run,
// without running or unpickling anything.
//
// Scan walks files and directories and picks each file's format by its
// magic bytes, never its name: pickles (protocols 2 to 5 by their PROTO
// header, protocols 0 and 1 by decoding them), legacy PyTorch files (five
// pickles after the magic number; every one is scanned), ZIP archives
// (PyTorch checkpoints, NumPy .npz, Keras .keras, any other ZIP; every
// member is judged by its own magic, whatever its name), NumPy .npy (the
// pickle of an object array), safetensors (the header alone), Keras
// config.json and, heuristically, HDF5 .h5 files.
//
// Pickle globals are judged allowlist-first: the globals PyTorch, NumPy
// and plain containers need (and scikit-learn estimator classes) are safe,
// denylisted modules and attributes (os, subprocess, builtins.eval,
// __import__, pip, asyncio, operator.methodcaller, torch.hub, ... with
// their submodules) are dangerous, and every other global is suspicious.
// Operands that cannot be resolved to strings, calls of call results and
// attribute writes on globals are dangerous.
//
// Each file gets a verdict: safe, suspicious, dangerous or invalid. A file
// with no known magic is decoded as a pickle all the same (protocols 0
// and 1 have no header). It is reported as format "unknown", and safe,
// only when it cannot be a pickle: loading it with pickle.load would fail
// (an undecodable opcode, a construct CPython rejects) before it names
// any global an import could resolve, so the load would stop before
// running anything. Otherwise it is a pickle and judged as one. Archive
// members are probed the same way even when they carry a pickle header,
// since raw tensor records can start with the same bytes; a member named
// *.pkl is always judged as a pickle. A file that is a pickle (or ZIP,
// npy, safetensors) but malformed is invalid: the scanner cannot vouch
// for it, and the command fails on it as on a dangerous file.
package scan
