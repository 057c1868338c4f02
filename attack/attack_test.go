package attack_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/poisonguard/poisonguard/attack"
	"github.com/poisonguard/poisonguard/dataset"
)

// imageSet returns n random h×w×c images of whole values in [0, 255], with
// labels drawn from classes classes.
func imageSet(n, h, w, c, classes int, seed uint64) *dataset.Set {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := h * w * c
	s := &dataset.Set{
		X: make([]float32, n*d), Y: make([]int, n), N: n, D: d, Classes: classes,
		Shape: dataset.Shape{Height: h, Width: w, Channels: c}, Min: 0, Max: 255,
	}
	for i := range s.X {
		s.X[i] = float32(rng.IntN(256))
	}
	for i := range s.Y {
		s.Y[i] = rng.IntN(classes)
	}
	return s
}

// tabularSet returns n rows of d features with labels i mod classes.
func tabularSet(n, d, classes int) *dataset.Set {
	s := &dataset.Set{X: make([]float32, n*d), Y: make([]int, n), N: n, D: d, Classes: classes, Max: 1}
	for i := range s.X {
		s.X[i] = float32(i%7) / 7
	}
	for i := range s.Y {
		s.Y[i] = i % classes
	}
	return s
}

func row(s *dataset.Set, i int) []float32 { return s.X[i*s.D : (i+1)*s.D] }

// sameBits reports whether a and b hold the same float32 values bit for bit.
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

func count(ys []int, class int) int {
	n := 0
	for _, y := range ys {
		if y == class {
			n++
		}
	}
	return n
}

