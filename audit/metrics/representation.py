"""Representation: how many rows (and how much weight) each group holds, against expectations."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from audit.metrics.distributions import chi2_sf
from audit.metrics.inference import Estimate, TestResult
from audit.metrics.rates import Proportion
from audit.table import Marginal

__all__ = ["goodness_of_fit", "group_shares", "representation_ratio"]


def group_shares(m: Marginal) -> list[Proportion]:
    """Each group's share of all rows (weighted share when the data has weights).

    Notes
    -----
    :math:`\\text{share}_g = \\sum_{i \\in g} w_i / \\sum_i w_i`. Its interval is Wilson's on
    the whole dataset's Kish effective sample size :math:`(\\sum w)^2 / \\sum w^2`.

    Examples
    --------
    A share is a :class:`Proportion` of the total: 3 of 4 rows give 0.75.

    >>> Proportion(3, 4, 4, 3).value
    0.75
    """
    w_group = m.w.sum(axis=1)
    total = float(w_group.sum())
    total_sq = float(m.w2.sum())
    rows = m.n.sum(axis=1)
    return [Proportion(float(w_group[g]), total, total_sq, int(rows[g])) for g in range(len(rows))]


def representation_ratio(share: Proportion, expected: float, z: float) -> Estimate:
    """``share / expected`` with the share's Wilson interval divided by ``expected``.

    An ideal of 1.0 means the group is present as often as in the reference population.
    """
    estimate = share.estimate(z, "the dataset is empty")
    if expected <= 0:
        return Estimate.undefined(share.rows, "the reference population gives this group 0")
    return Estimate(
        estimate.value / expected,
        estimate.ci_low / expected,
        estimate.ci_high / expected,
        share.rows,
        estimate.reason,
    )


def goodness_of_fit(
    names: Sequence[str], shares: Sequence[Proportion], expected: Mapping[str, float]
) -> TestResult:
    """Pearson chi-square goodness of fit of the groups' counts to the expected shares.

    Groups absent from the reference population are left out; groups of the reference that
    do not occur in the data count as observed 0. Counts are Kish effective counts.
    """
    observed: dict[str, float] = {}
    for name, share in zip(names, shares, strict=True):
        if name in expected:
            observed[name] = share.value * share.n_effective if share.total > 0 else 0.0
    for name in expected:
        observed.setdefault(name, 0.0)
    keys = sorted(observed)
    f_obs = np.array([observed[k] for k in keys])
    probs = np.array([expected[k] for k in keys])
    total = float(f_obs.sum())
    rows = round(total)
    if len(keys) < 2 or total <= 0 or probs.sum() <= 0:
        return TestResult.undefined(rows, "fewer than two groups in the reference population")
    f_exp = probs / probs.sum() * total
    if np.any(f_exp <= 0):
        return TestResult.undefined(rows, "the reference population gives a group 0")
    statistic = float(((f_obs - f_exp) ** 2 / f_exp).sum())
    method = "chi_square_goodness_of_fit"
    if f_exp.min() < 5:
        method += " (expected counts < 5)"
    p_value = chi2_sf(statistic, len(keys) - 1)
    return TestResult(
        method,
        statistic,
        len(keys) - 1,
        p_value,
        p_value,
        rows,
        None if math.isfinite(p_value) else "test undefined",
    )
