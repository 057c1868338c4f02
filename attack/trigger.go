package attack

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/poisonguard/poisonguard/dataset"
)

// The values of Trigger.Kind.
const (
	kindPatch = "patch"
	kindBlend = "blend"
	kindSIG   = "sig"
)

// The keywords of Trigger.Pattern; any other value is the path of a PNG file.
const (
	patternWhite        = "white"
	patternCheckerboard = "checkerboard"
	patternNoise        = "noise"
)

// The keywords of Trigger.Position; the other form is "X,Y".
const (
	bottomRight = "bottom-right"
	bottomLeft  = "bottom-left"
	topRight    = "top-right"
	topLeft     = "top-left"
)

// Trigger is the pattern a backdoor attack stamps on a row. The JSON names
// are given with each field; fields that do not apply to Kind are left
// zero, and Spec.Validate rejects them when set.
type Trigger struct {
	// Kind is "patch" (BadNets), "blend" (Blended) or "sig" (SIG); for
	// CleanLabel it is the same as With (JSON "kind").
	Kind string `json:"kind,omitempty"`
	// Size is the side of a patch in pixels (JSON "size"). Default 3, or for
	// a PNG pattern the PNG's own width and height; a PNG is resized to
	// Size×Size (nearest neighbour) when Size is set.
	Size int `json:"size,omitempty"`
	// Position places a patch (JSON "position"): "bottom-right" (default),
	// "bottom-left", "top-right", "top-left", or "X,Y", the column and row
	// of the patch's top-left pixel. The corners leave no margin.
	Position string `json:"position,omitempty"`
	// Pattern is what a patch or blend draws (JSON "pattern"): "white"
	// (every value Max; the default for a patch), "checkerboard" (Max and Min
	// alternating, Max at the pattern's top-left pixel), "noise" (uniform
	// values in [Min, Max] drawn from Spec.Seed; the default for a blend), or
	// else the path of a PNG file. A patch draws the pattern at Size×Size, a
	// blend at the size of the whole image.
	Pattern string `json:"pattern,omitempty"`
	// Alpha is the weight of a blend's pattern, in (0, 1] (JSON "alpha").
	// Default 0.2.
	Alpha float64 `json:"alpha,omitempty"`
	// Delta is the amplitude of SIG's sinusoid on a 0..255 scale, scaled to
	// Max-Min when stamped (JSON "delta"). Default 40.
	Delta float64 `json:"delta,omitempty"`
	// Freq is the number of periods of SIG's sinusoid across the image's
	// width (JSON "freq"). Default 6.
	Freq float64 `json:"freq,omitempty"`
	// With is the trigger CleanLabel stamps: "patch" (default), "blend" or
	// "sig" (JSON "with").
	With string `json:"with,omitempty"`
	// Image is the noise or PNG pattern itself, embedded by Spec.Prepare
	// (JSON "image"). It is what Stamp draws for those patterns; without it
	// they stamp nothing.
	Image *Image `json:"image,omitempty"`
}

// defaults fills the unset fields that apply to t.Kind.
func (t *Trigger) defaults() {
	switch t.Kind {
	case kindPatch:
		if t.Pattern == "" {
			t.Pattern = patternWhite
		}
		if t.Position == "" {
			t.Position = bottomRight
		}
		if t.Size == 0 && isKeyword(t.Pattern) {
			t.Size = 3
		}
	case kindBlend:
		if t.Pattern == "" {
			t.Pattern = patternNoise
		}
		if t.Alpha == 0 {
			t.Alpha = 0.2
		}
	case kindSIG:
		if t.Delta == 0 {
			t.Delta = 40
		}
		if t.Freq == 0 {
			t.Freq = 6
		}
	}
}

// isKeyword reports whether pattern names a built-in pattern rather than a
// PNG file.
func isKeyword(pattern string) bool {
	return pattern == patternWhite || pattern == patternCheckerboard || pattern == patternNoise
}

// needsImage reports whether t draws its pattern from t.Image.
func (t Trigger) needsImage() bool {
	return t.Kind != kindSIG && t.Pattern != patternWhite && t.Pattern != patternCheckerboard
}

