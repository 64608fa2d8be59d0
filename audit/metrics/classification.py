"""Classification rates per group and the fairlearn-style summaries of a prediction column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audit.metrics.inference import Estimate
from audit.metrics.rates import Proportion, range_summary
from audit.table import Marginal

__all__ = ["ConfusionRates", "PredictionSummary", "confusion_rates", "prediction_summary"]

# Label / prediction indices on the Marginal's confusion axes.
_NEG, _POS, _MISSING = 0, 1, 2


@dataclass(frozen=True)
class ConfusionRates:
    """The proportions behind each classification rate of one group."""

    selection_rate: Proportion
    true_positive_rate: Proportion
    false_positive_rate: Proportion
    false_negative_rate: Proportion
    positive_predictive_value: Proportion


def _prop(
    m: Marginal, g: int, num: list[tuple[int, int]], den: list[tuple[int, int]]
) -> Proportion:
    assert m.confusion_n is not None
    assert m.confusion_w is not None
    assert m.confusion_w2 is not None
    return Proportion(
        float(sum(m.confusion_w[g, a, b] for a, b in num)),
        float(sum(m.confusion_w[g, a, b] for a, b in den)),
        float(sum(m.confusion_w2[g, a, b] for a, b in den)),
        int(sum(m.confusion_n[g, a, b] for a, b in den)),
    )


def confusion_rates(m: Marginal) -> list[ConfusionRates]:
    """Selection rate, TPR, FPR, FNR and PPV per group.

    Notes
    -----
    With TP, FP, TN, FN the (weighted) confusion counts of a group's rows whose label and
    prediction are both present: TPR = TP / (TP + FN), FPR = FP / (FP + TN),
    FNR = FN / (TP + FN), PPV = TP / (TP + FP). The selection rate P(prediction favourable)
    uses every row with a prediction.
    """
    tp, fn = (_POS, _POS), (_POS, _NEG)
    fp, tn = (_NEG, _POS), (_NEG, _NEG)
    selected = [(a, _POS) for a in (_NEG, _POS, _MISSING)]
    predicted = selected + [(a, _NEG) for a in (_NEG, _POS, _MISSING)]
    out = []
    for g in range(len(m.keys)):
        out.append(
            ConfusionRates(
                selection_rate=_prop(m, g, selected, predicted),
                true_positive_rate=_prop(m, g, [tp], [tp, fn]),
                false_positive_rate=_prop(m, g, [fp], [fp, tn]),
                false_negative_rate=_prop(m, g, [fn], [tp, fn]),
                positive_predictive_value=_prop(m, g, [tp], [tp, fp]),
            )
        )
    return out


@dataclass(frozen=True)
class PredictionSummary:
    """fairlearn's between-group summaries of a prediction column (and predictive parity)."""

    demographic_parity_difference: Estimate
    demographic_parity_ratio: Estimate
    equal_opportunity_difference: Estimate
    equal_opportunity_ratio: Estimate
    equalized_odds_difference: Estimate
    equalized_odds_ratio: Estimate
    predictive_parity_difference: Estimate


def _worst(a: Estimate, b: Estimate, *, larger: bool) -> Estimate:
    if not a.defined or not b.defined:
        bad = a if not a.defined else b
        return Estimate.undefined(max(a.n, b.n), bad.reason or "a component is undefined")
    if larger:
        return a if a.value >= b.value else b
    return a if a.value <= b.value else b


def prediction_summary(
    rates: Sequence[ConfusionRates], eligible: Sequence[bool], z: float
) -> PredictionSummary:
    """Max - min differences and min / max ratios of the rates over eligible groups.

    Notes
    -----
    As in fairlearn: equalized odds difference = max(TPR difference, FPR difference),
    equalized odds ratio = min(TPR ratio, FPR ratio); equal opportunity uses TPR alone;
    demographic parity uses the selection rate. Predictive parity difference is the max - min
    PPV. Each interval is that of the extreme pair.
    """
    sel_d, sel_r, _ = range_summary([r.selection_rate for r in rates], eligible, z)
    tpr_d, tpr_r, _ = range_summary([r.true_positive_rate for r in rates], eligible, z)
    fpr_d, fpr_r, _ = range_summary([r.false_positive_rate for r in rates], eligible, z)
    ppv_d, _, _ = range_summary([r.positive_predictive_value for r in rates], eligible, z)
    return PredictionSummary(
        demographic_parity_difference=sel_d,
        demographic_parity_ratio=sel_r,
        equal_opportunity_difference=tpr_d,
        equal_opportunity_ratio=tpr_r,
        equalized_odds_difference=_worst(tpr_d, fpr_d, larger=True),
        equalized_odds_ratio=_worst(tpr_r, fpr_r, larger=False),
        predictive_parity_difference=ppv_d,
    )
