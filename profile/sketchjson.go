package profile

import (
	"encoding/base64"
	"encoding/json"
)

// The sketches travel in profile JSON as base64 strings of their binary
// encodings, validated on the way in.

// MarshalJSON encodes the sketch as a base64 string.
func (s *KLL) MarshalJSON() ([]byte, error) { return marshalBase64(s.MarshalBinary) }

// UnmarshalJSON decodes and validates a base64-encoded sketch.
func (s *KLL) UnmarshalJSON(b []byte) error { return unmarshalBase64(b, s.UnmarshalBinary) }

// MarshalJSON encodes the counter as a base64 string.
func (h *HLL) MarshalJSON() ([]byte, error) { return marshalBase64(h.MarshalBinary) }

// UnmarshalJSON decodes and validates a base64-encoded counter.
func (h *HLL) UnmarshalJSON(b []byte) error { return unmarshalBase64(b, h.UnmarshalBinary) }

func marshalBase64(enc func() ([]byte, error)) ([]byte, error) {
	raw, err := enc()
	if err != nil {
		return nil, err
	}
	return json.Marshal(base64.StdEncoding.EncodeToString(raw))
}

func unmarshalBase64(b []byte, dec func([]byte) error) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return dec(raw)
}
