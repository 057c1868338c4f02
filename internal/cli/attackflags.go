package cli

import (
	"github.com/spf13/pflag"

	"github.com/poisonguard/poisonguard/attack"
)

// attackFlags are the flags that describe an attack, shared by attack
// apply and the drills.
type attackFlags struct {
	kind string
	spec attack.Spec
}

func (f *attackFlags) register(fs *pflag.FlagSet, defaultKind string) {
	fs.StringVar(&f.kind, "attack", defaultKind, "attack: label-flip, targeted-flip, badnets, blended, sig or clean-label")
	fs.Float64Var(&f.spec.Rate, "poison-rate", 0.1, "share of the training rows to poison (targeted-flip: of the source class; clean-label: of the target class)")
	fs.IntVar(&f.spec.Target, "target", 0, "target class index")
	fs.IntVar(&f.spec.Source, "source", -1, "targeted-flip: the class whose rows are relabelled")
	fs.StringVar(&f.spec.Mode, "mode", "", "all-to-one (default) or all-to-all (class y → y+1)")
	fs.IntVar(&f.spec.Trigger.Size, "patch-size", 0, "badnets: side of the square patch in pixels (default 3)")
	fs.StringVar(&f.spec.Trigger.Position, "position", "", "badnets: bottom-right (default), bottom-left, top-right, top-left or X,Y")
	fs.StringVar(&f.spec.Trigger.Pattern, "pattern", "", "trigger pattern: white, checkerboard, noise or a PNG file (badnets default white, blended default noise)")
	fs.Float64Var(&f.spec.Trigger.Alpha, "alpha", 0, "blended: blend weight of the pattern (default 0.2)")
	fs.Float64Var(&f.spec.Trigger.Delta, "sig-delta", 0, "sig: amplitude on a 0..255 scale (default 40)")
	fs.Float64Var(&f.spec.Trigger.Freq, "sig-freq", 0, "sig: periods across the image width (default 6)")
	fs.StringVar(&f.spec.Trigger.With, "clean-label-trigger", "", "clean-label: the trigger stamped on target-class rows: patch (default), blend or sig")
}

// build returns the attack spec with the given seed.
func (f *attackFlags) build(seed uint64) attack.Spec {
	s := f.spec
	s.Kind = attack.Kind(f.kind)
	s.Seed = seed
	return s
}
