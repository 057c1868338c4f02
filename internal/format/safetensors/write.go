package safetensors

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Write encodes f deterministically. The header is compact JSON: the
// "__metadata__" object first when f.Metadata is not nil (its keys
// sorted), then the tensors sorted by name, each as
// {"dtype":…,"shape":[…],"data_offsets":[b,e]} (the reference writer's
// field order and string escaping), padded with spaces to a multiple of 8
// bytes. The data lays the tensors out by decreasing element size, then by
// name, so that each starts at a multiple of its element size, as the
// reference writer also ensures; with a single dtype that is name order.
//
// Write fails, before writing anything, on a duplicate or reserved tensor
// name, a name or metadata string that is not valid UTF-8, an unknown
// dtype, or Data that is not exactly the bytes the shape needs.
func Write(w io.Writer, f *File) error {
	if f == nil {
		return errors.New("safetensors: write: nil file")
	}
	byName := make([]*Tensor, len(f.Tensors))
	for i := range f.Tensors {
		byName[i] = &f.Tensors[i]
	}
	slices.SortFunc(byName, func(a, b *Tensor) int { return strings.Compare(a.Name, b.Name) })
	for i, t := range byName {
		if err := checkTensor(t); err != nil {
			return fmt.Errorf("safetensors: write: tensor %s: %w", short(t.Name), err)
		}
		if i > 0 && byName[i-1].Name == t.Name {
			return fmt.Errorf("safetensors: write: duplicate tensor name %s", short(t.Name))
		}
	}
	for k, v := range f.Metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("safetensors: write: metadata %s: not valid UTF-8", short(k))
		}
	}

	layout := slices.Clone(byName)
	slices.SortStableFunc(layout, func(a, b *Tensor) int { return cmp.Compare(b.DType.Size(), a.DType.Size()) })
	offsets := make(map[*Tensor][2]int64, len(layout))
	var end int64
	for _, t := range layout {
		offsets[t] = [2]int64{end, end + int64(len(t.Data))}
		end += int64(len(t.Data))
	}

	hdr := make([]byte, prefixLen, 256)
	hdr = append(hdr, '{')
	if f.Metadata != nil {
		hdr = appendString(hdr, metadataKey)
		hdr = append(hdr, ":{"...)
		keys := make([]string, 0, len(f.Metadata))
		for k := range f.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				hdr = append(hdr, ',')
			}
			hdr = appendString(hdr, k)
			hdr = append(hdr, ':')
			hdr = appendString(hdr, f.Metadata[k])
		}
		hdr = append(hdr, '}')
	}
	for i, t := range byName {
		if i > 0 || f.Metadata != nil {
			hdr = append(hdr, ',')
		}
		hdr = appendString(hdr, t.Name)
		hdr = append(hdr, `:{"dtype":`...)
		hdr = appendString(hdr, string(t.DType))
		hdr = append(hdr, `,"shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				hdr = append(hdr, ',')
			}
			hdr = strconv.AppendInt(hdr, int64(d), 10)
		}
		off := offsets[t]
		hdr = append(hdr, `],"data_offsets":[`...)
		hdr = strconv.AppendInt(hdr, off[0], 10)
		hdr = append(hdr, ',')
		hdr = strconv.AppendInt(hdr, off[1], 10)
		hdr = append(hdr, "]}"...)
	}
	hdr = append(hdr, '}')
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	n := len(hdr) - prefixLen
	if n > DefaultMaxHeaderBytes {
		return fmt.Errorf("safetensors: write: header of %d bytes exceeds the format's limit of %d", n, DefaultMaxHeaderBytes)
	}
	binary.LittleEndian.PutUint64(hdr, uint64(n))

	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("safetensors: write: %w", err)
	}
	for _, t := range layout {
		if _, err := w.Write(t.Data); err != nil {
			return fmt.Errorf("safetensors: write: %w", err)
		}
	}
	return nil
}

// checkTensor checks that t can be written.
func checkTensor(t *Tensor) error {
	if !utf8.ValidString(t.Name) {
		return errors.New("name is not valid UTF-8")
	}
	if t.Name == metadataKey {
		return errors.New("name is reserved for the metadata")
	}
	n, err := byteLen(t.DType, t.Shape)
	if err != nil {
		return err
	}
	if n != len(t.Data) {
		return fmt.Errorf("%d data bytes, shape %v of %s needs %d", len(t.Data), t.Shape, t.DType, n)
	}
	return nil
}

// appendString appends s as a JSON string escaped as serde_json escapes
// it: quote, backslash and control characters only, everything else as
// UTF-8.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}