func TestApplyGroundTruth(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec attack.Spec
		set  *dataset.Set
		// want is the number of poisoned rows, worked out by hand.
		want int
	}{
		{"label-flip", attack.Spec{Kind: attack.LabelFlip, Rate: 0.1, Seed: 1}, tabularSet(200, 4, 3), 20},
		{"targeted-flip", attack.Spec{Kind: attack.TargetedFlip, Rate: 0.25, Source: 2, Target: 1, Seed: 1}, tabularSet(200, 4, 5), 10},
		{"badnets", attack.Spec{Kind: attack.BadNets, Rate: 0.1, Target: 3, Seed: 1}, imageSet(200, 6, 6, 1, 4, 1), 20},
		{"badnets all-to-all", attack.Spec{Kind: attack.BadNets, Rate: 0.05, Mode: attack.AllToAll, Seed: 1}, imageSet(200, 6, 6, 3, 4, 2), 10},
		{"blended", attack.Spec{Kind: attack.Blended, Rate: 0.3, Target: 1, Seed: 1}, imageSet(200, 6, 6, 3, 4, 3), 60},
		{"sig", attack.Spec{Kind: attack.SIG, Rate: 0.02, Seed: 1}, imageSet(200, 6, 8, 1, 4, 4), 4},
		{"clean-label", attack.Spec{Kind: attack.CleanLabel, Rate: 0.1, Target: 2, Seed: 1}, imageSet(200, 6, 6, 1, 4, 5), 5},                                 // 10% of class 2's rows (45 to 54 of them)
		{"clean-label sig", attack.Spec{Kind: attack.CleanLabel, Rate: 0.05, Trigger: attack.Trigger{With: "sig"}, Seed: 1}, imageSet(200, 6, 8, 1, 4, 6), 3}, // 5% of class 0's rows (50 to 69 of them)
		{"clean-label whole class", attack.Spec{Kind: attack.CleanLabel, Rate: 1, Target: 1, Seed: 1}, imageSet(200, 6, 6, 1, 4, 8), 59},                      // all of class 1's 59 rows
		{"default rate", attack.Spec{Kind: attack.BadNets}, imageSet(95, 6, 6, 1, 4, 7), 10},                                                                  // round(9.5) = 10
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.set.Clone()
			res, err := attack.Apply(tc.spec, tc.set)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tc.set, before) {
				t.Fatal("Apply modified its input")
			}
			idx := res.Indices
			if len(idx) != tc.want {
				t.Fatalf("%d rows poisoned, want %d", len(idx), tc.want)
			}
			for k := 1; k < len(idx); k++ {
				if idx[k-1] >= idx[k] {
					t.Fatalf("indices not sorted and unique at %d: %v", k, idx)
				}
			}
			poisoned := make(map[int]bool)
			for _, i := range idx {
				poisoned[i] = true
			}
			p, spec := res.Poisoned, res.Spec
			for i := range tc.set.N {
				if poisoned[i] {
					continue
				}
				if !sameBits(row(p, i), row(tc.set, i)) || p.Y[i] != tc.set.Y[i] {
					t.Fatalf("row %d is not poisoned but changed", i)
				}
			}
			for _, i := range idx {
				was, now := tc.set.Y[i], p.Y[i]
				switch spec.Kind {
				case attack.LabelFlip:
					if now == was || now < 0 || now >= p.Classes {
						t.Errorf("row %d: label %d flipped to %d", i, was, now)
					}
				case attack.TargetedFlip:
					if was != spec.Source || now != spec.Target {
						t.Errorf("row %d: label %d became %d, want %d → %d", i, was, now, spec.Source, spec.Target)
					}
				case attack.CleanLabel:
					if was != spec.Target || now != was {
						t.Errorf("row %d: clean-label row of class %d now %d, target %d", i, was, now, spec.Target)
					}
				default:
					want := spec.Target
					if spec.Mode == attack.AllToAll {
						want = (was + 1) % p.Classes
					} else if was == spec.Target {
						t.Errorf("row %d is already of the target class", i)
					}
					if now != want {
						t.Errorf("row %d: label %d, want %d", i, now, want)
					}
				}
				if spec.Kind == attack.LabelFlip || spec.Kind == attack.TargetedFlip {
					if !sameBits(row(p, i), row(tc.set, i)) {
						t.Errorf("row %d: a label attack changed the features", i)
					}
					continue
				}
				stamped := slices.Clone(row(tc.set, i))
				spec.Trigger.Stamp(stamped, p.Shape, p.Min, p.Max)
				if !sameBits(row(p, i), stamped) {
					t.Errorf("row %d is not the original with the trigger stamped", i)
				}
				if sameBits(row(p, i), row(tc.set, i)) {
					t.Errorf("row %d: the trigger changed nothing", i)
				}
			}
		})
	}
}

func TestApplyReproducible(t *testing.T) {
	set := imageSet(300, 5, 5, 3, 5, 9)
	for _, kind := range []attack.Kind{attack.LabelFlip, attack.BadNets, attack.Blended, attack.SIG, attack.CleanLabel} {
		t.Run(string(kind), func(t *testing.T) {
			spec := attack.Spec{Kind: kind, Seed: 42}
			a, err := attack.Apply(spec, set)
			if err != nil {
				t.Fatal(err)
			}
			b, err := attack.Apply(spec, set)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatal("same spec and data gave different results")
			}
			spec.Seed = 43
			c, err := attack.Apply(spec, set)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Equal(a.Indices, c.Indices) {
				t.Fatal("seeds 42 and 43 chose the same rows")
			}
		})
	}
}

