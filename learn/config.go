package learn

import (
	"errors"
	"fmt"
	"slices"

	"github.com/poisonguard/poisonguard/dataset"
)

// Arch names a model architecture.
type Arch string

// The architectures New builds.
const (
	// LogReg is softmax (multinomial) logistic regression.
	LogReg Arch = "logreg"
	// MLP is a multi-layer perceptron with ReLU hidden layers.
	MLP Arch = "mlp"
	// CNN is two blocks of convolution, 2×2 max-pooling and ReLU, then
	// dense ReLU layers and the output layer.
	CNN Arch = "cnn"
)

// Config describes a model's architecture; with the weights it is all a
// saved model holds.
type Config struct {
	Arch Arch `json:"arch"`
	// Inputs is the number of features per row.
	Inputs int `json:"inputs"`
	// Shape is the image shape of a row; the CNN needs it.
	Shape dataset.Shape `json:"shape"`
	// Classes is the number of output classes.
	Classes int `json:"classes"`
	// Hidden holds the widths of the hidden dense layers: for the MLP
	// (default 256, 128), and after the CNN's convolutions (default 128).
	Hidden []int `json:"hidden,omitempty"`
	// Filters holds the CNN's filters per convolution block (default 16, 32).
	Filters []int `json:"filters,omitempty"`
	// Kernel is the side of the CNN's square kernels (default 5).
	Kernel int `json:"kernel,omitempty"`
}

// Architecture defaults, documented on Config.
var (
	DefaultMLPHidden  = []int{256, 128}
	DefaultCNNHidden  = []int{128}
	DefaultCNNFilters = []int{16, 32}
)

// DefaultKernel is the CNN's default kernel side.
const DefaultKernel = 5

// Limits on architectures, to keep a bad config from exhausting memory.
const (
	MaxWidth  = 1 << 14
	MaxLayers = 16
)

// withDefaults returns c with unset architecture fields filled in.
func (c Config) withDefaults() Config {
	switch c.Arch {
	case MLP:
		if c.Hidden == nil {
			c.Hidden = slices.Clone(DefaultMLPHidden)
		}
	case CNN:
		if c.Hidden == nil {
			c.Hidden = slices.Clone(DefaultCNNHidden)
		}
		if c.Filters == nil {
			c.Filters = slices.Clone(DefaultCNNFilters)
		}
		if c.Kernel == 0 {
			c.Kernel = DefaultKernel
		}
	}
	return c
}

// Validate checks that the architecture can be built.
func (c Config) Validate() error {
	switch {
	case c.Arch != LogReg && c.Arch != MLP && c.Arch != CNN:
		return fmt.Errorf("unknown model %q (want logreg, mlp or cnn)", c.Arch)
	case c.Inputs < 1 || c.Inputs > dataset.MaxSetValues:
		return fmt.Errorf("model inputs %d out of range", c.Inputs)
	case c.Classes < 2 || c.Classes > dataset.MaxClasses:
		return fmt.Errorf("a classifier needs 2 to %d classes, not %d", dataset.MaxClasses, c.Classes)
	case len(c.Hidden)+len(c.Filters) > MaxLayers:
		return fmt.Errorf("more than %d layers", MaxLayers)
	}
	for _, h := range append(slices.Clone(c.Hidden), c.Filters...) {
		if h < 1 || h > MaxWidth {
			return fmt.Errorf("layer width %d out of range [1, %d]", h, MaxWidth)
		}
	}
	if c.Arch == LogReg && len(c.Hidden)+len(c.Filters) > 0 {
		return errors.New("logistic regression has no hidden layers")
	}
	if c.Arch != CNN {
		return nil
	}
	if !c.Shape.IsImage() || c.Shape.Size() != c.Inputs {
		return fmt.Errorf("the CNN needs image rows; these have %d features and shape %v", c.Inputs, c.Shape)
	}
	side := min(c.Shape.Height, c.Shape.Width)
	for range c.Filters {
		side = (side - c.Kernel + 1) / 2
	}
	if c.Kernel < 1 || side < 1 {
		return fmt.Errorf("images of %v are too small for %d blocks of %d×%d convolution and pooling", c.Shape, len(c.Filters), c.Kernel, c.Kernel)
	}
	return nil
}
