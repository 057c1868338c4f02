package pickle

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeString decodes the argument of a protocol-0 STRING opcode: a
// quoted Python 2 byte-string literal, decoded as codecs.escape_decode does.
func decodeString(arg []byte) (string, error) {
	if len(arg) < 2 || arg[0] != arg[len(arg)-1] || (arg[0] != '\'' && arg[0] != '"') {
		return "", errors.New("STRING argument is not quoted")
	}
	s := arg[1 : len(arg)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			if c == '\\' {
				return "", errors.New("STRING argument ends with a lone backslash")
			}
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case 'x':
			if i+3 > len(s) {
				return "", errors.New("truncated \\x escape in STRING")
			}
			v, err := strconv.ParseUint(string(s[i+1:i+3]), 16, 8)
			if err != nil {
				return "", errors.New("invalid \\x escape in STRING")
			}
			b.WriteByte(byte(v))
			i += 2
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v, n := int(e-'0'), 1
			for n < 3 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '7' {
				i++
				v = v*8 + int(s[i]-'0')
				n++
			}
			b.WriteByte(byte(v))
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String(), nil
}

// decodeRawUnicodeEscape decodes the argument of a protocol-0 UNICODE
// opcode as Python's raw-unicode-escape codec does: \uXXXX and
// \UXXXXXXXX after an odd run of backslashes are escapes, every other
// byte is a Latin-1 character.
func decodeRawUnicodeEscape(s []byte) (string, error) {
	var b strings.Builder
	run := 0 // length of the current run of backslashes
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			run++
			b.WriteByte('\\')
			continue
		}
		odd := run%2 == 1
		run = 0
		if odd && (c == 'u' || c == 'U') {
			n := 4
			if c == 'U' {
				n = 8
			}
			if i+1+n > len(s) {
				return "", errors.New("truncated \\u escape in UNICODE")
			}
			v, err := strconv.ParseUint(string(s[i+1:i+1+n]), 16, 32)
			if err != nil || v > utf8.MaxRune {
				return "", errors.New("invalid \\u escape in UNICODE")
			}
			str := b.String()
			b.Reset()
			b.WriteString(str[:len(str)-1]) // drop the escaping backslash
			b.WriteRune(rune(v))
			i += n
			continue
		}
		b.WriteRune(rune(c))
	}
	return b.String(), nil
}
