package attack_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/dataset"
)

func writePNG(t testing.TB, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rgbImage returns a w×h opaque image of varied colours.
func rgbImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(60 * x), uint8(60 * y), uint8(17*x + 31*y), 255})
		}
	}
	return img
}

// rgbaImage returns a w×h image of the given pixels, row by row.
func rgbaImage(w, h int, px []color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, c := range px {
		img.Set(i%w, i/w, c)
	}
	return img
}

func encode(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodePNG(t *testing.T) {
	gray16 := image.NewGray16(image.Rect(0, 0, 2, 1))
	gray16.SetGray16(0, 0, color.Gray16{Y: 0x1234})
	gray16.SetGray16(1, 0, color.Gray16{Y: 0xffff})
	translucent := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	translucent.SetNRGBA(0, 0, color.NRGBA{R: 200, G: 100, B: 50, A: 128})
	paletted := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.RGBA{10, 20, 30, 255}, color.RGBA{40, 50, 60, 255}})
	paletted.Pix = []byte{1, 0}
	gray := image.NewGray(image.Rect(0, 0, 3, 1))
	gray.Pix = []byte{0, 128, 255}
	for _, tc := range []struct {
		name string
		img  image.Image
		want attack.Image
	}{
		{"gray", gray, attack.Image{Width: 3, Height: 1, Channels: 1, Pix: []byte{0, 128, 255}}},
		{"gray 16-bit keeps the high byte", gray16, attack.Image{Width: 2, Height: 1, Channels: 1, Pix: []byte{0x12, 0xff}}},
		{"alpha is ignored", translucent, attack.Image{Width: 1, Height: 1, Channels: 3, Pix: []byte{200, 100, 50}}},
		{"paletted", paletted, attack.Image{Width: 2, Height: 1, Channels: 3, Pix: []byte{40, 50, 60, 10, 20, 30}}},
		{"RGB", rgbaImage(1, 2, []color.RGBA{{1, 2, 3, 255}, {4, 5, 6, 255}}), attack.Image{Width: 1, Height: 2, Channels: 3, Pix: []byte{1, 2, 3, 4, 5, 6}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := attack.DecodePNG(bytes.NewReader(encode(t, tc.img)))
			if err != nil {
				t.Fatal(err)
			}
			if got.Width != tc.want.Width || got.Height != tc.want.Height || got.Channels != tc.want.Channels || !slices.Equal(got.Pix, tc.want.Pix) {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestDecodePNGRejects(t *testing.T) {
	valid := encode(t, rgbImage(3, 3))
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"too wide", encode(t, image.NewGray(image.Rect(0, 0, attack.MaxPatternSide+1, 1))), "png is 4097×1 pixels, more than the limit of 4096 on a side"},
		{"too tall", encode(t, image.NewGray(image.Rect(0, 0, 1, 5000))), "png is 1×5000 pixels"},
		{"not a PNG", []byte("GIF89a"), "decode png"},
		{"empty", nil, "decode png"},
		{"truncated", valid[:len(valid)-20], "decode png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := attack.DecodePNG(bytes.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestDecodePNGReadsAtMost64MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 64 MiB")
	}
	_, err := attack.DecodePNG(zeros{})
	if err == nil || !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Fatalf("error %v", err)
	}
}

// FuzzDecodePNG feeds arbitrary bytes to the PNG pattern loader: it must
// return a well-formed Image within the size cap or an error, never panic;
// a decoded Image must survive a PNG round trip and stamp without panicking.
func FuzzDecodePNG(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.png"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(encode(f, rgbImage(5, 3)))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		im, err := attack.DecodePNG(bytes.NewReader(data))
		if err != nil {
			return
		}
		if im.Width < 1 || im.Height < 1 || im.Width > attack.MaxPatternSide || im.Height > attack.MaxPatternSide {
			t.Fatalf("decoded a %d×%d image", im.Width, im.Height)
		}
		if im.Channels != 1 && im.Channels != 3 || len(im.Pix) != im.Width*im.Height*im.Channels {
			t.Fatalf("%d values for %d×%d×%d", len(im.Pix), im.Width, im.Height, im.Channels)
		}
		var back image.Image
		if im.Channels == 1 {
			back = &image.Gray{Pix: im.Pix, Stride: im.Width, Rect: image.Rect(0, 0, im.Width, im.Height)}
		} else {
			rgba := image.NewRGBA(image.Rect(0, 0, im.Width, im.Height))
			for i := range im.Width * im.Height {
				copy(rgba.Pix[4*i:], im.Pix[3*i:3*i+3])
				rgba.Pix[4*i+3] = 255
			}
			back = rgba
		}
		again, err := attack.DecodePNG(bytes.NewReader(encode(t, back)))
		if err != nil {
			t.Fatalf("re-encoded image does not decode: %v", err)
		}
		if again.Width != im.Width || again.Height != im.Height || again.Channels != im.Channels || !slices.Equal(again.Pix, im.Pix) {
			t.Fatal("image changed in a PNG round trip")
		}
		shape := dataset.Shape{Height: 6, Width: 7, Channels: 3}
		for _, tr := range []attack.Trigger{
			{Kind: "patch", Position: "top-left", Pattern: "p.png", Image: im},
			{Kind: "patch", Size: 3, Position: "bottom-right", Pattern: "p.png", Image: im},
			{Kind: "blend", Alpha: 0.5, Pattern: "p.png", Image: im},
		} {
			tr.Stamp(make([]float32, 6*7*3), shape, 0, 1)
		}
	})
}
