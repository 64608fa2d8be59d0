"""metrics.classification: confusion rates per group and the fairlearn-style summaries."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from audit.metrics.classification import confusion_rates, prediction_summary
from audit.metrics.inference import z_value
from tests.metrics.tables import marginal

Z = z_value(0.95)

# label (rows: unfavourable, favourable, missing) x prediction (cols: same order)
CONFUSION = {
    "F": [[20, 20, 0], [5, 5, 0], [0, 0, 0]],  # TN 20, FP 20, FN 5, TP 5
    "M": [[30, 10, 0], [2, 8, 0], [0, 0, 0]],  # TN 30, FP 10, FN 2, TP 8
}


def test_rates_by_hand():
    m = marginal({"F": (40, 10), "M": (40, 10)}, confusion=CONFUSION)
    female, male = confusion_rates(m)
    assert female.true_positive_rate.value == pytest.approx(F(5, 10))
    assert female.false_positive_rate.value == pytest.approx(F(20, 40))
    assert female.false_negative_rate.value == pytest.approx(F(5, 10))
    assert female.positive_predictive_value.value == pytest.approx(F(5, 25))
    assert female.selection_rate.value == pytest.approx(F(25, 50))
    assert male.true_positive_rate.value == pytest.approx(F(8, 10))
    assert male.false_positive_rate.value == pytest.approx(F(10, 40))


def test_equalized_odds_is_the_larger_gap():
    m = marginal({"F": (40, 10), "M": (40, 10)}, confusion=CONFUSION)
    summary = prediction_summary(confusion_rates(m), [True, True], Z)
    tpr_gap, fpr_gap = F(8, 10) - F(5, 10), F(20, 40) - F(10, 40)
    assert summary.equal_opportunity_difference.value == pytest.approx(tpr_gap)
    assert summary.equalized_odds_difference.value == pytest.approx(max(tpr_gap, fpr_gap))
