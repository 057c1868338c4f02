package attack_test

import (
	"image"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/dataset"
)

var gray5 = dataset.Shape{Height: 5, Width: 5, Channels: 1}

// grid parses a picture of a one-channel image, one string a row: '.' is
// the base value 7, 'W' is 255 (Max), 'B' is 0 (Min).
func grid(rows ...string) []float32 {
	var out []float32
	for _, r := range rows {
		for _, c := range strings.ReplaceAll(r, " ", "") {
			out = append(out, map[rune]float32{'.': 7, 'W': 255, 'B': 0}[c])
		}
	}
	return out
}

// prepared returns the trigger of spec as Apply would stamp it on images
// of the given shape.
func prepared(t *testing.T, spec attack.Spec, shape dataset.Shape) attack.Trigger {
	t.Helper()
	spec.Defaults()
	if err := spec.Prepare(shape); err != nil {
		t.Fatal(err)
	}
	return spec.Trigger
}

func TestStampPatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trigger attack.Trigger
		want    []float32
	}{
		{"default", attack.Trigger{}, grid(
			". . . . .",
			". . . . .",
			". . W W W",
			". . W W W",
			". . W W W")},
		{"bottom-left", attack.Trigger{Position: "bottom-left", Size: 2}, grid(
			". . . . .",
			". . . . .",
			". . . . .",
			"W W . . .",
			"W W . . .")},
		{"top-right", attack.Trigger{Position: "top-right", Size: 1}, grid(
			". . . . W",
			". . . . .",
			". . . . .",
			". . . . .",
			". . . . .")},
		{"top-left", attack.Trigger{Position: "top-left"}, grid(
			"W W W . .",
			"W W W . .",
			"W W W . .",
			". . . . .",
			". . . . .")},
		{"X,Y", attack.Trigger{Position: "1,2", Size: 2}, grid(
			". . . . .",
			". . . . .",
			". W W . .",
			". W W . .",
			". . . . .")},
		{"checkerboard", attack.Trigger{Pattern: "checkerboard"}, grid(
			". . . . .",
			". . . . .",
			". . W B W",
			". . B W B",
			". . W B W")},
		{"checkerboard 4×4 at 0,1", attack.Trigger{Pattern: "checkerboard", Size: 4, Position: "0,1"}, grid(
			". . . . .",
			"W B W B .",
			"B W B W .",
			"W B W B .",
			"B W B W .")},
		{"whole image", attack.Trigger{Size: 5}, grid(
			"W W W W W",
			"W W W W W",
			"W W W W W",
			"W W W W W",
			"W W W W W")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := prepared(t, attack.Spec{Kind: attack.BadNets, Trigger: tc.trigger}, gray5)
			got := grid(".....", ".....", ".....", ".....", ".....")
			tr.Stamp(got, gray5, 0, 255)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestStampPatchChannelsAndRange(t *testing.T) {
	shape := dataset.Shape{Height: 3, Width: 3, Channels: 2}
	tr := prepared(t, attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Pattern: "checkerboard", Size: 2, Position: "top-left"}}, shape)
	got := make([]float32, 18)
	tr.Stamp(got, shape, -1, 0.5)
	want := []float32{
		0.5, 0.5, -1, -1, 0, 0,
		-1, -1, 0.5, 0.5, 0, 0,
		0, 0, 0, 0, 0, 0,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestStampNoisePatch(t *testing.T) {
	shape := dataset.Shape{Height: 5, Width: 5, Channels: 3}
	spec := attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Pattern: "noise", Size: 2, Position: "2,1"}, Seed: 7}
	tr := prepared(t, spec, shape)
	im := tr.Image
	if im == nil || im.Width != 2 || im.Height != 2 || im.Channels != 3 || len(im.Pix) != 12 {
		t.Fatalf("noise image %+v, want 2×2×3", im)
	}
	if again := prepared(t, spec, shape); !slices.Equal(again.Image.Pix, im.Pix) {
		t.Fatal("the same seed drew different noise")
	}
	spec.Seed = 8
	if other := prepared(t, spec, shape); slices.Equal(other.Image.Pix, im.Pix) {
		t.Fatal("seeds 7 and 8 drew the same noise")
	}
	const lo, hi = -2, 2
	got := make([]float32, 75)
	tr.Stamp(got, shape, lo, hi)
	for y := range 5 {
		for x := range 5 {
			for c := range 3 {
				v := got[(y*5+x)*3+c]
				want := float32(0)
				if x >= 2 && x < 4 && y >= 1 && y < 3 {
					b := im.Pix[((y-1)*2+x-2)*3+c]
					want = float32(lo + (hi-lo)*float64(b)/255)
				}
				if v != want {
					t.Errorf("pixel %d,%d channel %d = %v, want %v", x, y, c, v, want)
				}
			}
		}
	}
	if slices.Min(got) == slices.Max(got) {
		t.Error("the noise is flat")
	}
}

