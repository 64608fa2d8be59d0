"""Cramér's V and normalised mutual information from a count table, against scipy and
scikit-learn computed on the same data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats.contingency import association as scipy_association
from sklearn.metrics import normalized_mutual_info_score

from audit.metrics.association import association


def codes_of(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two columns of rows a count table counts."""
    rows, cols = np.nonzero(table)
    counts = table[rows, cols].astype(int)
    return np.repeat(rows, counts), np.repeat(cols, counts)


@pytest.mark.parametrize("seed", range(12))
def test_plain_v_and_mutual_information_match_scipy_and_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    r, k = rng.integers(2, 7, 2)
    table = rng.integers(0, 40, (r, k)) + rng.integers(0, 2) * np.eye(r, k, dtype=int) * 60
    table[:, 0] += 1  # no empty row
    table[0] += 1  # no empty column
    a = association(table)
    assert a.cramers_v == pytest.approx(
        scipy_association(table, method="cramer", correction=False), rel=1e-12
    )
    x, y = codes_of(table)
    assert a.normalized_mutual_info == pytest.approx(normalized_mutual_info_score(x, y), abs=1e-12)
    assert a.n == table.sum()


def test_empty_levels_are_left_out_and_a_single_level_has_no_association():
    table = np.array([[10, 0, 5], [0, 0, 0], [3, 0, 12]])
    full = association(table)
    assert full.cramers_v == pytest.approx(
        scipy_association(table[[0, 2]][:, [0, 2]], method="cramer", correction=False)
    )
    one = association([[5, 7, 9]])
    assert math.isnan(one.cramers_v)
    assert math.isnan(one.normalized_mutual_info)
    assert one.reason == "one of the variables takes a single value"
    with pytest.raises(ValueError, match="non-negative"):
        association([[1, -1], [2, 3]])


def test_bias_corrected_v_removes_the_upward_bias_under_independence():
    # Independent variables: the plain V of small samples is biased upward (its expectation
    # is about sqrt((k - 1) / n) for r = k); Bergsma's correction brings it close to 0.
    rng = np.random.default_rng(0)
    plain, corrected = [], []
    for _ in range(300):
        x, y = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
        table = np.zeros((5, 5))
        np.add.at(table, (x, y), 1)
        a = association(table)
        plain.append(a.cramers_v)
        corrected.append(a.cramers_v_corrected)
    assert np.mean(plain) > 0.12  # sqrt(4 / 200) = 0.14
    assert np.mean(corrected) < 0.05
    # and it agrees with the plain value when the association is strong and n large
    strong = association(np.array([[900, 100], [100, 900]]))
    assert strong.cramers_v_corrected == pytest.approx(strong.cramers_v, rel=1e-3)
