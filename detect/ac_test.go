package detect_test

import (
	"testing"

	"github.com/poisonguard/poisonguard/detect"
)

func TestActivationClusteringPlanted(t *testing.T) {
	for _, tc := range spectralPlants {
		t.Run(tc.name, func(t *testing.T) {
			// Clean Gaussian classes split near half and half: their
			// statistic is 0, so any positive target statistic stands out.
			spectralCheckPlanted(t, detect.ActivationClustering, tc.plant, 1)
		})
	}
}