// validate checks t, with defaults applied, against images of the given
// (valid, non-zero) shape.
func (t Trigger) validate(shape dataset.Shape) error {
	var unused []string
	if t.Kind != kindPatch {
		if t.Size != 0 {
			unused = append(unused, "size")
		}
		if t.Position != "" {
			unused = append(unused, "position")
		}
	}
	if t.Kind != kindBlend && t.Alpha != 0 {
		unused = append(unused, "alpha")
	}
	if t.Kind != kindSIG {
		if t.Delta != 0 {
			unused = append(unused, "delta")
		}
		if t.Freq != 0 {
			unused = append(unused, "freq")
		}
	} else if t.Pattern != "" || t.Image != nil {
		unused = append(unused, "pattern")
	}
	if len(unused) > 0 {
		return fmt.Errorf("a %s trigger takes no %s", t.Kind, strings.Join(unused, " or "))
	}
	if t.Image != nil {
		if err := t.Image.validate(); err != nil {
			return fmt.Errorf("trigger image: %w", err)
		}
	}
	switch t.Kind {
	case kindPatch:
		if t.Size < 0 {
			return fmt.Errorf("patch size %d is negative", t.Size)
		}
		w, h := t.patchSize()
		if w == 0 { // the size of a PNG that Prepare has yet to read
			w, h = 1, 1
		}
		if w > shape.Width || h > shape.Height {
			return fmt.Errorf("a %d×%d patch does not fit a %d×%d image", w, h, shape.Width, shape.Height)
		}
		x, y, err := t.origin(shape, w, h)
		if err != nil {
			return err
		}
		if x+w > shape.Width || y+h > shape.Height {
			return fmt.Errorf("a %d×%d patch at %d,%d runs off a %d×%d image", w, h, x, y, shape.Width, shape.Height)
		}
	case kindBlend:
		if !(t.Alpha > 0 && t.Alpha <= 1) {
			return fmt.Errorf("blend alpha %g is outside (0, 1]", t.Alpha)
		}
	case kindSIG:
		if !(t.Delta > 0 && t.Delta < math.Inf(1)) {
			return fmt.Errorf("sig delta %g is not a positive number", t.Delta)
		}
		if !(t.Freq > 0 && t.Freq < math.Inf(1)) {
			return fmt.Errorf("sig freq %g is not a positive number", t.Freq)
		}
		if flat(t.Freq, shape.Width) {
			return fmt.Errorf("sig freq %g draws nothing on an image %d pixels wide: sin(2π·j·freq/width) is 0 at every column j; use a freq below width/2", t.Freq, shape.Width)
		}
	default:
		return fmt.Errorf("unknown trigger kind %q; want patch, blend or sig", t.Kind)
	}
	if t.Kind != kindSIG && t.Pattern == "" {
		return errors.New("trigger needs a pattern: white, checkerboard, noise or the path of a PNG file")
	}
	return nil
}

// flat reports whether SIG's sinusoid at frequency f is zero at every
// column of an image w pixels wide, as it is when 2f/w is a whole number.
func flat(f float64, w int) bool {
	for j := range w {
		if math.Abs(math.Sin(2*math.Pi*float64(j)*f/float64(w))) > 1e-9 {
			return false
		}
	}
	return true
}

// patchSize returns the width and height of a patch: Size×Size, or the size
// of the embedded image when Size is 0, or 0×0 when there is neither.
func (t Trigger) patchSize() (w, h int) {
	if t.Size > 0 {
		return t.Size, t.Size
	}
	if t.Image != nil {
		return t.Image.Width, t.Image.Height
	}
	return 0, 0
}

// origin returns the column and row of the top-left pixel of a w×h patch
// placed at t.Position on an image of the given shape.
func (t Trigger) origin(shape dataset.Shape, w, h int) (x, y int, err error) {
	switch t.Position {
	case bottomRight:
		return shape.Width - w, shape.Height - h, nil
	case bottomLeft:
		return 0, shape.Height - h, nil
	case topRight:
		return shape.Width - w, 0, nil
	case topLeft:
		return 0, 0, nil
	}
	xs, ys, ok := strings.Cut(t.Position, ",")
	if ok {
		x, errX := strconv.Atoi(strings.TrimSpace(xs))
		y, errY := strconv.Atoi(strings.TrimSpace(ys))
		if errX == nil && errY == nil && x >= 0 && y >= 0 {
			return x, y, nil
		}
	}
	return 0, 0, fmt.Errorf("patch position %q is not bottom-right, bottom-left, top-right, top-left or X,Y (non-negative column and row)", t.Position)
}

