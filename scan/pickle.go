package scan

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/poisonguard/poisonguard/finding"
	"github.com/poisonguard/poisonguard/internal/format/pickle"
)

// Thresholds of the expansion-attack ("billion laughs") rule.
const (
	// maxDups is the most DUP opcodes a pickle may hold; Python's pickler
	// never writes DUP.
	maxDups = 1000
	// maxGets and maxGetRatio: more GETs than maxGets and more than
	// maxGetRatio per PUT is an expansion attack.
	maxGets     = 10000
	maxGetRatio = 50
)

// pickleMode says how sure the scanner is that a stream is a pickle.
type pickleMode uint8

const (
	// sure: the stream has a pickle magic or a pickle's name; failing
	// to decode it makes the file invalid.
	sure pickleMode = iota
	// probe: the stream might be a pickle. It is not one when loading it
	// would fail (a decode error before the first STOP, or a construct
	// CPython rejects) without its naming any importable global: such a
	// load stops before it can run anything.
	probe
)

// pickleJudge turns pickle events into findings.
type pickleJudge struct {
	f          *File
	member     string
	seen       map[string]int // rule and global → index in f.Findings
	importable bool           // a global an import could resolve was named
	lastEvent  int            // index of the last pickle that had an event
	findings   int            // len(f.Findings) before the scan
}

func (j *pickleJudge) add(rule string, sev finding.Severity, v Verdict, global, msg string, off int64) {
	key := rule + "\x00" + global + "\x00" + msg
	if global != "" {
		key = rule + "\x00" + global
	}
	if i, ok := j.seen[key]; ok {
		j.f.Findings[i].Count++
		return
	}
	j.seen[key] = len(j.f.Findings)
	j.f.add(Finding{Rule: rule, Severity: sev, Verdict: v, Message: msg, Offset: off, Member: j.member,
		Global: global, Count: 1})
}

func (j *pickleJudge) visit(e pickle.Event) {
	j.lastEvent = e.Pickle
	global := e.Module + "." + e.Name
	where := fmt.Sprintf(" (%s, pickle %d)", e.Op, e.Pickle)
	switch e.Kind {
	case pickle.Global:
		if isIdentPath(e.Module) && isIdentPath(e.Name) {
			j.importable = true
		}
		j.global(e, global, where)
	case pickle.Unresolved:
		j.add("pickle.unresolved_operand", finding.Error, Dangerous, global,
			"global "+global+" cannot be resolved: "+e.Detail+where, e.Offset)
	case pickle.Extension:
		j.importable = true
		j.add("pickle.extension", finding.Error, Dangerous, "", "copyreg extension code "+e.Name+
			" names a global the scanner cannot see"+where, e.Offset)
	case pickle.IndirectCall:
		j.add("pickle.indirect_call", finding.Error, Dangerous, "", e.Detail+where, e.Offset)
	case pickle.GlobalMutation:
		j.add("pickle.global_mutation", finding.Error, Dangerous, global,
			e.Detail+" "+global+": writes attributes of a module-level object"+where, e.Offset)
	case pickle.Anomaly:
		j.add("pickle.invalid", finding.Error, Invalid, "", "CPython rejects this pickle: "+e.Detail+where, e.Offset)
	}
}

func (j *pickleJudge) global(e pickle.Event, global, where string) {
	switch c, why := classify(e.Module, e.Name); c {
	case classDangerous:
		j.add("pickle.dangerous_global", finding.Error, Dangerous, global,
			"imports "+global+" ("+why+")"+where, e.Offset)
	case classUnknown:
		j.add("pickle.unknown_global", finding.Warn, Suspicious, global,
			"imports "+global+" ("+why+")"+where, e.Offset)
	}
}

// scanPickle judges the pickles of src from offset base on: n of them, or
// all of them when n is 0. It returns the format found: FormatPickle, or
// FormatUnknown when a probed stream is not a pickle (its findings are
// then dropped). Bytes after a complete pickle that do not decode and
// name nothing are trailing data, as pickle.load never reads them.
func (s *scanner) scanPickle(f *File, src source, base int64, n int, mode pickleMode) (string, error) {
	r, err := src.reader()
	if err != nil {
		return "", err
	}
	if base > 0 {
		if err := discard(r, base); err != nil {
			return "", err
		}
	}
	j := &pickleJudge{f: f, member: src.member, seen: make(map[string]int), findings: len(f.Findings)}
	opts := pickle.Options{Limits: s.opts.Pickle, Pickles: n, Offset: base}
	stats, err := pickle.Scan(s.ctx, r, opts, j.visit)
	if err == nil {
		j.expansion(stats)
		return FormatPickle, nil
	}
	var pe *pickle.Error
	var pathErr *fs.PathError
	switch {
	case err != nil && (errors.As(err, &pathErr) || !errors.As(err, &pe)):
		return "", err
	case mode == probe && !j.importable && ((err != nil && stats.Pickles == 0) || stats.Anomalies > 0):
		// Loading it would fail before importing anything: not a pickle.
		j.drop()
		return FormatUnknown, nil
	case err == nil:
	case pe.Pickle > 0 && j.lastEvent < pe.Pickle && n == 0:
		j.add("pickle.trailing_data", finding.Info, Safe, "", fmt.Sprintf(
			"%d bytes after the last pickle are not a pickle (%v)", src.size-stats.End, pe.Err), stats.End)
	case errors.Is(err, pickle.ErrLimit):
		j.add("pickle.limit", finding.Error, Invalid, "", err.Error(), pe.Offset)
	default:
		j.add("pickle.invalid", finding.Error, Invalid, "", err.Error(), pe.Offset)
	}
	j.expansion(stats)
	return FormatPickle, nil
}

// drop removes the findings of this scan: the stream was not a pickle.
func (j *pickleJudge) drop() {
	j.f.Findings = j.f.Findings[:j.findings]
	j.f.Verdict = Safe
	for _, x := range j.f.Findings {
		j.f.Verdict = j.f.Verdict.Worse(x.Verdict)
	}
}

// expansion flags the DUP and GET floods of expansion attacks.
func (j *pickleJudge) expansion(st pickle.Stats) {
	if st.Dups > maxDups {
		j.add("pickle.expansion", finding.Warn, Suspicious, "",
			fmt.Sprintf("%d DUP opcodes (Python's pickler writes none): an expansion attack", st.Dups), 0)
	}
	if st.Gets > maxGets && st.Gets > maxGetRatio*(st.Puts+1) {
		j.add("pickle.expansion", finding.Warn, Suspicious, "",
			fmt.Sprintf("%d memo reads for %d memo writes: an expansion attack", st.Gets, st.Puts), 0)
	}
}
