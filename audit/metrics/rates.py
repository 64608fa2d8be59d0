"""Proportions from (weighted) counts, and the disparities between them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from audit.metrics.inference import (
    Estimate,
    katz_ratio_interval,
    newcombe_interval,
    wilson_interval,
)

__all__ = ["Proportion", "difference", "range_summary", "ratio"]


@dataclass(frozen=True)
class Proportion:
    """``favourable / total`` where both are sums of weights (counts when unweighted).

    ``total_sq`` is the sum of squared weights of the denominator, giving the Kish effective
    sample size ``total**2 / total_sq`` (equal to ``rows`` when every weight is 1).
    """

    favorable: float
    total: float
    total_sq: float
    rows: int

    @property
    def value(self) -> float:
        return self.favorable / self.total if self.total > 0 else math.nan

    @property
    def n_effective(self) -> float:
        return self.total * self.total / self.total_sq if self.total_sq > 0 else 0.0

    @property
    def x_effective(self) -> float:
        return self.value * self.n_effective if self.total > 0 else 0.0

    def estimate(self, z: float, empty_reason: str) -> Estimate:
        """The proportion with its Wilson interval (on effective counts)."""
        if self.total <= 0:
            return Estimate.undefined(self.rows, empty_reason)
        lo, hi = wilson_interval(self.x_effective, self.n_effective, z)
        return Estimate(self.value, lo, hi, self.rows)


def difference(a: Proportion, b: Proportion, z: float) -> Estimate:
    """``a - b`` with Newcombe's hybrid score interval.

    Examples
    --------
    >>> d = difference(Proportion(1, 4, 4, 4), Proportion(3, 4, 4, 4), 1.96)
    >>> d.value
    -0.5
    """
    rows = a.rows + b.rows
    if a.total <= 0 or b.total <= 0:
        return Estimate.undefined(rows, "a group has no rows with a label")
    la, ua = wilson_interval(a.x_effective, a.n_effective, z)
    lb, ub = wilson_interval(b.x_effective, b.n_effective, z)
    lo, hi = newcombe_interval(a.value, la, ua, b.value, lb, ub)
    return Estimate(a.value - b.value, lo, hi, rows)


def ratio(a: Proportion, b: Proportion, z: float) -> Estimate:
    """``a / b`` with the Katz log interval.

    Examples
    --------
    >>> r = ratio(Proportion(1, 4, 4, 4), Proportion(3, 4, 4, 4), 1.96)
    >>> round(r.value, 6)
    0.333333
    """
    rows = a.rows + b.rows
    if a.total <= 0 or b.total <= 0:
        return Estimate.undefined(rows, "a group has no rows with a label")
    if b.favorable <= 0:
        return Estimate.undefined(rows, "the denominator group has a rate of 0")
    value = a.value / b.value
    lo, hi, reason = katz_ratio_interval(
        a.x_effective, a.n_effective, b.x_effective, b.n_effective, z
    )
    if reason is not None:
        return Estimate(value, math.nan, math.nan, rows, reason)
    return Estimate(value, lo, hi, rows)


def range_summary(
    props: Sequence[Proportion], eligible: Sequence[bool], z: float
) -> tuple[Estimate, Estimate, tuple[int, int] | None]:
    """Max - min difference and min / max ratio over the eligible groups.

    These are fairlearn's ``between_groups`` aggregations (``demographic_parity_difference``
    and ``_ratio`` when applied to selection rates). The intervals are those of the pair
    (highest, lowest), which does not account for having picked the extreme pair.

    Returns
    -------
    difference, ratio, (index of highest, index of lowest) or None
    """
    idx = [i for i, (p, ok) in enumerate(zip(props, eligible, strict=True)) if ok and p.total > 0]
    rows = sum(props[i].rows for i in idx)
    if len(idx) < 2:
        reason = "fewer than two groups of at least min_group_size with a defined rate"
        return Estimate.undefined(rows, reason), Estimate.undefined(rows, reason), None
    # Ties (equal to 12 decimals) are broken by the smaller effective n (the wider,
    # conservative interval), so the result never depends on the groups' names or order.
    hi_i = max(idx, key=lambda i: (round(props[i].value, 12), -round(props[i].n_effective, 9)))
    lo_i = min(
        (i for i in idx if i != hi_i),
        key=lambda i: (round(props[i].value, 12), round(props[i].n_effective, 9)),
    )
    diff = difference(props[hi_i], props[lo_i], z)
    rat = ratio(props[lo_i], props[hi_i], z)
    diff = Estimate(diff.value, diff.ci_low, diff.ci_high, rows, diff.reason)
    rat = Estimate(rat.value, rat.ci_low, rat.ci_high, rows, rat.reason)
    if props[hi_i].favorable <= 0:
        rat = Estimate.undefined(rows, "every group has a rate of 0")
    return diff, rat, (hi_i, lo_i)