// Stamp applies the trigger to one row of features in place. The row is an
// image of the given shape, row-major HWC, whose values range over
// [lo, hi] (a Set's Min and Max); every value the trigger touches is clipped
// to that range. A patch is drawn on every channel of its pixels, a blend
// as x' = (1-Alpha)·x + Alpha·p with p the pattern at the size of the
// image, and SIG as x' = x + Δ·sin(2π·j·Freq/Width) at column j, with
// Δ = Delta·(hi-lo)/255.
//
// Stamp is deterministic: the noise and PNG patterns come from Image, which
// Spec.Prepare (or Apply) fills. It changes nothing when the row's length
// does not match shape, when a patch does not fit, or when a noise or PNG
// pattern has not been embedded; Spec.Validate and Spec.Prepare report
// those cases as errors.
func (t Trigger) Stamp(row []float32, shape dataset.Shape, lo, hi float32) {
	if !holds(shape, len(row)) || !(lo <= hi) {
		return
	}
	if t.needsImage() && (t.Image == nil || t.Image.validate() != nil) {
		return
	}
	switch t.Kind {
	case kindPatch:
		t.stampPatch(row, shape, lo, hi)
	case kindBlend:
		t.stampBlend(row, shape, lo, hi)
	case kindSIG:
		t.stampSIG(row, shape, lo, hi)
	}
}

func (t Trigger) stampPatch(row []float32, shape dataset.Shape, lo, hi float32) {
	w, h := t.patchSize()
	x0, y0, err := t.origin(shape, w, h)
	if err != nil || w <= 0 || h <= 0 || x0 < 0 || y0 < 0 || x0 > shape.Width-w || y0 > shape.Height-h {
		return
	}
	c := shape.Channels
	for y := range h {
		for x := range w {
			px := row[((y0+y)*shape.Width+x0+x)*c:][:c]
			for ch := range px {
				px[ch] = clip(t.value(x, y, ch, w, h, c, lo, hi), lo, hi)
			}
		}
	}
}

func (t Trigger) stampBlend(row []float32, shape dataset.Shape, lo, hi float32) {
	w, h, c := shape.Width, shape.Height, shape.Channels
	for y := range h {
		for x := range w {
			px := row[(y*w+x)*c:][:c]
			for ch, v := range px {
				p := t.value(x, y, ch, w, h, c, lo, hi)
				px[ch] = clip(float32((1-t.Alpha)*float64(v)+t.Alpha*float64(p)), lo, hi)
			}
		}
	}
}

func (t Trigger) stampSIG(row []float32, shape dataset.Shape, lo, hi float32) {
	w, c := shape.Width, shape.Channels
	delta := t.Delta * (float64(hi) - float64(lo)) / 255
	for x := range w {
		s := delta * math.Sin(2*math.Pi*float64(x)*t.Freq/float64(w))
		for y := range shape.Height {
			px := row[(y*w+x)*c:][:c]
			for ch, v := range px {
				px[ch] = clip(float32(float64(v)+s), lo, hi)
			}
		}
	}
}

// value returns the pattern's value for channel ch of pixel (x, y) of a
// w×h pattern on an image of c channels.
func (t Trigger) value(x, y, ch, w, h, c int, lo, hi float32) float32 {
	switch t.Pattern {
	case patternWhite:
		return hi
	case patternCheckerboard:
		if (x+y)%2 == 0 {
			return hi
		}
		return lo
	}
	b := t.Image.at(x, y, ch, w, h, c)
	return float32(float64(lo) + (float64(hi)-float64(lo))*float64(b)/255)
}

// clip returns v limited to [lo, hi]; NaN stays NaN.
func clip(v, lo, hi float32) float32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
