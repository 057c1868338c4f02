package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/poisonguard/poisonguard/finding"
	"github.com/poisonguard/poisonguard/internal/format/pickle"
	"github.com/poisonguard/poisonguard/internal/format/safetensors"
	ziparch "github.com/poisonguard/poisonguard/internal/format/zip"
)

// Verdict is the judgement of one file.
type Verdict string

// Verdicts, from best to worst.
const (
	Safe       Verdict = "safe"
	Suspicious Verdict = "suspicious"
	Invalid    Verdict = "invalid"
	Dangerous  Verdict = "dangerous"
)

// rank orders verdicts: a file takes the worst of its findings.
func (v Verdict) rank() int {
	switch v {
	case Suspicious:
		return 1
	case Invalid:
		return 2
	case Dangerous:
		return 3
	}
	return 0
}

// Worse returns the worse of v and w.
func (v Verdict) Worse(w Verdict) Verdict {
	if w.rank() > v.rank() {
		return w
	}
	return v
}

// Formats reported in File.Format.
const (
	FormatPickle        = "pickle"
	FormatTorchLegacy   = "pytorch-legacy"
	FormatTorchZip      = "pytorch-zip"
	FormatNumPy         = "npy"
	FormatNPZ           = "npz"
	FormatKeras         = "keras"
	FormatZip           = "zip"
	FormatSafetensors   = "safetensors"
	FormatHDF5          = "hdf5"
	FormatUnknown       = "unknown"
	FormatSymlink       = "symlink"
	FormatKerasConfig   = "keras-config"
	formatData          = "data"
	defaultMaxDepth     = 4
	defaultMaxFiles     = 1 << 20
	defaultMaxJSONBytes = 64 << 20
)

// Finding is one judgement about a file or one of its members.
type Finding struct {
	// Rule is a stable identifier such as "pickle.dangerous_global".
	Rule     string           `json:"rule"`
	Severity finding.Severity `json:"severity"`
	// Verdict is what the finding makes of its file.
	Verdict Verdict `json:"verdict"`
	// Message names the global, member or field at fault.
	Message string `json:"message"`
	// Offset is the byte offset in the file, or in the member when
	// Member is set.
	Offset int64 `json:"offset"`
	// Member is the archive member the finding is about, "" for the
	// file itself; members of nested archives are joined with "!".
	Member string `json:"member,omitempty"`
	// Global is the module.name a pickle rule is about.
	Global string `json:"global,omitempty"`
	// Count is how many times the same rule hit the same global or
	// member; the offset is the first.
	Count int `json:"count,omitempty"`
}

// File is the judgement of one file.
type File struct {
	Path     string    `json:"path"`
	Format   string    `json:"format"`
	Verdict  Verdict   `json:"verdict"`
	Size     int64     `json:"size"`
	Findings []Finding `json:"findings"`
}

// Summary counts files by verdict.
type Summary struct {
	Files      int   `json:"files"`
	Bytes      int64 `json:"bytes"`
	Safe       int   `json:"safe"`
	Suspicious int   `json:"suspicious"`
	Invalid    int   `json:"invalid"`
	Dangerous  int   `json:"dangerous"`
}

// Report is the judgement of every file scanned.
type Report struct {
	Files   []File  `json:"files"`
	Summary Summary `json:"summary"`
	// Verdict is the worst file verdict, safe when nothing was scanned.
	Verdict Verdict `json:"verdict"`
}

// Options configures Scan. The zero value is ready to use.
type Options struct {
	Pickle      pickle.Limits
	Zip         ziparch.Limits
	Safetensors safetensors.Limits
	// MaxDepth caps nested archives (a ZIP in a ZIP); default 4.
	MaxDepth int
	// MaxFiles caps the files a scan visits; default 2^20.
	MaxFiles int
	// MaxJSONBytes caps a Keras config.json; default 64 MiB.
	MaxJSONBytes int64
	// Progress, when set, is called before each file is scanned.
	Progress func(path string, size int64)
}

func (o Options) validate() (Options, error) {
	if o.MaxDepth < 0 || o.MaxFiles < 0 || o.MaxJSONBytes < 0 {
		return o, errors.New("scan: limits must not be negative")
	}
	if o.MaxDepth == 0 {
		o.MaxDepth = defaultMaxDepth
	}
	if o.MaxFiles == 0 {
		o.MaxFiles = defaultMaxFiles
	}
	if o.MaxJSONBytes == 0 {
		o.MaxJSONBytes = defaultMaxJSONBytes
	}
	return o, nil
}

// ErrTooManyFiles is returned when a scan would visit more than
// Options.MaxFiles files.
var ErrTooManyFiles = errors.New("too many files")