func TestStampPNGPatch(t *testing.T) {
	dir := t.TempDir()
	rgb := filepath.Join(dir, "rgb.png")
	// Red, green, blue, white.
	writePNG(t, rgb, rgbaImage(2, 2, []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}}))
	gray := filepath.Join(dir, "gray.png")
	g := image.NewGray(image.Rect(0, 0, 2, 1))
	g.Pix = []byte{51, 204}
	writePNG(t, gray, g)

	t.Run("own size, RGB", func(t *testing.T) {
		shape := dataset.Shape{Height: 3, Width: 3, Channels: 3}
		tr := prepared(t, attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Pattern: rgb}}, shape)
		got := make([]float32, 27)
		tr.Stamp(got, shape, 0, 255)
		want := []float32{
			0, 0, 0, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 255, 0, 0, 0, 255, 0,
			0, 0, 0, 0, 0, 255, 255, 255, 255,
		}
		if !slices.Equal(got, want) {
			t.Errorf("got  %v\nwant %v", got, want)
		}
	})
	t.Run("luminance on one channel", func(t *testing.T) {
		shape := dataset.Shape{Height: 2, Width: 2, Channels: 1}
		tr := prepared(t, attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Pattern: rgb}}, shape)
		got := make([]float32, 4)
		tr.Stamp(got, shape, 0, 255)
		// Y = (19595·R + 38470·G + 7471·B + 2¹⁵) >> 24 on 16-bit samples.
		if want := []float32{76, 150, 29, 255}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("resized to Size", func(t *testing.T) {
		shape := dataset.Shape{Height: 5, Width: 5, Channels: 3}
		tr := prepared(t, attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Pattern: rgb, Size: 4, Position: "top-left"}}, shape)
		got := make([]float32, 75)
		tr.Stamp(got, shape, 0, 255)
		at := func(x, y int) []float32 { return got[(y*5+x)*3:][:3] }
		for y := range 5 {
			for x := range 5 {
				want := []float32{0, 0, 0}
				switch {
				case x >= 4 || y >= 4:
				case x < 2 && y < 2:
					want = []float32{255, 0, 0}
				case y < 2:
					want = []float32{0, 255, 0}
				case x < 2:
					want = []float32{0, 0, 255}
				default:
					want = []float32{255, 255, 255}
				}
				if !slices.Equal(at(x, y), want) {
					t.Errorf("pixel %d,%d = %v, want %v", x, y, at(x, y), want)
				}
			}
		}
	})
	t.Run("gray on three channels, scaled", func(t *testing.T) {
		shape := dataset.Shape{Height: 1, Width: 2, Channels: 3}
		tr := prepared(t, attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Pattern: gray}}, shape)
		got := make([]float32, 6)
		tr.Stamp(got, shape, 0, 1)
		if want := []float32{0.2, 0.2, 0.2, 0.8, 0.8, 0.8}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("too big for the image", func(t *testing.T) {
		spec := attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Pattern: rgb}}
		spec.Defaults()
		err := spec.Prepare(dataset.Shape{Height: 1, Width: 5, Channels: 1})
		if err == nil || !strings.Contains(err.Error(), "a 2×2 patch does not fit a 5×1 image") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := attack.Apply(attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Pattern: filepath.Join(dir, "none.png")}}, imageSet(20, 5, 5, 1, 2, 1))
		if err == nil || !strings.Contains(err.Error(), "none.png") {
			t.Fatalf("error %v, want one naming the file", err)
		}
	})
}

