"""Clarify's pre-training label metrics against smclarify (SageMaker Clarify's own code) on
the same rows, and where Clarify drops a label value only one side has."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from smclarify.bias.metrics import pretraining

from audit.metrics.labels import clarify_labels


def rows(facet_counts, rest_counts, values):
    label = []
    facet = []
    for side, counts in ((True, facet_counts), (False, rest_counts)):
        for value, count in zip(values, counts, strict=True):
            label += [value] * count
            facet += [side] * count
    return pd.Series(label), pd.Series(facet)


@pytest.mark.parametrize(
    ("facet", "rest"),
    [([10, 30], [30, 30]), ([5, 17, 40], [60, 22, 9]), ([100, 1, 7, 3], [80, 30, 2, 40])],
)
def test_equal_to_clarify_when_both_sides_have_every_label(facet, rest):
    values = [f"class{i}" for i in range(len(facet))]
    label, facet_index = rows(facet, rest, values)
    ours = clarify_labels(facet, rest, [v == "class0" for v in values])
    positive = label == "class0"
    assert ours.ci == pytest.approx(pretraining.CI(label, facet_index), rel=1e-12)
    assert ours.dpl == pytest.approx(pretraining.DPL(label, facet_index, positive), rel=1e-12)
    for name in ("KL", "JS", "LP", "TVD", "KS"):
        theirs = float(getattr(pretraining, name)(label, facet_index))
        assert getattr(ours, name.lower()) == pytest.approx(theirs, rel=1e-12, abs=1e-15), name
    assert ours.one_sided == 0


def test_a_label_value_only_the_rest_has_counts_here_and_is_dropped_by_clarify():
    facet, rest = [50, 50, 0], [20, 20, 60]  # 'c' is in the rest only
    label, facet_index = rows(facet, rest, ["a", "b", "c"])
    ours = clarify_labels(facet, rest, [True, False, False])
    # by hand: P_d = (1/2, 1/2, 0), P_a = (0.2, 0.2, 0.6): TVD = (0.3 + 0.3 + 0.6) / 2
    assert ours.tvd == pytest.approx(0.6, rel=1e-12)
    assert ours.ks == pytest.approx(0.6, rel=1e-12)
    assert ours.lp == pytest.approx(math.sqrt(0.09 + 0.09 + 0.36), rel=1e-12)
    assert ours.kl == math.inf  # the rest has 'c', the facet never
    assert ours.one_sided == 1
    clarify_tvd = float(pretraining.TVD(label, facet_index))
    assert clarify_tvd == pytest.approx(0.3, rel=1e-12)  # 'c' left out: (0.3 + 0.3) / 2
    assert ours.tvd > clarify_tvd


def test_an_empty_side_is_nan_with_a_reason():
    out = clarify_labels([0, 0], [3, 4], [True, False])
    assert math.isnan(out.tvd)
    assert out.reason == "the facet has no row"
    assert np.isnan(clarify_labels([1, 2], [0, 0], [True, False]).ci)