func TestTriggerTest(t *testing.T) {
	test := imageSet(120, 5, 5, 1, 4, 11)
	for _, tc := range []struct {
		name string
		spec attack.Spec
	}{
		{"all-to-one", attack.Spec{Kind: attack.BadNets, Target: 2}},
		{"all-to-all", attack.Spec{Kind: attack.Blended, Mode: attack.AllToAll}},
		{"clean-label", attack.Spec{Kind: attack.CleanLabel, Target: 1, Trigger: attack.Trigger{With: "blend"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := test.Clone()
			got, want, idx, err := attack.TriggerTest(tc.spec, test)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(test, before) {
				t.Fatal("TriggerTest modified its input")
			}
			var wantIdx []int
			for i, y := range test.Y {
				if tc.spec.Mode == attack.AllToAll || y != tc.spec.Target {
					wantIdx = append(wantIdx, i)
				}
			}
			if !slices.Equal(idx, wantIdx) {
				t.Fatalf("indices %v, want %v", idx, wantIdx)
			}
			if got.N != len(idx) || len(got.Y) != len(idx) || len(want) != len(idx) || len(got.X) != len(idx)*test.D {
				t.Fatalf("%d indices but a set of %d rows (%d labels, %d values) and %d wanted labels", len(idx), got.N, len(got.Y), len(got.X), len(want))
			}
			spec := tc.spec
			spec.Defaults()
			if err := spec.Prepare(test.Shape); err != nil {
				t.Fatal(err)
			}
			for k, i := range idx {
				if got.Y[k] != test.Y[i] {
					t.Errorf("row %d: label %d, want the original %d", k, got.Y[k], test.Y[i])
				}
				w := tc.spec.Target
				if tc.spec.Mode == attack.AllToAll {
					w = (test.Y[i] + 1) % test.Classes
				}
				if want[k] != w {
					t.Errorf("row %d of class %d: wanted label %d, want %d", k, test.Y[i], want[k], w)
				}
				stamped := slices.Clone(row(test, i))
				spec.Trigger.Stamp(stamped, test.Shape, test.Min, test.Max)
				if !sameBits(row(got, k), stamped) {
					t.Errorf("row %d is not test row %d with the trigger", k, i)
				}
			}
		})
	}
}

func TestTriggerTestLabelAttacks(t *testing.T) {
	for _, kind := range []attack.Kind{attack.LabelFlip, attack.TargetedFlip} {
		_, _, _, err := attack.TriggerTest(attack.Spec{Kind: kind, Source: 1}, tabularSet(10, 2, 2))
		if !errors.Is(err, attack.ErrNoTrigger) {
			t.Errorf("%s: error %v, want ErrNoTrigger", kind, err)
		}
	}
}

// TestTriggerTestMatchesApply checks that the trigger stamped on test rows
// is the one stamped on the training rows, noise included.
func TestTriggerTestMatchesApply(t *testing.T) {
	set := imageSet(100, 6, 6, 3, 3, 13)
	for _, spec := range []attack.Spec{
		{Kind: attack.BadNets, Trigger: attack.Trigger{Pattern: "noise", Size: 4, Position: "1,1"}, Seed: 5},
		{Kind: attack.Blended, Seed: 5},
	} {
		res, err := attack.Apply(spec, set)
		if err != nil {
			t.Fatal(err)
		}
		got, _, idx, err := attack.TriggerTest(spec, set)
		if err != nil {
			t.Fatal(err)
		}
		at := make(map[int]int)
		for k, i := range idx {
			at[i] = k
		}
		for _, i := range res.Indices {
			if !sameBits(row(got, at[i]), row(res.Poisoned, i)) {
				t.Fatalf("%s: row %d is stamped differently in training and test", spec.Kind, i)
			}
		}
	}
}

// TestSpecJSON checks that Result.Spec, written as attack.json, reproduces
// the trigger without its PNG file, and that its names are snake_case.
func TestSpecJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trigger.png")
	writePNG(t, path, rgbImage(4, 4))
	set := imageSet(50, 8, 8, 3, 2, 17)
	res, err := attack.Apply(attack.Spec{Kind: attack.Blended, Trigger: attack.Trigger{Pattern: path, Alpha: 0.5}, Seed: 3}, set)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(res.Spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	trigger, _ := fields["trigger"].(map[string]any)
	image, _ := trigger["image"].(map[string]any)
	if image == nil {
		t.Fatalf("attack.json holds no image: %s", data)
	}
	if _, ok := image["pix"].(string); !ok {
		t.Errorf("the image's pixels are %T in JSON, want a base64 string", image["pix"])
	}
	for _, m := range []map[string]any{fields, trigger, image} {
		for k := range m {
			if k != strings.ToLower(k) || strings.Contains(k, "-") {
				t.Errorf("JSON name %q is not snake_case", k)
			}
		}
	}
	var back attack.Spec
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, res.Spec) {
		t.Fatalf("spec changed in a JSON round trip:\n%+v\n%+v", back, res.Spec)
	}
	again, err := attack.Apply(back, set)
	if err != nil {
		t.Fatalf("Apply from attack.json without the PNG: %v", err)
	}
	if !reflect.DeepEqual(again, res) {
		t.Fatal("Apply from attack.json gave a different result")
	}
}

