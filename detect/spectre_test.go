package detect_test

import (
	"testing"

	"github.com/poisonguard/poisonguard/detect"
)

func TestSpectrePlanted(t *testing.T) {
	for _, tc := range spectralPlants {
		t.Run(tc.name, func(t *testing.T) {
			// Clean Gaussian classes give tr(Σ′M)/tr(M) near 1.
			spectralCheckPlanted(t, detect.Spectre, tc.plant, 2)
		})
	}
}
