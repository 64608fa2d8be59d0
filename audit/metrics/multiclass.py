"""A label with K values, audited as K outcomes: per group and class the rate with its Wilson
interval, its ratio (Katz) and difference (Newcombe) against the reference group; per group
the total variation distance between its label distribution and the reference's, with a
seeded parametric-bootstrap interval; per attribute the chi-square test of homogeneity of
the groups' label distributions. All from the groups x classes count table.

Notes
-----
:math:`TVD_g = \\tfrac12 \\sum_k |p_{gk} - p_{rk}|`. Its interval: ``draws`` pairs of tables
drawn from the multinomials of the two groups' observed distributions and sizes, the
percentiles of their TVDs. The TVD of two samples is biased upwards when groups are small
(two samples of one distribution have a TVD above 0); the interval says how far.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from audit.metrics.inference import Estimate, TestResult, independence_test
from audit.metrics.rates import Proportion, difference, ratio

__all__ = ["ClassRates", "GroupClasses", "class_rates"]


@dataclass(frozen=True)
class GroupClasses:
    """One group's rate of each class and its distance from the reference group."""

    n: int
    rates: tuple[Estimate, ...]  # one per class, Wilson
    ratios: tuple[Estimate, ...]  # against the reference group, Katz
    differences: tuple[Estimate, ...]  # against the reference group, Newcombe
    tvd: Estimate  # total variation distance from the reference's distribution


@dataclass(frozen=True)
class ClassRates:
    """Every group's classes, and the homogeneity test over the groups."""

    groups: tuple[GroupClasses, ...]
    homogeneity: TestResult


def class_rates(
    table: npt.ArrayLike, reference: int, z: float, *, draws: int = 2000, seed: int = 0
) -> ClassRates:
    """Per-class rates of each group (rows of ``table``, classes its columns) against the
    group ``reference``.

    Examples
    --------
    >>> out = class_rates([[10, 30, 60], [20, 30, 50]], 1, 1.96)
    >>> [round(r.value, 2) for r in out.groups[0].rates], round(out.groups[0].tvd.value, 2)
    ([0.1, 0.3, 0.6], 0.1)
    """
    counts = np.asarray(table, dtype=np.float64)
    sizes = counts.sum(axis=1)
    rng = np.random.default_rng(seed)
    ref = counts[reference]
    out = []
    for g, row in enumerate(counts):
        n, size = int(sizes[g]), float(sizes[g])
        props = [Proportion(x, size, size, n) for x in row.tolist()]
        m = float(sizes[reference])
        refs = [Proportion(x, m, m, int(m)) for x in ref.tolist()]
        rates = tuple(p.estimate(z, "the group has no labelled rows") for p in props)
        if g == reference:
            one = tuple(Estimate(1.0, 1.0, 1.0, n) for _ in row)
            zero = tuple(Estimate(0.0, 0.0, 0.0, n) for _ in row)
            out.append(GroupClasses(n, rates, one, zero, Estimate(0.0, 0.0, 0.0, n)))
            continue
        ratios = tuple(ratio(p, q, z) for p, q in zip(props, refs, strict=True))
        diffs = tuple(difference(p, q, z) for p, q in zip(props, refs, strict=True))
        out.append(GroupClasses(n, rates, ratios, diffs, _tvd(row, ref, z, draws, rng)))
    present = counts.sum(axis=0) > 0  # a class nobody has is no outcome of the test
    return ClassRates(tuple(out), independence_test(counts[:, present].tolist()))


def _tvd(row: npt.NDArray[np.float64], ref: npt.NDArray[np.float64], z: float, draws: int,
         rng: np.random.Generator) -> Estimate:  # fmt: skip
    n, m = row.sum(), ref.sum()
    rows = int(n + m)
    if n <= 0 or m <= 0:
        return Estimate.undefined(rows, "a group has no labelled rows")
    p, q = row / n, ref / m
    value = 0.5 * float(np.abs(p - q).sum())
    a = rng.multinomial(int(n), p, size=draws) / n
    b = rng.multinomial(int(m), q, size=draws) / m
    boot = 0.5 * np.abs(a - b).sum(axis=1)
    level = 2 * NormalDist().cdf(z) - 1
    low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return Estimate(value, float(min(low, value)), float(max(high, value)), rows)
