// Package attack poisons a staging copy of a data set on purpose, so that a
// security team can test its defences against a known attack. Apply returns
// the poisoned copy and the ground truth, the sorted indices of the rows it
// poisoned; TriggerTest stamps the same trigger on test rows so that the
// caller can measure the attack success rate (ASR). The package only moves
// data: it trains no model.
//
// # Attacks
//
// The defaults follow BackdoorBench's recipes (Wu et al., NeurIPS 2022
// Datasets and Benchmarks, arXiv:2206.12654): poison rate 0.1 (pratio),
// target class 0, all-to-one.
//
//   - LabelFlip relabels round(Rate·N) rows drawn from the whole set, each
//     to a class drawn uniformly from the other classes. Any data.
//   - TargetedFlip relabels round(Rate·count(Source)) rows of the Source
//     class as Target: here Rate is the share of the source class. Any data.
//   - BadNets (Gu, Dolan-Gavitt and Garg, "BadNets: Identifying
//     Vulnerabilities in the Machine Learning Model Supply Chain",
//     arXiv:1708.06733, 2017) stamps a Size×Size patch, by default a 3×3
//     white square in the bottom-right corner, and relabels.
//   - Blended (Chen, Liu, Li, Lu and Song, "Targeted Backdoor Attacks on
//     Deep Learning Systems Using Data Poisoning", arXiv:1712.05526, 2017)
//     blends a whole-image pattern p as x' = (1-α)·x + α·p, by default
//     seeded uniform noise at α = 0.2 (BackdoorBench blends its hello-kitty
//     image, which is not ours to ship; pass any PNG instead), and
//     relabels.
//   - SIG (Barni, Kallas and Tondi, "A New Backdoor Attack in CNNs by
//     Training Set Corruption Without Label Poisoning", ICIP 2019,
//     arXiv:1902.11237) adds the sinusoid Δ·sin(2π·j·f/W) to column j, by
//     default Δ = 40 on a 0..255 scale and f = 6, and relabels. The paper
//     poisons rows of the target class without relabelling them: that is
//     CleanLabel with a "sig" trigger.
//   - CleanLabel (after Turner, Tsipras and Madry, "Label-Consistent
//     Backdoor Attacks", arXiv:1912.02771, 2019) stamps a trigger, by
//     default the BadNets patch, on round(Rate·N) rows of the target class
//     and leaves their labels, which are correct. Turner et al. first make
//     those rows hard to classify with an adversarial perturbation or a GAN
//     interpolation, which needs a model; this package stamps the trigger
//     only, the weaker variant.
//
// The dirty-label attacks (BadNets, Blended, SIG) draw their victims from the
// rows not already of the target class and relabel them to it (all-to-one),
// or from all rows relabelling class y to (y+1) mod Classes (all-to-all).
// Victims are drawn without replacement with a PCG generator seeded from
// Spec.Seed, so the same Spec and data give the same result.
//
// # Triggers and values
//
// The trigger attacks need image data: a dataset.Set's Shape maps each row to an
// image stored row-major HWC, and its Min and Max give the range of the
// values (0 and 255 for raw 8-bit pixels, 0 and 1 for scaled ones). A
// trigger is drawn in that range: "white" is Max, and Δ is scaled from 255
// to Max-Min. Every stamped value is clipped to [Min, Max].
//
// A trigger's pattern is white, a checkerboard, seeded noise or a PNG file.
// Apply embeds noise and PNG patterns in Result.Spec (Trigger.Image), so
// the attack.json written from it reproduces the trigger without the file.
// A PNG is untrusted input: DecodePNG reads at most 64 MiB and rejects
// images wider or taller than MaxPatternSide.
package attack