// Scan judges every file named by paths, walking directories without
// following symbolic links. It returns an error for a path it cannot read
// (the report so far comes with it); what it finds in a file, however
// malformed, is a verdict, not an error.
func Scan(ctx context.Context, paths []string, opts Options) (*Report, error) {
	opts, err := opts.validate()
	if err != nil {
		return nil, err
	}
	rep := &Report{Files: []File{}, Verdict: Safe}
	for _, p := range paths {
		if err := scanPath(ctx, p, opts, rep); err != nil {
			rep.finish()
			return rep, err
		}
	}
	rep.finish()
	return rep, nil
}

func (r *Report) finish() {
	r.Summary = Summary{}
	r.Verdict = Safe
	for _, f := range r.Files {
		r.Summary.Files++
		r.Summary.Bytes += f.Size
		r.Verdict = r.Verdict.Worse(f.Verdict)
		switch f.Verdict {
		case Safe:
			r.Summary.Safe++
		case Suspicious:
			r.Summary.Suspicious++
		case Invalid:
			r.Summary.Invalid++
		case Dangerous:
			r.Summary.Dangerous++
		}
	}
}

// scanPath scans one command-line path: a file or a directory tree.
func scanPath(ctx context.Context, root string, opts Options, rep *Report) error {
	info, err := os.Stat(root)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return scanOne(ctx, root, opts, rep)
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			return symlink(root, path, rep)
		case d.Type().IsRegular():
			return scanOne(ctx, path, opts, rep)
		}
		return nil
	})
}

// symlink reports a link met while walking: never followed; one that
// points out of the root is suspicious, since a loader would follow it.
func symlink(root, path string, rep *Report) error {
	f := File{Path: path, Format: FormatSymlink, Verdict: Safe, Findings: []Finding{}}
	target, err := filepath.EvalSymlinks(path)
	absRoot, rerr := filepath.EvalSymlinks(root)
	rel, relErr := filepath.Rel(absRoot, target)
	switch {
	case err != nil || rerr != nil:
		f.add(Finding{Rule: "fs.symlink", Severity: finding.Warn, Verdict: Suspicious,
			Message: "symbolic link that does not resolve; not followed"})
	case relErr != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)):
		f.add(Finding{Rule: "fs.symlink_outside_root", Severity: finding.Warn, Verdict: Suspicious,
			Message: fmt.Sprintf("symbolic link to %s, outside %s; not followed", target, root)})
	default:
		f.add(Finding{Rule: "fs.symlink", Severity: finding.Info, Verdict: Safe,
			Message: fmt.Sprintf("symbolic link to %s inside the root; scanned as its target", rel)})
	}
	rep.Files = append(rep.Files, f)
	return nil
}

// scanOne scans one regular file.
func scanOne(ctx context.Context, path string, opts Options, rep *Report) error {
	if len(rep.Files) >= opts.MaxFiles {
		return fmt.Errorf("more than %d files: %w", opts.MaxFiles, ErrTooManyFiles)
	}
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return err
	}
	if opts.Progress != nil {
		opts.Progress(path, info.Size())
	}
	f, err := ScanReader(ctx, path, fh, info.Size(), opts)
	if err != nil {
		return fmt.Errorf("scan %s: %w", path, err)
	}
	rep.Files = append(rep.Files, f)
	return nil
}

// ScanReader judges the size-byte file r, reported under name. It returns
// an error only when r itself fails or ctx ends; malformed content is a
// verdict.
func ScanReader(ctx context.Context, name string, r io.ReaderAt, size int64, opts Options) (File, error) {
	opts, err := opts.validate()
	if err != nil {
		return File{}, err
	}
	s := &scanner{ctx: ctx, opts: opts}
	f := File{Path: name, Size: size, Verdict: Safe}
	src := source{at: r, size: size}
	f.Format, err = s.judge(&f, src, 0)
	if err != nil {
		return f, err
	}
	if f.Findings == nil {
		f.Findings = []Finding{}
	}
	return f, nil
}

// add records a finding and worsens the verdict.
func (f *File) add(x Finding) {
	f.Findings = append(f.Findings, x)
	f.Verdict = f.Verdict.Worse(x.Verdict)
}

// scanner carries one ScanReader call's state.
type scanner struct {
	ctx  context.Context
	opts Options
}

// source is a file or an archive member: random access when at is set.
type source struct {
	at     io.ReaderAt // the bytes, when random access is possible
	size   int64
	member string
	// open returns a fresh reader from the start, for members that are
	// not random access.
	open func() (io.Reader, error)
}

// reader returns a reader from the start of the source; a seekable one
// when the source is random access.
func (s source) reader() (io.Reader, error) {
	if s.at != nil {
		return io.NewSectionReader(s.at, 0, s.size), nil
	}
	return s.open()
}

// head returns up to n first bytes.
func (s source) head(n int) ([]byte, error) {
	r, err := s.reader()
	if err != nil {
		return nil, err
	}
	b := make([]byte, min(int64(n), max(s.size, 0)))
	m, err := io.ReadFull(r, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return b[:m], err
}
