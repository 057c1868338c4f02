package drill

import (
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/internal/atomicfile"
)

// WritePlot draws clean accuracy (dashed) and attack success rate (solid)
// of every attack against the poison rate (log scale) and writes it as a
// PNG or SVG, chosen by the file's extension.
func (s *SweepResult) WritePlot(path string) error {
	format, err := PlotFormat(path)
	if err != nil {
		return err
	}
	p, err := s.plot()
	if err != nil {
		return err
	}
	wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, format)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	})
}

// PlotFormat returns the image format a plot file's extension names:
// "png" or "svg".
func PlotFormat(path string) (string, error) {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format != "png" && format != "svg" {
		return "", fmt.Errorf("%s: the plot is written as .png or .svg", path)
	}
	return format, nil
}

func (s *SweepResult) plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Poisoning sweep: %s, %s model, %d epochs", s.Dataset, s.Model, s.Epochs)
	p.X.Label.Text = "poison rate (% of training rows, log scale)"
	p.Y.Label.Text = "% of test rows"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = rateTicks{}
	p.Y.Min, p.Y.Max = 0, 100
	p.Legend.Top, p.Legend.Left = false, true
	p.Legend.YOffs = vg.Points(40)
	p.Add(plotter.NewGrid())

	var kinds []attack.Kind
	byKind := map[attack.Kind][]Point{}
	for _, pt := range s.Points {
		if _, ok := byKind[pt.Attack]; !ok {
			kinds = append(kinds, pt.Attack)
		}
		byKind[pt.Attack] = append(byKind[pt.Attack], pt)
	}
	minRate, maxRate := s.Points[0].Rate, s.Points[0].Rate
	for i, k := range kinds {
		pts := byKind[k]
		ca, asr := make(plotter.XYs, len(pts)), plotter.XYs{}
		for j, pt := range pts {
			ca[j] = plotter.XY{X: 100 * pt.Rate, Y: 100 * pt.CleanAccuracy}
			if pt.AttackSuccessRate != nil {
				asr = append(asr, plotter.XY{X: 100 * pt.Rate, Y: 100 * *pt.AttackSuccessRate})
			}
			minRate, maxRate = min(minRate, pt.Rate), max(maxRate, pt.Rate)
		}
		color := plotutil.Color(i)
		if len(asr) > 0 {
			l, sc, err := plotter.NewLinePoints(asr)
			if err != nil {
				return nil, err
			}
			l.Color, sc.Color, sc.Shape = color, color, draw.CircleGlyph{}
			l.Width = vg.Points(2)
			p.Add(l, sc)
			p.Legend.Add(string(k)+" attack success", l, sc)
		}
		l, sc, err := plotter.NewLinePoints(ca)
		if err != nil {
			return nil, err
		}
		l.Color, sc.Color, sc.Shape = color, color, draw.TriangleGlyph{}
		l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		p.Add(l, sc)
		p.Legend.Add(string(k)+" clean accuracy", l, sc)
	}
	base := plotter.XYs{{X: 100 * minRate, Y: 100 * s.BaselineCleanAccuracy}, {X: 100 * maxRate, Y: 100 * s.BaselineCleanAccuracy}}
	bl, err := plotter.NewLine(base)
	if err != nil {
		return nil, err
	}
	bl.Color = color.Gray{Y: 110}
	bl.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(bl)
	p.Legend.Add("clean model accuracy", bl)
	return p, nil
}

// rateTicks labels a log-scaled axis of percentages at 1-2-5 steps.
type rateTicks struct{}

func (rateTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for decade := 0.01; decade <= 1000; decade *= 10 {
		for _, m := range []float64{1, 2, 5} {
			v := decade * m
			if v >= lo*0.999 && v <= hi*1.001 {
				ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%g%%", v)})
			}
		}
	}
	return ticks
}