func TestDefaults(t *testing.T) {
	for _, tc := range []struct {
		in, want attack.Spec
	}{
		{attack.Spec{Kind: attack.LabelFlip}, attack.Spec{Kind: attack.LabelFlip, Rate: 0.1, Source: -1}},
		{attack.Spec{Kind: attack.TargetedFlip, Source: 3, Rate: 0.5}, attack.Spec{Kind: attack.TargetedFlip, Rate: 0.5, Source: 3}},
		{attack.Spec{Kind: attack.BadNets}, attack.Spec{Kind: attack.BadNets, Rate: 0.1, Source: -1, Mode: attack.AllToOne,
			Trigger: attack.Trigger{Kind: "patch", Size: 3, Position: "bottom-right", Pattern: "white"}}},
		{attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Pattern: "x.png"}}, attack.Spec{Kind: attack.BadNets, Rate: 0.1, Source: -1, Mode: attack.AllToOne,
			Trigger: attack.Trigger{Kind: "patch", Position: "bottom-right", Pattern: "x.png"}}},
		{attack.Spec{Kind: attack.Blended}, attack.Spec{Kind: attack.Blended, Rate: 0.1, Source: -1, Mode: attack.AllToOne,
			Trigger: attack.Trigger{Kind: "blend", Pattern: "noise", Alpha: 0.2}}},
		{attack.Spec{Kind: attack.SIG, Target: 4}, attack.Spec{Kind: attack.SIG, Rate: 0.1, Target: 4, Source: -1, Mode: attack.AllToOne,
			Trigger: attack.Trigger{Kind: "sig", Delta: 40, Freq: 6}}},
		{attack.Spec{Kind: attack.CleanLabel}, attack.Spec{Kind: attack.CleanLabel, Rate: 0.1, Source: -1, Mode: attack.AllToOne,
			Trigger: attack.Trigger{Kind: "patch", With: "patch", Size: 3, Position: "bottom-right", Pattern: "white"}}},
		{attack.Spec{Kind: attack.CleanLabel, Trigger: attack.Trigger{With: "sig"}}, attack.Spec{Kind: attack.CleanLabel, Rate: 0.1, Source: -1, Mode: attack.AllToOne,
			Trigger: attack.Trigger{Kind: "sig", With: "sig", Delta: 40, Freq: 6}}},
	} {
		got := tc.in
		got.Defaults()
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Defaults of %+v:\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
		again := got
		again.Defaults()
		if !reflect.DeepEqual(again, got) {
			t.Errorf("Defaults is not idempotent on %+v", tc.in)
		}
	}
}

