// Package drift measures how far a batch of data has moved from a baseline,
// and checks a batch's profile against the baseline's.
//
// # Statistics
//
// Each statistic is a pure function that reproduces a reference
// implementation from SciPy 1.10 (NumPy 1.24 where noted), checked against
// its outputs in testdata/fixtures.json (written by testdata/gen.py) to a
// relative error of 1e-9:
//
//   - KS: the two-sample Kolmogorov-Smirnov statistic D and its two-sided
//     p-value, as scipy.stats.ks_2samp(a, b): exact when both samples have
//     at most 10000 observations, else from the finite-n Kolmogorov
//     distribution (KolmogorovSF, scipy.stats.kstwo). KSPValue gives the
//     p-value of a D known only approximately, e.g. from quantile sketches.
//   - Wasserstein: the Wasserstein-1 distance, as
//     scipy.stats.wasserstein_distance, in the units of the data. It is
//     raw: a caller that wants a scale-free score divides by the baseline's
//     standard deviation.
//   - JSDistance: the Jensen-Shannon distance with base-2 logarithms, as
//     scipy.spatial.distance.jensenshannon(p, q, base=2): the square root of
//     the divergence, in [0, 1]. (Evidently reports the same distance in
//     nats, at most 0.833; TFDV and Vertex report the divergence.)
//   - Chi2Contingency: the chi-square test of the 2×K table of baseline and
//     batch counts, as scipy.stats.chi2_contingency, with Yates' correction
//     only at one degree of freedom; categories empty on both sides are
//     dropped.
//   - PSI: the Population Stability Index over bins cut at the baseline's
//     deciles (Deciles, numpy.quantile's linear definition, tied edges
//     collapsed), with open outer bins (BinCounts) and empty shares replaced
//     by PSIEpsilon.
//
// Numeric samples are passed as a Sample: sorted distinct values with
// counts, the form a profile keeps its exact baseline in, so that D and the
// Wasserstein distance cost one merge, O(n+m) in the distinct values.
//
// # Undefined inputs
//
// The statistics never panic and never return errors: where a statistic is
// undefined (an empty sample, a zero total, vectors of different lengths, a
// negative or NaN count, an invalid Sample) they return NaN, which the
// reports render as null. Sample.Validate tells a caller why a Sample it
// built by hand is invalid.
package drift