func TestStampBlend(t *testing.T) {
	shape := dataset.Shape{Height: 4, Width: 3, Channels: 3}
	base := row(imageSet(1, 4, 3, 3, 2, 5), 0)
	base[0], base[1] = 100, 300 // 300 lies above Max: the blend is clipped

	t.Run("white", func(t *testing.T) {
		tr := prepared(t, attack.Spec{Kind: attack.Blended, Trigger: attack.Trigger{Pattern: "white"}}, shape)
		got := slices.Clone(base)
		tr.Stamp(got, shape, 0, 255)
		if got[0] != 131 { // 0.8·100 + 0.2·255, by hand
			t.Errorf("blend of 100 with white = %v, want 131", got[0])
		}
		if got[1] != 255 {
			t.Errorf("blend of 300 with white = %v, want 255 (clipped)", got[1])
		}
		for i := 2; i < len(got); i++ {
			alpha := 0.2 // a variable: 1-alpha must round as at run time
			if want := float32((1-alpha)*float64(base[i]) + alpha*255); got[i] != want {
				t.Errorf("value %d = %v, want %v", i, got[i], want)
			}
		}
	})
	t.Run("noise", func(t *testing.T) {
		tr := prepared(t, attack.Spec{Kind: attack.Blended, Trigger: attack.Trigger{Alpha: 0.3}, Seed: 9}, shape)
		if tr.Image == nil || tr.Image.Width != 3 || tr.Image.Height != 4 || tr.Image.Channels != 3 {
			t.Fatalf("noise image %+v, want the image's 3×4×3", tr.Image)
		}
		got := slices.Clone(base)
		tr.Stamp(got, shape, 0, 255)
		for i := 2; i < len(got); i++ {
			p := float64(tr.Image.Pix[i]) // 0..255 is Min..Max here
			alpha := 0.3
			if want := float32((1-alpha)*float64(base[i]) + alpha*p); got[i] != want {
				t.Errorf("value %d = %v, want %v", i, got[i], want)
			}
		}
	})
	t.Run("PNG resized to the image", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "p.png")
		g := image.NewGray(image.Rect(0, 0, 1, 2))
		g.Pix = []byte{0, 255} // top half black, bottom half white
		writePNG(t, path, g)
		tr := prepared(t, attack.Spec{Kind: attack.Blended, Trigger: attack.Trigger{Pattern: path, Alpha: 0.5}}, shape)
		got := slices.Clone(base)
		tr.Stamp(got, shape, 0, 255)
		for i := 2; i < len(got); i++ {
			p := 0.0
			if i/9 >= 2 { // rows 2 and 3 of 4
				p = 255
			}
			if want := float32(0.5*float64(base[i]) + 0.5*p); got[i] != want {
				t.Errorf("value %d = %v, want %v", i, got[i], want)
			}
		}
	})
}

