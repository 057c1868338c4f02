package sign

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Errors about the files of a model.
var (
	// ErrSymlink reports a symbolic link in a model signed or verified
	// without allowing symlinks.
	ErrSymlink = errors.New("symbolic link (use --allow-symlinks to hash its target)")
	// ErrUnsafePath reports a name that is not a canonical relative POSIX
	// path: absolute, with "..", not UTF-8, or not a regular file.
	ErrUnsafePath = errors.New("unsafe path")
)

// defaultIgnores are skipped at the model root only (OMS §6.2.1): a nested
// subdir/.git is hashed like any other file.
var defaultIgnores = []string{".git", ".gitattributes", ".github", ".gitignore"}

// modelFile is one regular file of a model.
type modelFile struct {
	name string // canonical relative POSIX name
	size int64
	link bool // an allowed symlink: its target is hashed
}

// model is an opened model: the root every file is opened through and the
// files to hash, sorted by name.
type model struct {
	root  *os.Root
	name  string // the model's name: the base name of its path
	files []modelFile
}

// ignorer holds canonical relative paths whose files and subtrees are
// skipped.
type ignorer map[string]bool

// newIgnorer canonicalises the given relative paths.
func newIgnorer(paths []string) (ignorer, error) {
	ig := ignorer{}
	for _, p := range paths {
		c, err := canonicalName(p)
		if err != nil {
			return nil, fmt.Errorf("ignore path %q: %w", p, err)
		}
		ig[c] = true
	}
	return ig, nil
}

// match reports whether name is an ignored path or lies under one.
func (ig ignorer) match(name string) bool {
	for p := name; ; {
		if ig[p] {
			return true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}

// sorted returns the ignored paths in order.
func (ig ignorer) sorted() []string {
	out := make([]string, 0, len(ig))
	for p := range ig {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// canonicalName checks and cleans a relative POSIX path: "a//b/./c"
// becomes "a/b/c"; absolute names, "..", empty names and non-UTF-8 bytes
// are refused.
func canonicalName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", fmt.Errorf("%w: %q is not UTF-8", ErrUnsafePath, name)
	}
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: %q is not a relative path", ErrUnsafePath, name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("%w: %q leaves the model root", ErrUnsafePath, name)
		}
	}
	c := path.Clean(name)
	if c == "." {
		return "", fmt.Errorf("%w: %q names the model root", ErrUnsafePath, name)
	}
	return c, nil
}

// relativeTo returns target's path relative to dir in POSIX form, and
// false when target is not inside dir.
func relativeTo(dir, target string) (string, bool) {
	absDir, err1 := filepath.Abs(dir)
	absTarget, err2 := filepath.Abs(target)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(absDir, absTarget)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// openModel opens the model at modelPath — a directory or one file — and
// lists the files to hash. ignore holds paths relative to the model root;
// the git defaults are always ignored. The caller closes m.root.
func openModel(modelPath string, ig ignorer, allowSymlinks bool) (*model, error) {
	st, err := os.Stat(modelPath)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return openSingleFile(modelPath, st)
	}
	root, err := os.OpenRoot(modelPath)
	if err != nil {
		return nil, err
	}
	m := &model{root: root, name: baseName(modelPath)}
	if m.files, err = listFiles(root, ig, allowSymlinks); err != nil {
		root.Close()
		return nil, err
	}
	return m, nil
}

// openSingleFile opens a model that is one file: its resource name is the
// file's base name.
func openSingleFile(modelPath string, st fs.FileInfo) (*model, error) {
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file or directory", ErrUnsafePath, modelPath)
	}
	name := filepath.Base(modelPath)
	if _, err := canonicalName(name); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(filepath.Dir(modelPath))
	if err != nil {
		return nil, err
	}
	return &model{root: root, name: name, files: []modelFile{{name: name, size: st.Size()}}}, nil
}

// baseName is the informational model name: the last element of its path.
func baseName(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return filepath.Base(p)
}

// listFiles walks the root and returns its regular files in name order.
// Symlinks are refused unless allowed; an allowed one must resolve, inside
// the root, to a regular file.
func listFiles(root *os.Root, ig ignorer, allowSymlinks bool) ([]modelFile, error) {
	for _, d := range defaultIgnores {
		ig[d] = true
	}
	var files []modelFile
	err := fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name == "." {
			return nil
		}
		if !utf8.ValidString(name) {
			return fmt.Errorf("%w: %q is not UTF-8", ErrUnsafePath, name)
		}
		if ig.match(name) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		f, err := inspect(root, name, d, allowSymlinks)
		if err != nil || f == nil {
			return err
		}
		files = append(files, *f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return pathLess(files[i].name, files[j].name) })
	return files, nil
}

// pathLess orders names component by component, as the reference
// implementation sorts its paths: "a/b" comes before "a-b/c".
func pathLess(a, b string) bool {
	for {
		i, j := strings.IndexByte(a, '/'), strings.IndexByte(b, '/')
		ca, cb := a, b
		if i >= 0 {
			ca = a[:i]
		}
		if j >= 0 {
			cb = b[:j]
		}
		if ca != cb {
			return ca < cb
		}
		if i < 0 || j < 0 {
			return i < 0 && j >= 0
		}
		a, b = a[i+1:], b[j+1:]
	}
}

// inspect judges one walked entry: nil for a directory, the file for a
// regular file or an allowed symlink to one, an error otherwise.
func inspect(root *os.Root, name string, d fs.DirEntry, allowSymlinks bool) (*modelFile, error) {
	mode := d.Type()
	switch {
	case mode.IsDir():
		return nil, nil
	case mode&fs.ModeSymlink != 0:
		if !allowSymlinks {
			return nil, fmt.Errorf("%s: %w", name, ErrSymlink)
		}
		st, err := root.Stat(name) // os.Root refuses targets outside the root
		if err != nil {
			return nil, fmt.Errorf("symlink %s: %w", name, err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: symlink %s does not point to a regular file", ErrUnsafePath, name)
		}
		return &modelFile{name: name, size: st.Size(), link: true}, nil
	case mode.IsRegular():
		info, err := d.Info()
		if err != nil {
			return nil, err
		}
		return &modelFile{name: name, size: info.Size()}, nil
	}
	return nil, fmt.Errorf("%w: %s is a %s, not a regular file", ErrUnsafePath, name, mode.Type())
}
