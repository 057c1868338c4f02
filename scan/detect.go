package scan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"

	"github.com/poisonguard/poisonguard/finding"
	"github.com/poisonguard/poisonguard/internal/format/npy"
	"github.com/poisonguard/poisonguard/internal/format/safetensors"
	ziparch "github.com/poisonguard/poisonguard/internal/format/zip"
)

// Magic numbers.
const (
	hdf5Magic = "\x89HDF\r\n\x1a\n"
	// torchLegacyMagic is the first pickle of a legacy PyTorch file: the
	// integer 0x1950a86a20f9469cfc6c as LONG1 under protocol 2.
	torchLegacyMagic = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
	// torchLegacyPickles is how many pickles torch.load reads from a
	// legacy file: magic number, protocol, system info, model, storage
	// keys. Raw storage bytes follow.
	torchLegacyPickles = 5
)

// judge picks src's format by its magic and judges it; depth counts the
// archives it is nested in.
func (s *scanner) judge(f *File, src source, depth int) (string, error) {
	if err := s.ctx.Err(); err != nil {
		return "", err
	}
	head, err := src.head(16)
	if err != nil {
		return "", err
	}
	switch {
	case bytes.HasPrefix(head, []byte(ziparch.Magic)) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return s.scanZip(f, src, depth)
	case bytes.HasPrefix(head, []byte(npy.Magic)):
		return s.scanNpy(f, src)
	case bytes.HasPrefix(head, []byte(hdf5Magic)):
		return s.scanHDF5(f, src)
	case bytes.HasPrefix(head, []byte(torchLegacyMagic)):
		_, err := s.scanPickle(f, src, 0, torchLegacyPickles, sure)
		return FormatTorchLegacy, err
	case len(head) >= 2 && head[0] == 0x80 && head[1] <= 5:
		return s.scanPickle(f, src, 0, 0, pickleModeOf(src))
	case looksSafetensors(head, src.size):
		return s.scanSafetensors(f, src)
	}
	return s.scanPickle(f, src, 0, 0, probe)
}

// pickleModeOf is sure for a file with a pickle header, probe for an
// archive member that is not named as a pickle: PyTorch's raw storage
// records can start with the same two bytes.
func pickleModeOf(src source) pickleMode {
	if src.member == "" || strings.HasSuffix(src.member, ".pkl") || strings.HasSuffix(src.member, ".pickle") {
		return sure
	}
	return probe
}

// looksSafetensors reports a plausible safetensors prefix: a header
// length that fits the file, then '{'.
func looksSafetensors(head []byte, size int64) bool {
	if len(head) < 9 || head[8] != '{' {
		return false
	}
	n := binary.LittleEndian.Uint64(head)
	return n >= 2 && n <= uint64(size-8)
}

// ioError reports whether err is the file system's rather than the
// content's.
func ioError(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe)
}

// discard skips n bytes of r, by Seek when it can.
func discard(r io.Reader, n int64) error {
	if s, ok := r.(io.Seeker); ok {
		_, err := s.Seek(n, io.SeekCurrent)
		return err
	}
	_, err := io.CopyN(io.Discard, r, n)
	return err
}

// objectDescr matches an object dtype ('O', '|O', '<O8') in an npy header
// dictionary, alone or as a field of a structured dtype.
var objectDescr = regexp.MustCompile(`['"][<>|=]?O\d*['"]`)

// scanNpy judges a .npy array: numeric arrays are safe; an object array
// holds a pickle, which is judged.
func (s *scanner) scanNpy(f *File, src source) (string, error) {
	r, err := src.reader()
	if err != nil {
		return "", err
	}
	h, dtypeErr := npy.ReadHeader(r)
	switch err := dtypeErr; {
	case err == nil:
		return FormatNumPy, nil
	case ioError(err):
		return "", err
	case !errors.Is(err, npy.ErrUnsupportedDType):
		f.add(Finding{Rule: "npy.invalid", Severity: finding.Error, Verdict: Invalid, Member: src.member,
			Message: err.Error()})
		return FormatNumPy, nil
	}
	dict, err := src.head(int(min(h.HeaderLen, npy.MaxHeaderBytes+12)))
	if err != nil {
		return "", err
	}
	if !objectDescr.Match(dict) {
		f.add(Finding{Rule: "npy.unsupported_dtype", Severity: finding.Info, Verdict: Safe, Member: src.member,
			Message: dtypeErr.Error() + "; holds no pickle"})
		return FormatNumPy, nil
	}
	f.add(Finding{Rule: "npy.object_array", Severity: finding.Warn, Verdict: Suspicious, Member: src.member,
		Offset: h.HeaderLen, Message: "object array: its values are a pickle that numpy.load(allow_pickle=True) runs"})
	if _, err := s.scanPickle(f, src, h.HeaderLen, 1, sure); err != nil {
		return "", err
	}
	return FormatNumPy, nil
}

// scanSafetensors judges a safetensors file from its header alone.
func (s *scanner) scanSafetensors(f *File, src source) (string, error) {
	r, err := src.reader()
	if err != nil {
		return "", err
	}
	_, err = safetensors.ReadHeader(r, src.size, s.opts.Safetensors)
	switch {
	case err == nil:
	case ioError(err) || !errors.Is(err, safetensors.ErrFormat):
		return "", err
	default:
		rule := "safetensors.invalid_header"
		if msg := err.Error(); bytes.Contains([]byte(msg), []byte("data_offsets")) ||
			bytes.Contains([]byte(msg), []byte("trailing bytes")) {
			rule = "safetensors.invalid_offsets"
		}
		f.add(Finding{Rule: rule, Severity: finding.Error, Verdict: Invalid, Member: src.member, Message: err.Error()})
	}
	return FormatSafetensors, nil
}

// lambdaConfig matches a Keras Lambda layer in a JSON model config.
var lambdaConfig = regexp.MustCompile(`"class_name"\s*:\s*"(Lambda|__lambda__)"`)

// hdf5Window is the chunk an HDF5 file is searched in; hdf5Overlap the
// bytes kept between chunks so a match across them is found.
const (
	hdf5Window  = 1 << 20
	hdf5Overlap = 256
)

// scanHDF5 searches a Keras HDF5 file's bytes for a Lambda layer in its
// model_config attribute. It is a heuristic: the file is not parsed.
func (s *scanner) scanHDF5(f *File, src source) (string, error) {
	r, err := src.reader()
	if err != nil {
		return "", err
	}
	buf := make([]byte, hdf5Window+hdf5Overlap)
	keep, base := 0, int64(0)
	for {
		if err := s.ctx.Err(); err != nil {
			return "", err
		}
		n, err := io.ReadFull(r, buf[keep:])
		chunk := buf[:keep+n]
		if loc := lambdaConfig.FindIndex(chunk); loc != nil {
			f.add(Finding{Rule: "keras.lambda_layer", Severity: finding.Error, Verdict: Dangerous, Member: src.member,
				Offset: base + int64(loc[0]), Message: "HDF5 model_config holds a Lambda layer: marshalled Python bytecode that loading runs"})
			return FormatHDF5, nil
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return FormatHDF5, nil
		}
		if err != nil {
			return "", err
		}
		keep = min(hdf5Overlap, len(chunk))
		base += int64(len(chunk) - keep)
		copy(buf, chunk[len(chunk)-keep:])
	}
}

// memberError reports a member that could not be read.
func memberError(member string, err error) Finding {
	return Finding{Rule: "zip.unreadable_member", Severity: finding.Error, Verdict: Invalid, Member: member,
		Message: fmt.Sprintf("member cannot be read: %v", err)}
}
