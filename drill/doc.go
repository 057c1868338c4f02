// Package drill runs poisoning drills: it poisons a copy of a training
// set with a known attack, trains a clean and a poisoned reference model
// on the same split with the same seed, and reports clean accuracy (CA),
// attack success rate (ASR) and per-class accuracy, so that a security
// team can see what an attack does to a model before it happens for real.
//
// ASR is measured the way the literature's pitfalls demand: only on test
// rows that are not already of the target class, always next to CA, and
// next to the clean model's rate on the same triggered rows (how often
// the trigger alone sways a model that never saw it).
package drill
