"""Outcomes: base rate per group and disparities against a reference group."""

from __future__ import annotations

from audit.metrics.inference import Estimate, TestResult, independence_test
from audit.metrics.rates import Proportion, difference, ratio
from audit.table import Marginal

__all__ = ["base_rates", "disparities_vs_reference", "pair_test"]


def base_rates(m: Marginal) -> list[Proportion]:
    """P(favourable label | group) for each group, over rows whose label is present.

    Notes
    -----
    :math:`\\text{base rate}_g = \\sum_{i \\in g, y_i = 1} w_i / \\sum_{i \\in g} w_i`
    (AIF360's ``base_rate``; fairlearn's ``selection_rate`` of the label).

    Examples
    --------
    >>> import numpy as np
    >>> from audit.table import Marginal
    >>> z = np.zeros((1, 3))
    >>> m = Marginal(("sex",), (("F",),), np.array([[3, 1, 0]]), np.array([[3., 1., 0.]]),
    ...              np.array([[3., 1., 0.]]))
    >>> base_rates(m)[0].value
    0.25
    """
    out = []
    for g in range(len(m.keys)):
        total = float(m.w[g, 0] + m.w[g, 1])
        out.append(
            Proportion(
                float(m.w[g, 1]), total, float(m.w2[g, 0] + m.w2[g, 1]), int(m.n[g, 0] + m.n[g, 1])
            )
        )
    return out


def disparities_vs_reference(
    rate: Proportion, reference: Proportion, z: float
) -> tuple[Estimate, Estimate]:
    """Disparate impact ratio and statistical parity difference of a group vs the reference.

    Notes
    -----
    :math:`DI = p_g / p_{ref}` (Katz log interval) and :math:`SPD = p_g - p_{ref}` (Newcombe
    interval): AIF360's ``disparate_impact`` and ``statistical_parity_difference`` with the
    group as unprivileged and the reference as privileged.
    """
    return ratio(rate, reference, z), difference(rate, reference, z)


def pair_test(rate: Proportion, reference: Proportion) -> TestResult:
    """Independence test of the 2x2 table (group, reference) x (unfavourable, favourable)."""
    table = [
        [rate.n_effective - rate.x_effective, rate.x_effective],
        [reference.n_effective - reference.x_effective, reference.x_effective],
    ]
    return independence_test(table)
