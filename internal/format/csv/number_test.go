package csv_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/poisonguard/poisonguard/internal/format/csv"
)

// checkParseFloat compares csv.ParseFloat with strconv.ParseFloat bit for
// bit.
func checkParseFloat(t *testing.T, s string) {
	t.Helper()
	want, err := strconv.ParseFloat(s, 64)
	wantOK := err == nil || err.(*strconv.NumError).Err == strconv.ErrRange
	got, ok := csv.ParseFloat([]byte(s))
	if ok != wantOK {
		t.Fatalf("ParseFloat(%q) ok = %v, strconv says %v (%v)", s, ok, wantOK, err)
	}
	if ok && math.Float64bits(got) != math.Float64bits(want) {
		t.Fatalf("ParseFloat(%q) = %v (%#x), strconv %v (%#x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
	}
}

func TestParseFloat(t *testing.T) {
	cases := []string{
		"", "0", "-0", "+0", "-0.000", "00012", "1.", ".5", "-.5", ".", "-", "+", "1..2", "1.2.3",
		"3.0", "0.1", "0.3", "123456789012345678", "9007199254740992", "9007199254740993",
		"9007199254740992.5", "0.0000000000000000000001", "0.00000000000000000000001",
		"1.0000000000000000000000", "99999999999999999999", "1e5", "1E-5", "-1e400", "1e-400",
		"inf", "-Inf", "+Infinity", "nan", "NaN", "0x1p-2", "1_000", "abc", " 1", "1 ", "1,5",
		"4.9406564584124654e-324", "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
		"0.123456789012345", "1234567.891", "-98765.4321", "12345678901234567890123",
	}
	for _, s := range cases {
		t.Run(s, func(t *testing.T) { checkParseFloat(t, s) })
	}
}

func TestParseFloatRandomDecimals(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var b []byte
		if rng.IntN(4) == 0 {
			b = append(b, '-')
		}
		for range 1 + rng.IntN(12) {
			b = append(b, byte('0'+rng.IntN(10)))
		}
		if rng.IntN(3) > 0 {
			b = append(b, '.')
			for range rng.IntN(14) {
				b = append(b, byte('0'+rng.IntN(10)))
			}
		}
		checkParseFloat(t, string(b))
	}
}

func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"0", "-1.5", "1e10", "nan", "0.000123", "123456789.123456789"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkParseFloat(t, s) })
}

func TestParseFloatAllocs(t *testing.T) {
	// Not tried: text that starts like "nan" or "inf" but is neither goes
	// to strconv, whose error allocates.
	inputs := [][]byte{[]byte("123.25"), []byte("-7"), []byte("1e300"), []byte("nan"), []byte("abc"), []byte("")}
	for _, in := range inputs {
		if n := testing.AllocsPerRun(100, func() { csv.ParseFloat(in) }); n != 0 {
			t.Errorf("ParseFloat(%q) allocates %v times", in, n)
		}
	}
}
