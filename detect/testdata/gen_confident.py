#!/usr/bin/python3
"""Writes confident.json, the reference fixture of confident_test.go.

cleanlab itself cannot be installed here (no access to PyPI), so this script
re-implements, with numpy alone, the parts of cleanlab (HEAD of 2026-01,
cleanlab/count.py, cleanlab/filter.py, cleanlab/internal/util.py and
cleanlab/rank.py) that filter.find_label_issues runs for
filter_by="prune_by_noise_rate", multi_label=False and
num_to_remove_per_class=None, transliterated function by function under
cleanlab's names. Two deliberate differences, neither of which changes a
result on this data:

* every argsort is kind="stable" (cleanlab uses numpy's default quicksort,
  whose order of ties is unspecified; the probabilities here have no ties);
* the probabilities are float32 values held in float64, so thresholds and
  margins are computed in float64, as the Go code computes them.

Run from this folder:  /usr/bin/python3 gen_confident.py
"""

import json

import numpy as np

FLOATING_POINT_COMPARISON = 1e-6
CONFIDENT_THRESHOLDS_LOWER_BOUND = 2 * FLOATING_POINT_COMPARISON
TINY_VALUE = 1e-100


def value_counts_fill_missing_classes(labels, num_classes):
    return np.bincount(labels, minlength=num_classes)


def round_preserving_sum(iterable):
    floats = np.asarray(iterable, dtype=float)
    ints = floats.round()
    orig_sum = np.sum(floats).round()
    int_sum = np.sum(ints).round()
    while abs(int_sum - orig_sum) > FLOATING_POINT_COMPARISON:
        diff = np.round(orig_sum - int_sum)
        increment = -1 if int(diff < 0.0) else 1
        changes = min(int(abs(diff)), len(iterable))
        indices = np.argsort(floats - ints, kind="stable")[::-increment][:changes]
        for i in indices:
            ints[i] = ints[i] + increment
        int_sum = np.sum(ints).round()
    return ints.astype(int)


def round_preserving_row_totals(confident_joint):
    return np.apply_along_axis(func1d=round_preserving_sum, axis=1, arr=confident_joint).astype(int)


def get_confident_thresholds(labels, pred_probs):
    all_classes = range(pred_probs.shape[1])
    unique_classes = set(labels.tolist())
    BIG_VALUE = 2 * pred_probs.max()
    confident_thresholds = [
        np.mean(pred_probs[:, k][labels == k]) if k in unique_classes else BIG_VALUE
        for k in all_classes
    ]
    return np.clip(confident_thresholds, a_min=CONFIDENT_THRESHOLDS_LOWER_BOUND, a_max=None)


def calibrate_confident_joint(confident_joint, labels):
    num_classes = len(confident_joint)
    label_counts = value_counts_fill_missing_classes(labels, num_classes)
    calibrated_cj = (
        confident_joint.T
        / np.clip(confident_joint.sum(axis=1), a_min=TINY_VALUE, a_max=None)
        * label_counts
    ).T
    calibrated_cj = (
        calibrated_cj / np.clip(np.sum(calibrated_cj), a_min=TINY_VALUE, a_max=None) * sum(label_counts)
    )
    return round_preserving_row_totals(calibrated_cj)


def confusion_matrix(y_true, y_pred, K):
    # sklearn.metrics.confusion_matrix(y_true, y_pred, labels=range(K))
    cm = np.zeros((K, K), dtype=int)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


def compute_confident_joint(labels, pred_probs, calibrate=True):
    thresholds = get_confident_thresholds(labels, pred_probs)
    pred_probs_bool = pred_probs >= thresholds - 1e-6
    num_confident_bins = pred_probs_bool.sum(axis=1)
    at_least_one_confident = num_confident_bins > 0
    more_than_one_confident = num_confident_bins > 1
    pred_probs_argmax = pred_probs.argmax(axis=1)
    confident_argmax = pred_probs_bool.argmax(axis=1)
    true_label_guess = np.where(more_than_one_confident, pred_probs_argmax, confident_argmax)
    true_labels_confident = true_label_guess[at_least_one_confident]
    labels_confident = labels[at_least_one_confident]
    confident_joint = confusion_matrix(true_labels_confident, labels_confident, pred_probs.shape[1]).T
    np.fill_diagonal(confident_joint, confident_joint.diagonal().clip(min=1))
    if calibrate:
        confident_joint = calibrate_confident_joint(confident_joint, labels)
    return confident_joint, thresholds


def _reduce_prune_counts(prune_count_matrix, frac_noise=1.0):
    new_mat = prune_count_matrix * frac_noise
    np.fill_diagonal(new_mat, prune_count_matrix.diagonal())
    np.fill_diagonal(
        new_mat,
        prune_count_matrix.diagonal() + np.sum(prune_count_matrix - new_mat, axis=0),
    )
    return new_mat.astype(int)


