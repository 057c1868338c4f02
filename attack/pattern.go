package attack

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"

	"github.com/poisonguard/poisonguard/dataset"
)

// MaxPatternSide caps the width and the height of a PNG pattern, in pixels.
// A PNG pattern is untrusted input: DecodePNG rejects a larger one before
// it allocates its pixels.
const MaxPatternSide = 4096

// maxPNGBytes caps how much of a PNG pattern's file is read.
const maxPNGBytes = 64 << 20

// Image is a trigger pattern held in the spec itself: Width×Height pixels
// of Channels 8-bit values, row-major HWC. Value 0 stands for a Set's Min
// and 255 for its Max. In JSON, Pix is base64.
type Image struct {
	// Width and Height are the size in pixels (JSON "width", "height").
	Width  int `json:"width"`
	Height int `json:"height"`
	// Channels is the number of values per pixel (JSON "channels").
	Channels int `json:"channels"`
	// Pix holds the Width·Height·Channels values (JSON "pix", base64).
	Pix []byte `json:"pix"`
}

// validate reports whether im is well formed.
func (im *Image) validate() error {
	if im.Width <= 0 || im.Height <= 0 || im.Channels <= 0 {
		return fmt.Errorf("size %d×%d×%d is not positive", im.Width, im.Height, im.Channels)
	}
	if !holds(dataset.Shape{Height: im.Height, Width: im.Width, Channels: im.Channels}, len(im.Pix)) {
		return fmt.Errorf("%d values for a %d×%d×%d image", len(im.Pix), im.Width, im.Height, im.Channels)
	}
	return nil
}

// at returns channel ch of pixel (x, y) of im drawn at w×h on an image of c
// channels: the pixel is the nearest neighbour, (2x+1)·Width/(2w) and
// likewise for y; a grey image gives its value to every channel, an RGB
// image gives its luminance (as image/color's GrayModel) to a one-channel
// image, and otherwise channel ch takes the image's channel ch mod
// Channels.
func (im *Image) at(x, y, ch, w, h, c int) byte {
	sx := (2*x + 1) * im.Width / (2 * w)
	sy := (2*y + 1) * im.Height / (2 * h)
	px := im.Pix[(sy*im.Width+sx)*im.Channels:][:im.Channels]
	if c == 1 && im.Channels == 3 {
		return color.GrayModel.Convert(color.RGBA{R: px[0], G: px[1], B: px[2], A: 0xff}).(color.Gray).Y
	}
	return px[ch%im.Channels]
}

// resample returns im drawn at w×h with c channels, as Stamp draws it.
func (im *Image) resample(w, h, c int) *Image {
	out := &Image{Width: w, Height: h, Channels: c, Pix: make([]byte, 0, w*h*c)}
	for y := range h {
		for x := range w {
			for ch := range c {
				out.Pix = append(out.Pix, im.at(x, y, ch, w, h, c))
			}
		}
	}
	return out
}

// noise returns a w×h×c image of values drawn uniformly from 0..255 with
// seed.
func noise(seed uint64, w, h, c int) *Image {
	rng := rand.New(rand.NewPCG(seed, noiseStream))
	pix := make([]byte, w*h*c)
	for i := range pix {
		pix[i] = byte(rng.Uint64() >> 56)
	}
	return &Image{Width: w, Height: h, Channels: c, Pix: pix}
}

// DecodePNG reads a PNG trigger pattern. A grey PNG gives an Image of one
// channel, any other an RGB Image of three; 16-bit samples keep their high
// byte and alpha is ignored (the colour is taken un-premultiplied). It
// reads at most 64 MiB and rejects a PNG wider or taller than
// MaxPatternSide.
func DecodePNG(r io.Reader) (*Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPNGBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read png: %w", err)
	}
	if len(data) > maxPNGBytes {
		return nil, fmt.Errorf("png is larger than %d MiB", maxPNGBytes>>20)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode png: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("png is %d×%d pixels", cfg.Width, cfg.Height)
	}
	if cfg.Width > MaxPatternSide || cfg.Height > MaxPatternSide {
		return nil, fmt.Errorf("png is %d×%d pixels, more than the limit of %d on a side", cfg.Width, cfg.Height, MaxPatternSide)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode png: %w", err)
	}
	b := img.Bounds()
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, errors.New("decode png: size differs from the header's")
	}
	im := &Image{Width: b.Dx(), Height: b.Dy(), Channels: 3}
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		im.Channels = 1
	}
	im.Pix = make([]byte, 0, im.Width*im.Height*im.Channels)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.At(x, y)
			if im.Channels == 1 {
				im.Pix = append(im.Pix, color.GrayModel.Convert(c).(color.Gray).Y)
				continue
			}
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			im.Pix = append(im.Pix, n.R, n.G, n.B)
		}
	}
	return im, nil
}

// loadPNG reads the PNG pattern at path.
func loadPNG(path string) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trigger pattern: %w", err)
	}
	defer f.Close()
	im, err := DecodePNG(f)
	if err != nil {
		return nil, fmt.Errorf("trigger pattern %s: %w", path, err)
	}
	return im, nil
}
