package attack

import (
	"cmp"
	"errors"
	"fmt"
	"math"

	"github.com/poisonguard/poisonguard/dataset"
)

// Defaults fills the unset fields of s with the defaults of its Kind: Rate
// 0.1, Target 0 (the zero value), Source -1 for every kind but
// TargetedFlip, Mode AllToOne for the trigger attacks, and for the trigger
// the BackdoorBench recipes: a 3×3 white patch at the bottom right, a noise
// blend at alpha 0.2, a sinusoid of delta 40 and frequency 6, and a patch
// for CleanLabel. Fields that do not apply to Kind are left alone.
func (s *Spec) Defaults() {
	if s.Rate == 0 {
		s.Rate = 0.1
	}
	if s.Kind != TargetedFlip {
		s.Source = -1
	}
	t := &s.Trigger
	switch s.Kind {
	case BadNets:
		t.Kind = cmp.Or(t.Kind, kindPatch)
	case Blended:
		t.Kind = cmp.Or(t.Kind, kindBlend)
	case SIG:
		t.Kind = cmp.Or(t.Kind, kindSIG)
	case CleanLabel:
		t.With = cmp.Or(t.With, cmp.Or(t.Kind, kindPatch))
		t.Kind = cmp.Or(t.Kind, t.With)
	default:
		return
	}
	s.Mode = cmp.Or(s.Mode, AllToOne)
	t.defaults()
}

// triggerKind maps each trigger attack to its trigger.
var triggerKind = map[Kind]string{BadNets: kindPatch, Blended: kindBlend, SIG: kindSIG}

// Validate checks s, with Defaults applied, against the training set it is
// to poison, and says what is wrong: an unknown kind, a rate outside (0, 1),
// a class out of range, a trigger on tabular data, a patch that does not
// fit the image, too few rows to poison, and so on. It reads no file: a PNG
// pattern is read, and checked, by Prepare.
func (s Spec) Validate(set *dataset.Set) error {
	s.Defaults()
	if err := s.check(set); err != nil {
		return err
	}
	switch {
	case s.ofOneClass() && !(s.Rate > 0 && s.Rate <= 1):
		return fmt.Errorf("%s: rate %g is outside (0, 1]", s.Kind, s.Rate)
	case !s.ofOneClass() && !(s.Rate > 0 && s.Rate < 1):
		return fmt.Errorf("%s: rate %g is outside (0, 1)", s.Kind, s.Rate)
	}
	candidates, k := s.plan(set.Y)
	of := fmt.Sprintf("%d rows", set.N)
	switch s.Kind {
	case TargetedFlip:
		of = fmt.Sprintf("the %d rows of source class %d", len(candidates), s.Source)
	case CleanLabel:
		of = fmt.Sprintf("the %d rows of target class %d", len(candidates), s.Target)
	}
	if k == 0 {
		return fmt.Errorf("%s: rate %g of %s poisons no row", s.Kind, s.Rate, of)
	}
	if k > len(candidates) {
		which := fmt.Sprintf("rows outside the target class %d", s.Target)
		if s.Kind == CleanLabel {
			which = fmt.Sprintf("rows of the target class %d", s.Target)
		}
		return fmt.Errorf("%s: rate %g of %s needs %d victims but there are only %d %s", s.Kind, s.Rate, of, k, len(candidates), which)
	}
	return nil
}

// check validates everything but the rate and the number of victims: what
// TriggerTest needs of a test set as much as Apply of a training set.
func (s Spec) check(set *dataset.Set) error {
	switch s.Kind {
	case LabelFlip, TargetedFlip, BadNets, Blended, SIG, CleanLabel:
	case "":
		return errors.New("attack kind is empty; want label-flip, targeted-flip, badnets, blended, sig or clean-label")
	default:
		return fmt.Errorf("unknown attack kind %q; want label-flip, targeted-flip, badnets, blended, sig or clean-label", s.Kind)
	}
	if set == nil {
		return fmt.Errorf("%s: no data set", s.Kind)
	}
	if err := checkSet(set); err != nil {
		return fmt.Errorf("%s: %w", s.Kind, err)
	}
	if s.Kind != LabelFlip && (s.Target < 0 || s.Target >= set.Classes) {
		return fmt.Errorf("%s: target class %d is out of range: the data has %d classes, 0 to %d", s.Kind, s.Target, set.Classes, set.Classes-1)
	}
	if s.Kind == TargetedFlip {
		switch {
		case s.Source < 0:
			return errors.New("targeted-flip needs a source class")
		case s.Source >= set.Classes:
			return fmt.Errorf("targeted-flip: source class %d is out of range: the data has %d classes, 0 to %d", s.Source, set.Classes, set.Classes-1)
		case s.Source == s.Target:
			return fmt.Errorf("targeted-flip: source and target are both class %d", s.Source)
		}
	}
	switch s.Mode {
	case "", AllToOne:
	case AllToAll:
		switch s.Kind {
		case LabelFlip, TargetedFlip:
			return fmt.Errorf("%s: mode all-to-all applies to trigger attacks only", s.Kind)
		case CleanLabel:
			return errors.New("clean-label: mode all-to-all does not apply: clean-label poisons rows of the target class only")
		}
	default:
		return fmt.Errorf("%s: unknown mode %q; want all-to-one or all-to-all", s.Kind, s.Mode)
	}
	if s.Kind == LabelFlip || s.Kind == TargetedFlip {
		if s.Trigger != (Trigger{}) {
			return fmt.Errorf("%s: a label attack takes no trigger", s.Kind)
		}
		return nil
	}
	if isTabular(set.Shape) {
		return fmt.Errorf("%s needs image data (height×width); tabular data supports label-flip and targeted-flip", s.Kind)
	}
	if !(set.Min < set.Max) || math.IsInf(float64(set.Min), 0) || math.IsInf(float64(set.Max), 0) {
		return fmt.Errorf("%s: the feature range [%g, %g] is not a finite interval; set Min and Max (e.g. 0 and 255)", s.Kind, set.Min, set.Max)
	}
	want := triggerKind[s.Kind]
	if s.Kind == CleanLabel {
		switch s.Trigger.With {
		case kindPatch, kindBlend, kindSIG:
		default:
			return fmt.Errorf("clean-label: unknown trigger %q to stamp with; want patch, blend or sig", s.Trigger.With)
		}
		want = s.Trigger.With
	} else if s.Trigger.With != "" {
		return fmt.Errorf("%s: with applies to clean-label only", s.Kind)
	}
	if s.Trigger.Kind != want {
		return fmt.Errorf("%s stamps a %s trigger, not %q", s.Kind, want, s.Trigger.Kind)
	}
	if err := s.Trigger.validate(set.Shape); err != nil {
		return fmt.Errorf("%s: %w", s.Kind, err)
	}
	return nil
}

