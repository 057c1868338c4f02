package scan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/poisonguard/poisonguard/finding"
	ziparch "github.com/poisonguard/poisonguard/internal/format/zip"
)

// Limits of archive members.
const (
	// maxBufferedArchive is the largest compressed archive inside an
	// archive that is read into memory to be listed.
	maxBufferedArchive = 256 << 20
	// maxCRCCheck is the largest member whose CRC is checked; bigger ones
	// are only sniffed or skipped through, never read whole.
	maxCRCCheck = 64 << 20
)

// scanZip lists an archive and judges every member by its own magic.
func (s *scanner) scanZip(f *File, src source, depth int) (string, error) {
	if depth >= s.opts.MaxDepth {
		f.add(Finding{Rule: "zip.too_deep", Severity: finding.Warn, Verdict: Suspicious, Member: src.member,
			Message: fmt.Sprintf("archive nested %d deep; not opened", depth)})
		return FormatZip, nil
	}
	at, err := s.randomAccess(f, src)
	if at == nil || err != nil {
		return FormatZip, err
	}
	a, err := ziparch.Open(at, src.size, s.opts.Zip)
	if err != nil {
		rule := "zip.invalid"
		if errors.Is(err, ziparch.ErrLimit) {
			rule = "zip.limit"
		}
		f.add(Finding{Rule: rule, Severity: finding.Error, Verdict: Invalid, Member: src.member, Message: err.Error()})
		return FormatZip, nil
	}
	s.addIssues(f, a.Issues, src.member)
	format := zipFormat(a.Members)
	for _, m := range a.Members {
		if err := s.scanMember(f, a, at, m, src.member, format, depth); err != nil {
			return format, err
		}
	}
	return format, nil
}

// randomAccess returns src as an io.ReaderAt, reading a compressed member
// into memory when it is small enough.
func (s *scanner) randomAccess(f *File, src source) (io.ReaderAt, error) {
	if src.at != nil {
		return src.at, nil
	}
	if src.size > maxBufferedArchive {
		f.add(Finding{Rule: "zip.nested_too_large", Severity: finding.Warn, Verdict: Suspicious, Member: src.member,
			Message: fmt.Sprintf("compressed archive member of %d bytes is too large to open", src.size)})
		return nil, nil
	}
	r, err := src.open()
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(r, maxBufferedArchive))
	if err != nil {
		f.add(memberError(src.member, err))
		return nil, nil
	}
	return bytes.NewReader(b), nil
}

// addIssues records listing irregularities: one finding per rule and
// member, and one per rule for flag bits, which a writer sets on every
// member alike.
func (s *scanner) addIssues(f *File, issues []ziparch.Issue, outer string) {
	seen := make(map[string]int)
	for _, is := range issues {
		x := zipIssue(is, outer)
		key := x.Rule + "\x00" + x.Member
		if is.Kind == ziparch.OddFlags {
			key = x.Rule
		}
		if i, ok := seen[key]; ok {
			f.Findings[i].Count++
			continue
		}
		seen[key] = len(f.Findings)
		x.Count = 1
		f.add(x)
	}
}

// zipIssue turns a listing irregularity into a finding.
func zipIssue(is ziparch.Issue, outer string) Finding {
	x := Finding{Severity: finding.Warn, Verdict: Suspicious, Offset: is.Offset, Member: join(outer, is.Member),
		Message: is.Detail}
	switch is.Kind {
	case ziparch.NameMismatch:
		x.Rule = "zip.local_central_mismatch"
		x.Message += " (CVE-2025-1944: the loader and a strict scanner see different names)"
	case ziparch.OddFlags:
		x.Rule = "zip.flags"
		x.Message += " (CVE-2025-1945: strict readers refuse the member, PyTorch loads it)"
	case ziparch.BadLocalHeader:
		x.Rule, x.Severity, x.Verdict = "zip.bad_local_header", finding.Error, Invalid
	default:
		x.Rule = "zip." + string(is.Kind)
	}
	return x
}

// zipFormat names the kind of archive from its member names.
func zipFormat(members []ziparch.Member) string {
	names := make(map[string]bool, len(members))
	npyOnly := len(members) > 0
	torch := false
	for _, m := range members {
		names[m.Name] = true
		npyOnly = npyOnly && strings.HasSuffix(m.Name, ".npy")
		torch = torch || m.Name == "data.pkl" || strings.HasSuffix(m.Name, "/data.pkl")
	}
	switch {
	case torch:
		return FormatTorchZip
	case names["config.json"] && (names["metadata.json"] || names["model.weights.h5"]):
		return FormatKeras
	case npyOnly:
		return FormatNPZ
	}
	return FormatZip
}

// join names a member of a nested archive.
func join(outer, name string) string {
	if outer == "" {
		return name
	}
	return outer + "!" + name
}

// scanMember judges one member and checks its CRC.
func (s *scanner) scanMember(f *File, a *ziparch.Archive, at io.ReaderAt, m ziparch.Member, outer, archive string, depth int) error {
	name := join(outer, m.Name)
	sub := source{member: name, size: m.Size}
	if m.Method == ziparch.Store && m.CompressedSize == m.Size {
		sub.at = io.NewSectionReader(at, m.DataOffset, m.Size)
	} else {
		sub.open = func() (io.Reader, error) { return a.Open(m) }
	}
	if _, err := sub.head(0); err != nil {
		f.add(memberError(name, err))
		return nil
	}
	var format string
	var err error
	if archive == FormatKeras && m.Name == "config.json" {
		format, err = s.scanKerasConfig(f, sub)
	} else {
		format, err = s.judge(f, sub, depth+1)
	}
	if err != nil {
		if ioError(err) || s.ctx.Err() != nil {
			return err
		}
		f.add(memberError(name, err))
		return nil
	}
	if format != FormatUnknown && m.Size <= maxCRCCheck {
		s.checkCRC(f, a, m, name)
	}
	return nil
}

// checkCRC reads a member whole and reports a CRC mismatch, which PyTorch
// ignores but strict readers refuse.
func (s *scanner) checkCRC(f *File, a *ziparch.Archive, m ziparch.Member, name string) {
	rd, err := a.Open(m)
	if err != nil {
		return
	}
	ok, err := rd.Finish()
	switch {
	case err != nil:
		f.add(memberError(name, err))
	case !ok:
		f.add(Finding{Rule: "zip.bad_crc", Severity: finding.Warn, Verdict: Suspicious, Member: name, Offset: m.Offset,
			Message: fmt.Sprintf("CRC-32 mismatch (stored %08x): strict readers refuse the member, PyTorch loads it (CVE-2025-10156)", m.CRC32)})
	}
}