def _keep_at_least_n_per_class(prune_count_matrix, n, *, frac_noise=1.0):
    prune_count_matrix_diagonal = np.diagonal(prune_count_matrix)
    new_diagonal = np.maximum(prune_count_matrix_diagonal, n)
    diff_per_col = new_diagonal - prune_count_matrix_diagonal
    num_noise_rates_per_col = np.maximum(np.count_nonzero(prune_count_matrix, axis=0) - 1.0, 1.0)
    new_mat = prune_count_matrix - diff_per_col / num_noise_rates_per_col
    new_mat[new_mat < 0] = 0
    np.fill_diagonal(new_mat, new_diagonal)
    new_mat = _reduce_prune_counts(new_mat, frac_noise)
    return round_preserving_row_totals(new_mat).astype(int)


def _prune_by_count(k, pred_probs, prune_count_matrix, min_examples_per_class):
    label_counts = pred_probs.shape[0]
    label_issues_mask = np.zeros(label_counts, dtype=bool)
    if label_counts <= min_examples_per_class:
        return label_issues_mask
    K = pred_probs.shape[1]
    for j in range(K):
        num2prune = prune_count_matrix[j]
        if k != j and num2prune > 0:
            margin = pred_probs[:, j] - pred_probs[:, k]
            order = np.argsort(-margin, kind="stable")
            label_issues_mask[order[:num2prune]] = True
    return label_issues_mask


def _reduce_issues(pred_probs, labels):
    pred_probs_copy = np.copy(pred_probs)
    pred_probs_copy[np.arange(len(labels)), labels] += FLOATING_POINT_COMPARISON
    pred = pred_probs_copy.argmax(axis=1)
    return pred == labels


def find_label_issues(labels, pred_probs, frac_noise=1.0, min_examples_per_class=1):
    """filter.find_label_issues(filter_by="prune_by_noise_rate",
    return_indices_ranked_by="self_confidence")"""
    K = pred_probs.shape[1]
    confident_joint, thresholds = compute_confident_joint(labels, pred_probs)
    prune_count_matrix = _keep_at_least_n_per_class(
        prune_count_matrix=confident_joint.T, n=min_examples_per_class, frac_noise=frac_noise
    )
    label_issues_mask = np.zeros(len(labels), dtype=bool)
    for k in range(K):
        mask = _prune_by_count(k, pred_probs[labels == k], prune_count_matrix[:, k], min_examples_per_class)
        if len(mask) > 1:
            label_issues_mask[labels == k] = mask
    label_issues_mask[_reduce_issues(pred_probs, labels)] = False
    # rank.order_label_issues(rank_by="self_confidence")
    label_issues_idx = np.arange(len(labels))[label_issues_mask]
    self_confidence = pred_probs[np.arange(len(labels)), labels]
    ranked = label_issues_idx[np.argsort(self_confidence[label_issues_mask], kind="stable")]
    return ranked, confident_joint, prune_count_matrix, thresholds


def noisy_problem(rng, n, k, noise, class_weights, sharpness, spread):
    """Rows of k classes; a share `noise` of the labels moved to another
    class; probabilities from a softmax of a sharp true-class logit plus
    Gaussian noise, rounded to float32."""
    true = rng.choice(k, size=n, p=class_weights)
    labels = true.copy()
    flip = rng.choice(n, size=int(round(noise * n)), replace=False)
    present = np.flatnonzero(np.asarray(class_weights) > 0)
    for i in flip:
        others = present[present != true[i]]
        labels[i] = rng.choice(others)
    logits = sharpness * np.eye(k)[true] + rng.normal(0.0, spread, size=(n, k))
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    return labels, p.astype(np.float32), np.sort(flip)


def case(name, labels, p32, flipped, frac_noise, min_examples_per_class):
    probs = p32.astype(np.float64)
    ranked, cj, pcm, thresholds = find_label_issues(labels, probs, frac_noise, min_examples_per_class)
    return {
        "name": name,
        "classes": int(p32.shape[1]),
        "frac_noise": frac_noise,
        "min_examples_per_class": min_examples_per_class,
        "labels": labels.tolist(),
        # Shortest decimals that read back as the same float32.
        "probs": [[float(np.format_float_positional(v, unique=True)) for v in row] for row in p32],
        "flipped": flipped.tolist(),
        "thresholds": thresholds.tolist(),
        "confident_joint": cj.tolist(),
        "prune_counts": pcm.tolist(),
        "issues": ranked.tolist(),
    }


def main():
    rng = np.random.default_rng(20210125)
    cases = []
    labels, p32, flipped = noisy_problem(rng, 500, 4, 0.10, [0.25] * 4, 3.0, 1.2)
    cases.append(case("default", labels, p32, flipped, 1.0, 1))
    # Imbalanced, class 4 never given, class 3 rare; cleanlab's other knobs.
    labels, p32, flipped = noisy_problem(rng, 300, 5, 0.12, [0.45, 0.3, 0.2, 0.05, 0.0], 2.5, 1.2)
    cases.append(case("rare-class", labels, p32, flipped, 0.5, 30))
    with open("confident.json", "w") as f:
        json.dump({"generator": "gen_confident.py", "cases": cases}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