// Prepare completes s for images of the given shape so that its trigger
// stamps on its own and s marshals to a self-contained attack.json. It
// applies Defaults; then for a noise pattern it draws the noise from Seed,
// at Size×Size for a patch or at the size of the image for a blend, and for
// a PNG pattern it reads the file Trigger.Pattern names and fits it to the
// patch (Size×Size, or the PNG's own size when Size is 0) or to the image,
// nearest neighbour, converted to shape.Channels. The result is stored in
// Trigger.Image; an Image already there is kept, so a spec read back from
// attack.json reads no file. Apply and TriggerTest call Prepare; it does
// nothing for the label attacks, nor for the patterns white and
// checkerboard.
func (s *Spec) Prepare(shape dataset.Shape) error {
	s.Defaults()
	t := &s.Trigger
	if s.Kind == LabelFlip || s.Kind == TargetedFlip || !t.needsImage() || t.Image != nil {
		return nil
	}
	if _, ok := shapeSize(shape); !ok {
		return fmt.Errorf("%s: image shape %d×%d×%d is not valid", s.Kind, shape.Height, shape.Width, shape.Channels)
	}
	if err := t.validate(shape); err != nil {
		return fmt.Errorf("%s: %w", s.Kind, err)
	}
	w, h := shape.Width, shape.Height
	if t.Kind == kindPatch {
		w, h = t.Size, t.Size
	}
	if t.Pattern == patternNoise {
		t.Image = noise(s.Seed, w, h, shape.Channels)
		return nil
	}
	im, err := loadPNG(t.Pattern)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Kind, err)
	}
	if t.Kind == kindPatch && t.Size == 0 {
		w, h = im.Width, im.Height
	}
	t.Image = im.resample(w, h, shape.Channels)
	if err := t.validate(shape); err != nil {
		return fmt.Errorf("%s: %w", s.Kind, err)
	}
	return nil
}

// shapeSize returns Height·Width·Channels of s, and false if a dimension is not
// positive or the product overflows an int.
func shapeSize(s dataset.Shape) (int, bool) {
	if s.Height <= 0 || s.Width <= 0 || s.Channels <= 0 {
		return 0, false
	}
	if s.Width > math.MaxInt/s.Height || s.Channels > math.MaxInt/(s.Height*s.Width) {
		return 0, false
	}
	return s.Height * s.Width * s.Channels, true
}

// holds reports whether s is a valid image shape of exactly n values.
func holds(s dataset.Shape, n int) bool {
	n2, ok := shapeSize(s)
	return ok && n2 == n
}

// isTabular reports whether s is the zero Shape.
func isTabular(s dataset.Shape) bool { return s == dataset.Shape{} }

// checkSet reports whether s is consistent and has at least two classes.
func checkSet(s *dataset.Set) error {
	if s.D > 0 && s.N > len(s.X)/s.D {
		return fmt.Errorf("set holds %d values, not %d×%d", len(s.X), s.N, s.D)
	}
	if err := s.Validate(); err != nil {
		return err
	}
	if s.Classes < 2 {
		return fmt.Errorf("data set has %d classes; an attack needs at least 2", s.Classes)
	}
	if !isTabular(s.Shape) && !holds(s.Shape, s.D) {
		return fmt.Errorf("image shape %d×%d×%d does not hold the %d features of a row", s.Shape.Height, s.Shape.Width, s.Shape.Channels, s.D)
	}
	return nil
}