func TestValidate(t *testing.T) {
	img := imageSet(100, 5, 5, 1, 4, 21) // about 25 rows a class
	small := imageSet(100, 5, 5, 1, 4, 21)
	for i := range small.Y {
		small.Y[i] = min(small.Y[i], 1) // classes 2 and 3 empty
	}
	for _, tc := range []struct {
		name string
		spec attack.Spec
		set  *dataset.Set
		want string // a substring of the error
	}{
		{"no kind", attack.Spec{}, img, "attack kind is empty"},
		{"unknown kind", attack.Spec{Kind: "wanet"}, img, `unknown attack kind "wanet"`},
		{"no set", attack.Spec{Kind: attack.BadNets}, nil, "no data set"},
		{"rate 1", attack.Spec{Kind: attack.BadNets, Rate: 1}, img, "rate 1 is outside (0, 1)"},
		{"negative rate", attack.Spec{Kind: attack.LabelFlip, Rate: -0.1}, img, "rate -0.1 is outside (0, 1)"},
		{"NaN rate", attack.Spec{Kind: attack.LabelFlip, Rate: math.NaN()}, img, "rate NaN is outside"},
		{"targeted rate above 1", attack.Spec{Kind: attack.TargetedFlip, Rate: 1.5, Source: 1}, img, "rate 1.5 is outside (0, 1]"},
		{"rate poisons nothing", attack.Spec{Kind: attack.BadNets, Rate: 0.001}, img, "rate 0.001 of 100 rows poisons no row"},
		{"target out of range", attack.Spec{Kind: attack.BadNets, Target: 4}, img, "target class 4 is out of range: the data has 4 classes, 0 to 3"},
		{"negative target", attack.Spec{Kind: attack.TargetedFlip, Target: -1, Source: 0}, img, "target class -1 is out of range"},
		{"no source", attack.Spec{Kind: attack.TargetedFlip, Source: -1}, img, "targeted-flip needs a source class"},
		{"source out of range", attack.Spec{Kind: attack.TargetedFlip, Source: 9}, img, "source class 9 is out of range"},
		{"source is target", attack.Spec{Kind: attack.TargetedFlip, Source: 2, Target: 2}, img, "source and target are both class 2"},
		{"empty source class", attack.Spec{Kind: attack.TargetedFlip, Source: 3, Target: 0}, small, "rate 0.1 of the 0 rows of source class 3 poisons no row"},
		{"unknown mode", attack.Spec{Kind: attack.BadNets, Mode: "one-to-one"}, img, `unknown mode "one-to-one"`},
		{"all-to-all label flip", attack.Spec{Kind: attack.LabelFlip, Mode: attack.AllToAll}, img, "all-to-all applies to trigger attacks only"},
		{"all-to-all clean-label", attack.Spec{Kind: attack.CleanLabel, Mode: attack.AllToAll}, img, "clean-label poisons rows of the target class only"},
		{"tabular badnets", attack.Spec{Kind: attack.BadNets}, tabularSet(100, 25, 4), "badnets needs image data (height×width); tabular data supports label-flip and targeted-flip"},
		{"tabular sig", attack.Spec{Kind: attack.SIG}, tabularSet(100, 25, 4), "sig needs image data"},
		{"label attack with trigger", attack.Spec{Kind: attack.LabelFlip, Trigger: attack.Trigger{Size: 3}}, img, "a label attack takes no trigger"},
		{"empty range", attack.Spec{Kind: attack.Blended}, &dataset.Set{X: make([]float32, 50), Y: []int{0, 1}, N: 2, D: 25, Classes: 2, Shape: dataset.Shape{Height: 5, Width: 5, Channels: 1}}, "the feature range [0, 0] is not a finite interval"},
		{"patch too big", attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Size: 6}}, img, "a 6×6 patch does not fit a 5×5 image"},
		{"patch off the image", attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Size: 3, Position: "3,1"}}, img, "a 3×3 patch at 3,1 runs off a 5×5 image"},
		{"negative size", attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Size: -2}}, img, "patch size -2 is negative"},
		{"bad position", attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Position: "middle"}}, img, `patch position "middle" is not bottom-right`},
		{"negative position", attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Position: "-1,0"}}, img, `patch position "-1,0"`},
		{"alpha above 1", attack.Spec{Kind: attack.Blended, Trigger: attack.Trigger{Alpha: 1.5}}, img, "blend alpha 1.5 is outside (0, 1]"},
		{"negative delta", attack.Spec{Kind: attack.SIG, Trigger: attack.Trigger{Delta: -3}}, img, "sig delta -3 is not a positive number"},
		{"infinite freq", attack.Spec{Kind: attack.SIG, Trigger: attack.Trigger{Freq: math.Inf(1)}}, img, "sig freq +Inf is not a positive number"},
		{"flat sinusoid", attack.Spec{Kind: attack.SIG}, imageSet(20, 4, 12, 1, 2, 1), "sig freq 6 draws nothing on an image 12 pixels wide"},
		{"alpha on a patch", attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Alpha: 0.3}}, img, "a patch trigger takes no alpha"},
		{"size on sig", attack.Spec{Kind: attack.SIG, Trigger: attack.Trigger{Size: 3, Pattern: "white"}}, img, "a sig trigger takes no size or pattern"},
		{"wrong trigger kind", attack.Spec{Kind: attack.BadNets, Trigger: attack.Trigger{Kind: "blend"}}, img, `badnets stamps a patch trigger, not "blend"`},
		{"unknown with", attack.Spec{Kind: attack.CleanLabel, Trigger: attack.Trigger{With: "wanet"}}, img, `unknown trigger "wanet" to stamp with`},
		{"with outside clean-label", attack.Spec{Kind: attack.Blended, Trigger: attack.Trigger{With: "sig"}}, img, "with applies to clean-label only"},
		{"too few victims", attack.Spec{Kind: attack.BadNets, Rate: 0.9}, img, "needs 90 victims but there are only"},
		{"target class too small", attack.Spec{Kind: attack.CleanLabel, Rate: 0.5, Target: 2}, small, "rate 0.5 of the 0 rows of target class 2 poisons no row"},
		{"one class", attack.Spec{Kind: attack.LabelFlip}, &dataset.Set{X: []float32{1}, Y: []int{0}, N: 1, D: 1, Classes: 1}, "data set has 1 classes; an attack needs at least 2"},
		{"label out of range", attack.Spec{Kind: attack.LabelFlip}, &dataset.Set{X: []float32{1, 2}, Y: []int{0, 5}, N: 2, D: 1, Classes: 2}, "row 1: class 5 outside [0, 2)"},
		{"short X", attack.Spec{Kind: attack.LabelFlip}, &dataset.Set{X: []float32{1}, Y: []int{0, 1}, N: 2, D: 1, Classes: 2}, "set holds 1 values, not 2×1"},
		{"shape mismatch", attack.Spec{Kind: attack.BadNets}, &dataset.Set{X: make([]float32, 24), Y: []int{0, 1}, N: 2, D: 12, Classes: 2, Max: 1, Shape: dataset.Shape{Height: 2, Width: 3}}, "image shape 2×3×0 does not hold the 12 features of a row"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate(tc.set)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if _, err := attack.Apply(tc.spec, tc.set); err == nil {
				t.Fatal("Apply accepted a spec that Validate rejects")
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	img := imageSet(100, 5, 5, 3, 4, 21)
	for _, spec := range []attack.Spec{
		{Kind: attack.LabelFlip, Mode: attack.AllToOne},
		{Kind: attack.TargetedFlip, Rate: 1, Source: 1, Target: 0},
		{Kind: attack.BadNets, Trigger: attack.Trigger{Size: 5, Position: "0,0"}},
		{Kind: attack.BadNets, Trigger: attack.Trigger{Size: 2, Position: "3, 3", Pattern: "checkerboard"}},
		{Kind: attack.Blended, Trigger: attack.Trigger{Alpha: 1, Pattern: "white"}},
		{Kind: attack.SIG, Mode: attack.AllToAll},
		{Kind: attack.SIG, Trigger: attack.Trigger{Freq: 1}},
		{Kind: attack.CleanLabel, Rate: 0.2, Target: 3, Trigger: attack.Trigger{Kind: "blend"}},
	} {
		if err := spec.Validate(img); err != nil {
			t.Errorf("%+v: %v", spec, err)
		}
	}
}
