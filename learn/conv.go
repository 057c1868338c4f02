package learn

import (
	"fmt"
	"math/rand/v2"

	"github.com/poisonguard/poisonguard/dataset"
	"github.com/poisonguard/poisonguard/internal/gemm"
)

// conv is a 2-D convolution with stride 1 and no padding over rows that
// hold H×W×C images, computed as one matrix product over unfolded patches
// (im2col). Its weight is filters×k×k×C: each filter in the HWC order of
// the images it slides over.
type conv struct {
	in      dataset.Shape
	out     dataset.Shape
	k       int
	w, b    *Param
	col     []float32 // unfolded patches of the last forward pass
	dcol    []float32
	y, dx   []float32
	patches int // output positions per image
}

func newConv(name string, in dataset.Shape, filters, k int, rng *rand.Rand) *conv {
	c := &conv{
		in:  in,
		out: dataset.Shape{Height: in.Height - k + 1, Width: in.Width - k + 1, Channels: filters},
		k:   k,
		w:   newParam(name+".weight", filters, k, k, in.Channels),
		b:   newParam(name+".bias", filters),
	}
	c.patches = c.out.Height * c.out.Width
	heUniform(c.w, in.Channels*k*k, rng)
	return c
}

func (c *conv) outputs() int     { return c.out.Size() }
func (c *conv) params() []*Param { return []*Param{c.w, c.b} }
func (c *conv) String() string {
	return fmt.Sprintf("conv %d×%d, %d→%d channels", c.k, c.k, c.in.Channels, c.out.Channels)
}

// patchLen is the length of one unfolded patch.
func (c *conv) patchLen() int { return c.in.Channels * c.k * c.k }

func (c *conv) forward(x []float32, rows int, _ bool) []float32 {
	m, kk, f := rows*c.patches, c.patchLen(), c.out.Channels
	c.col = grow(c.col, m*kk)
	parallel(rows, c.patches*kk, func(lo, hi int) {
		for s := lo; s < hi; s++ {
			c.unfold(x[s*c.in.Size():(s+1)*c.in.Size()], c.col[s*c.patches*kk:(s+1)*c.patches*kk])
		}
	})
	c.y = grow(c.y, m*f)
	for r := range m {
		copy(c.y[r*f:(r+1)*f], c.b.W)
	}
	gemm.Sgemm(false, true, m, f, kk, 1, c.col, kk, c.w.W, kk, 1, c.y, f)
	return c.y
}

// unfold writes one image's patches, one row per output position, each
// ordered kernel row, kernel column, channel: so that every kernel row of
// a patch is one contiguous run of k·C input values.
func (c *conv) unfold(img, col []float32) {
	w, ch, k := c.in.Width, c.in.Channels, c.k
	run, kk := k*ch, c.patchLen()
	for oy := range c.out.Height {
		for ox := range c.out.Width {
			dst := col[(oy*c.out.Width+ox)*kk:]
			for ky := range k {
				src := img[((oy+ky)*w+ox)*ch:]
				copy(dst[ky*run:(ky+1)*run], src[:run])
			}
		}
	}
}

// fold adds one image's patch gradients back onto its pixels.
func (c *conv) fold(dcol, dimg []float32) {
	w, ch, k := c.in.Width, c.in.Channels, c.k
	run, kk := k*ch, c.patchLen()
	clear(dimg)
	for oy := range c.out.Height {
		for ox := range c.out.Width {
			src := dcol[(oy*c.out.Width+ox)*kk:]
			for ky := range k {
				dst := dimg[((oy+ky)*w+ox)*ch:][:run]
				for i, v := range src[ky*run : (ky+1)*run] {
					dst[i] += v
				}
			}
		}
	}
}

func (c *conv) backward(dy []float32, rows int, needDX bool) []float32 {
	m, kk, f := rows*c.patches, c.patchLen(), c.out.Channels
	// dW = dyᵀ·col, db = Σ rows of dy, dcol = dy·W, then fold.
	gemm.Sgemm(true, false, f, kk, m, 1, dy, f, c.col, kk, 0, c.w.G, kk)
	clear(c.b.G)
	for r := range m {
		for j, v := range dy[r*f : (r+1)*f] {
			c.b.G[j] += v
		}
	}
	if !needDX {
		return nil
	}
	c.dcol = grow(c.dcol, m*kk)
	gemm.Sgemm(false, false, m, kk, f, 1, dy, f, c.w.W, kk, 0, c.dcol, kk)
	c.dx = grow(c.dx, rows*c.in.Size())
	parallel(rows, c.patches*kk, func(lo, hi int) {
		for s := lo; s < hi; s++ {
			c.fold(c.dcol[s*c.patches*kk:(s+1)*c.patches*kk], c.dx[s*c.in.Size():(s+1)*c.in.Size()])
		}
	})
	return c.dx
}

// maxPool takes the maximum of each 2×2 block of an H×W×C image (odd edges
// are dropped, as PyTorch's MaxPool2d(2) does).
type maxPool struct {
	in, out dataset.Shape
	argmax  []int32 // index within the input image of each output's maximum
	y, dx   []float32
}

func newMaxPool(in dataset.Shape) *maxPool {
	return &maxPool{in: in, out: dataset.Shape{Height: in.Height / 2, Width: in.Width / 2, Channels: in.Channels}}
}

func (p *maxPool) outputs() int     { return p.out.Size() }
func (p *maxPool) params() []*Param { return nil }
func (p *maxPool) String() string   { return "max-pool 2×2" }

func (p *maxPool) forward(x []float32, rows int, train bool) []float32 {
	isz, osz := p.in.Size(), p.out.Size()
	p.y = grow(p.y, rows*osz)
	if cap(p.argmax) < rows*osz {
		p.argmax = make([]int32, rows*osz)
	}
	p.argmax = p.argmax[:rows*osz]
	parallel(rows, isz, func(lo, hi int) {
		for s := lo; s < hi; s++ {
			p.poolImage(x[s*isz:(s+1)*isz], p.y[s*osz:(s+1)*osz], p.argmax[s*osz:(s+1)*osz])
		}
	})
	return p.y
}

// poolImage pools one image: each 2×2 block is two runs of 2·C values
// (its top and bottom pixel pairs), compared channel by channel.
func (p *maxPool) poolImage(img, y []float32, arg []int32) {
	w, ch := p.in.Width, p.in.Channels
	for oy := range p.out.Height {
		for ox := range p.out.Width {
			top := ((2*oy)*w + 2*ox) * ch
			bottom := top + w*ch
			t, b := img[top:top+2*ch], img[bottom:bottom+2*ch]
			o := (oy*p.out.Width + ox) * ch
			yo, ao := y[o:o+ch], arg[o:o+ch]
			for c := range yo {
				best, at := t[c], top+c
				if v := t[ch+c]; v > best {
					best, at = v, top+ch+c
				}
				if v := b[c]; v > best {
					best, at = v, bottom+c
				}
				if v := b[ch+c]; v > best {
					best, at = v, bottom+ch+c
				}
				yo[c], ao[c] = best, int32(at)
			}
		}
	}
}

func (p *maxPool) backward(dy []float32, rows int, _ bool) []float32 {
	isz, osz := p.in.Size(), p.out.Size()
	p.dx = grow(p.dx, rows*isz)
	parallel(rows, isz, func(lo, hi int) {
		for s := lo; s < hi; s++ {
			dx := p.dx[s*isz : (s+1)*isz]
			clear(dx)
			for o, v := range dy[s*osz : (s+1)*osz] {
				dx[p.argmax[s*osz+o]] += v
			}
		}
	})
	return p.dx
}
