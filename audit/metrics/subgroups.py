"""The worst-off subgroups: every intersection up to a depth tested against the rest of the
data from the one count table, with Holm's correction over every group tested.

For each combination of at most ``depth`` sensitive attributes and each group of it with at
least ``min_group_size`` labelled rows (groups containing a ``(missing)`` level are left
out, as in the audit's summaries), the group's favourable rate is compared with the rate of
everyone else: Pearson's chi-square of the 2x2 table group / rest x favourable / not (the
pooled two-proportion z-test; on Kish effective counts when there are sample weights).
Holm's step-down procedure runs over all ``m`` groups tested, at every depth. A group is
listed when its rate is below the rest's, its Holm-adjusted p-value is below
``1 - confidence_level``, and the Newcombe interval of its difference from the rest, at the
level Holm used for it (``1 - alpha / (m - j + 1)`` for the j-th smallest p-value), excludes
0. Listed groups are ranked by the upper end of that interval, most negative first: the
largest shortfall the data establish (a group of 40 rows with no favourable outcome ranks
below a group of 4,000 whose rate is nearly as low), then by the ratio to the rest.

This is a scan over groups, not AIF360's MDSS subset scan (which also merges values of an
attribute into one subset and scores observed against expected outcomes); README compares
the two on Adult.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from audit.metrics.inference import Estimate, katz_ratio_interval, wilson_interval
from audit.metrics.rates import Proportion, difference
from audit.table import CrossTab

__all__ = ["Subgroup", "SubgroupScan", "scan_subgroups"]

TOP_K = 10
"""How many worst-off groups a result keeps."""


@dataclass(frozen=True)
class Subgroup:
    """One group found by the scan, against everyone else."""

    attributes: tuple[str, ...]
    key: tuple[str, ...]
    name: str
    n_labeled: int
    rate: Estimate
    rest_rate: float
    ratio_to_rest: Estimate
    difference_to_rest: Estimate
    p_value: float
    p_adjusted: float
    level: float  # the confidence level of the two intervals: Holm's level for this group


@dataclass(frozen=True)
class SubgroupScan:
    """The worst-off subgroups and how they were searched."""

    _serde_columns: ClassVar[tuple[str, ...]] = ("top",)  # JSON: one array per field

    depth: int
    combinations: int
    tested: int
    too_small: int
    significant: int
    correction: str
    alpha: float
    top: tuple[Subgroup, ...]


def _holm(p: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Holm-adjusted p-values and each p-value's rank (0 for the smallest)."""
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = (m - np.arange(m)) * p[order]
    adjusted_sorted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m)
    return adjusted, rank