func TestStampSIG(t *testing.T) {
	t.Run("by hand", func(t *testing.T) {
		// Width 4, one period: Δ·sin(2π·j/4) = 0, 40, 0, -40.
		shape := dataset.Shape{Height: 2, Width: 4, Channels: 2}
		tr := prepared(t, attack.Spec{Kind: attack.SIG, Trigger: attack.Trigger{Freq: 1}}, shape)
		got := make([]float32, 16)
		for i := range got {
			got[i] = 100
		}
		tr.Stamp(got, shape, 0, 255)
		want := []float32{100, 100, 140, 140, 100, 100, 60, 60, 100, 100, 140, 140, 100, 100, 60, 60}
		if !slices.Equal(got, want) {
			t.Errorf("got  %v\nwant %v", got, want)
		}
		clipped := []float32{10, 10, 240, 240, 50, 50, 10, 10, 0, 0, 0, 0, 0, 0, 0, 0}
		tr.Stamp(clipped, shape, 0, 255)
		if want := []float32{10, 10, 255, 255, 50, 50, 0, 0}; !slices.Equal(clipped[:8], want) {
			t.Errorf("clipped row %v, want %v", clipped[:8], want)
		}
	})
	t.Run("formula", func(t *testing.T) {
		shape := dataset.Shape{Height: 3, Width: 8, Channels: 1}
		tr := prepared(t, attack.Spec{Kind: attack.SIG}, shape)
		base := make([]float32, 24)
		for i := range base {
			base[i] = 0.5
		}
		got := slices.Clone(base)
		tr.Stamp(got, shape, 0, 1)
		for y := range 3 {
			for j := range 8 {
				s := 40.0 / 255 * math.Sin(2*math.Pi*float64(j)*6/8)
				want := float32(math.Min(1, math.Max(0, 0.5+s)))
				if got[y*8+j] != want {
					t.Errorf("row %d column %d = %v, want %v", y, j, got[y*8+j], want)
				}
			}
		}
	})
}

// TestStampNoOp checks that Stamp leaves a row alone, without panicking,
// when it cannot draw the trigger.
func TestStampNoOp(t *testing.T) {
	ok := prepared(t, attack.Spec{Kind: attack.BadNets}, gray5)
	for _, tc := range []struct {
		name    string
		trigger attack.Trigger
		row     []float32
		shape   dataset.Shape
		lo, hi  float32
	}{
		{"short row", ok, make([]float32, 24), gray5, 0, 1},
		{"tabular", ok, make([]float32, 25), dataset.Shape{}, 0, 1},
		{"negative shape", ok, make([]float32, 25), dataset.Shape{Height: -5, Width: -5, Channels: 1}, 0, 1},
		{"empty range", ok, make([]float32, 25), gray5, 1, 0},
		{"unprepared noise", attack.Trigger{Kind: "patch", Size: 3, Position: "top-left", Pattern: "noise"}, make([]float32, 25), gray5, 0, 1},
		{"unprepared PNG", attack.Trigger{Kind: "blend", Alpha: 0.5, Pattern: "x.png"}, make([]float32, 25), gray5, 0, 1},
		{"patch too big", attack.Trigger{Kind: "patch", Size: 6, Position: "bottom-right", Pattern: "white"}, make([]float32, 25), gray5, 0, 1},
		{"patch off the edge", attack.Trigger{Kind: "patch", Size: 2, Position: "4,4", Pattern: "white"}, make([]float32, 25), gray5, 0, 1},
		{"bad position", attack.Trigger{Kind: "patch", Size: 2, Position: "x", Pattern: "white"}, make([]float32, 25), gray5, 0, 1},
		{"broken image", attack.Trigger{Kind: "patch", Size: 2, Position: "top-left", Pattern: "noise", Image: &attack.Image{Width: 2, Height: 2, Channels: 1, Pix: []byte{1}}}, make([]float32, 25), gray5, 0, 1},
		{"unknown kind", attack.Trigger{Kind: "wanet"}, make([]float32, 25), gray5, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.row)
			tc.trigger.Stamp(tc.row, tc.shape, tc.lo, tc.hi)
			if !slices.Equal(tc.row, before) {
				t.Errorf("Stamp changed the row: %v", tc.row)
			}
		})
	}
}
