"""How strongly two categorical variables go together, from their count table: Cramér's V
(plain, and bias-corrected after Bergsma 2013) and normalised mutual information. Used to
tell when a feature stands in for a sensitive attribute (a proxy) or for the label.

The plain V equals ``scipy.stats.contingency.association(table, method="cramer")`` (the
chi-square statistic without continuity correction); the normalised mutual information
equals scikit-learn's ``normalized_mutual_info_score`` of the two columns the table counts
(the arithmetic mean of the two entropies). Rows and columns with no count are left out
first: a level nobody has says nothing about association.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Association", "association"]


@dataclass(frozen=True)
class Association:
    """The association of the two variables of a count table; NaN (with ``reason``) when one
    of them takes a single value."""

    cramers_v: float
    cramers_v_corrected: float
    normalized_mutual_info: float
    n: int
    reason: str | None = None


def _entropy(counts: np.ndarray, n: float) -> float:
    p = counts[counts > 0] / n
    return float(-(p * np.log(p)).sum())


def association(table: np.ndarray | list[list[float]]) -> Association:
    """Cramér's V, its bias-corrected value and the normalised mutual information of a
    two-way count table (rows: one variable's levels, columns: the other's).

    Examples
    --------
    >>> a = association([[30, 0], [0, 20]])  # each level of one goes with one of the other
    >>> round(a.cramers_v, 6), round(a.normalized_mutual_info, 6)
    (1.0, 1.0)
    >>> round(association([[10, 10], [20, 20]]).cramers_v, 6)  # independent
    0.0
    """
    counts = np.asarray(table, dtype=np.float64)
    if counts.ndim != 2 or not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError("association() takes a two-way table of non-negative counts.")
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    n = float(counts.sum())
    r, k = counts.shape if counts.size else (0, 0)
    if r < 2 or k < 2:
        nan = math.nan
        return Association(nan, nan, nan, int(n), "one of the variables takes a single value")
    from scipy.stats import chi2_contingency  # scipy: only when a table is measured

    chi2 = float(chi2_contingency(counts, correction=False)[0])
    phi2 = chi2 / n
    v = math.sqrt(phi2 / (min(r, k) - 1))
    # Bergsma (2013): phi^2, r and k corrected for their bias in samples of n
    corrected = math.nan
    if n > 1:
        phi2c = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
        rc = r - (r - 1) ** 2 / (n - 1)
        kc = k - (k - 1) ** 2 / (n - 1)
        denominator = min(kc - 1, rc - 1)
        corrected = math.sqrt(phi2c / denominator) if denominator > 0 else math.nan
    rows, cols = counts.sum(axis=1), counts.sum(axis=0)
    h_rows, h_cols = _entropy(rows, n), _entropy(cols, n)
    p = counts / n
    outer = np.outer(rows / n, cols / n)
    mask = p > 0
    mi = float((p[mask] * np.log(p[mask] / outer[mask])).sum())
    mean = (h_rows + h_cols) / 2
    nmi = min(1.0, max(0.0, mi / mean)) if mean > 0 else math.nan
    capped = corrected if math.isnan(corrected) else min(1.0, corrected)
    return Association(min(1.0, v), capped, nmi, int(n))