def _normal_sf2(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Two-sided normal tail probability P(|Z| >= z)."""
    erfc = np.frompyfunc(math.erfc, 1, 1)
    return np.asarray(erfc(np.abs(z) / math.sqrt(2.0)), dtype=np.float64)


def scan_subgroups(
    ct: CrossTab,
    *,
    depth: int,
    min_group_size: int,
    confidence_level: float,
    k: int = TOP_K,
) -> SubgroupScan:
    """Test every group of every combination of at most ``depth`` attributes against the
    rest (see the module docstring); keep the ``k`` worst-off significant ones."""
    alpha = 1.0 - confidence_level
    labelled = ct.label >= 0
    codes = ct.codes[labelled]
    fav = ct.label[labelled] == 1
    rows, w, w2 = ct.n[labelled], ct.w[labelled], ct.w2[labelled]
    total_w, total_f, total_w2 = float(w.sum()), float(w[fav].sum()), float(w2.sum())
    sizes = [len(levels) for levels in ct.levels]
    has_missing = [len(ct.levels[d]) > len(ct.level_values[d]) for d in range(len(sizes))]
    found: list[tuple[tuple[int, ...], npt.NDArray[np.intp], npt.NDArray[np.float64]]] = []
    parts: list[npt.NDArray[np.float64]] = []
    combos = too_small = 0
    for size in range(1, min(depth, len(sizes)) + 1):
        for dims in itertools.combinations(range(len(sizes)), size):
            combos += 1
            shape = [sizes[d] for d in dims]
            flat = np.ravel_multi_index(tuple(codes[:, d] for d in dims), shape)
            if math.prod(shape) <= 4 * len(flat):  # dense: every combination is an id
                ids, inverse = np.arange(math.prod(shape)), flat
            else:
                ids, inverse = np.unique(flat, return_inverse=True)
            g_rows = np.bincount(inverse, weights=rows, minlength=len(ids))
            g_w = np.bincount(inverse, weights=w, minlength=len(ids))
            g_w2 = np.bincount(inverse, weights=w2, minlength=len(ids))
            g_f = np.bincount(inverse, weights=np.where(fav, w, 0.0), minlength=len(ids))
            keys = np.unravel_index(ids, shape)
            missing = np.zeros(len(ids), dtype=bool)
            for j, d in enumerate(dims):
                if has_missing[d]:
                    missing |= keys[j] == sizes[d] - 1
            keep = (g_rows >= min_group_size) & ~missing & (total_w - g_w > 0) & (g_w > 0)
            too_small += int(np.sum((g_rows < min_group_size) & ~missing & (g_rows > 0)))
            if not keep.any():
                continue
            stats = np.stack([g_rows, g_w, g_w2, g_f]).astype(np.float64)[:, keep]
            found.append((dims, ids[keep], stats))
            parts.append(stats)
    if not parts:
        return SubgroupScan(depth, combos, 0, too_small, 0, "holm", alpha, ())
    stats = np.concatenate(parts, axis=1)
    g_rows, g_w, g_w2, g_f = stats
    r_w, r_w2, r_f = total_w - g_w, total_w2 - g_w2, total_f - g_f
    n1, n2 = g_w * g_w / g_w2, r_w * r_w / np.where(r_w2 > 0, r_w2, np.inf)
    p1, p2 = g_f / g_w, r_f / r_w
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / np.where(n2 > 0, n2, np.nan)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (p1 - p2) / se, 0.0)
    p_values = np.where(np.isfinite(z), _normal_sf2(np.nan_to_num(z)), 1.0)
    adjusted, rank = _holm(p_values)
    m = len(p_values)
    candidates = np.flatnonzero((p1 < p2) & (adjusted < alpha))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = p1 / p2
    offsets = np.cumsum([0] + [len(ids) for _, ids, _ in found])
    listed: list[tuple[float, float, int, float, float, Estimate]] = []
    for candidate in candidates.tolist():
        index = int(candidate)
        level = 1.0 - alpha / (m - int(rank[index]))
        zq = NormalDist().inv_cdf(0.5 + level / 2.0)
        group = Proportion(float(g_f[index]), float(g_w[index]), float(g_w2[index]), 0)
        rest = Proportion(float(r_f[index]), float(r_w[index]), float(r_w2[index]), 0)
        diff = difference(group, rest, zq)
        if diff.ci_high < 0:  # else Holm and the interval disagree at the boundary: not listed
            listed.append((diff.ci_high, float(ratio[index]), index, level, zq, diff))
    listed.sort(key=lambda item: (item[0], item[1], -g_rows[item[2]]))
    top: list[Subgroup] = []
    for _, value, row, level, zq, diff in listed[:k]:
        index = row
        part = int(np.searchsorted(offsets, index, side="right") - 1)
        dims, ids, _ = found[part]
        key_codes = np.unravel_index(int(ids[index - offsets[part]]), [sizes[d] for d in dims])
        key = tuple(ct.levels[d][int(c)] for d, c in zip(dims, key_codes, strict=True))
        attributes = tuple(ct.attributes[d] for d in dims)
        labelled_rows = int(g_rows[index])
        group = Proportion(float(g_f[index]), float(g_w[index]), float(g_w2[index]), 0)
        rest = Proportion(float(r_f[index]), float(r_w[index]), float(r_w2[index]), 0)
        lo, hi = wilson_interval(group.x_effective, group.n_effective, zq)
        rlo, rhi, reason = katz_ratio_interval(
            group.x_effective, group.n_effective, rest.x_effective, rest.n_effective, zq
        )
        if reason is not None:  # math.nan (not a new NaN), so that results compare equal
            rlo = rhi = math.nan
        top.append(
            Subgroup(
                attributes=attributes,
                key=key,
                name=", ".join(f"{a} = {v}" for a, v in zip(attributes, key, strict=True)),
                n_labeled=labelled_rows,
                rate=Estimate(group.value, lo, hi, labelled_rows),
                rest_rate=rest.value,
                ratio_to_rest=Estimate(value, rlo, rhi, labelled_rows, reason),
                difference_to_rest=Estimate(diff.value, diff.ci_low, diff.ci_high, labelled_rows),
                p_value=float(p_values[index]),
                p_adjusted=float(adjusted[index]),
                level=level,
            )
        )
    significant = len(listed)
    return SubgroupScan(depth, combos, m, too_small, significant, "holm", alpha, tuple(top))
