"""SageMaker Clarify's pre-training label metrics of one facet (a group) against the rest,
from the label counts of each: class imbalance (CI), difference in positive proportions
(DPL), Kullback-Leibler (KL) and Jensen-Shannon (JS) divergence, the L2 norm (LP), total
variation distance (TVD) and the largest difference of the label distributions (KS, as
Clarify defines it: over the label values, not a cumulative distribution).

Notes
-----
With :math:`n_d, n_a` the rows of the facet and of the rest, :math:`P_d, P_a` their label
distributions and :math:`q_d, q_a` their favourable shares:

.. math::

    CI = \\frac{n_a - n_d}{n_a + n_d}, \\quad DPL = q_a - q_d, \\quad
    KL = \\sum_x P_a(x) \\log \\frac{P_a(x)}{P_d(x)}, \\quad
    JS = \\tfrac12 [KL(P_a, M) + KL(P_d, M)],\\ M = \\tfrac12 (P_a + P_d),

    LP = \\lVert P_a - P_d \\rVert_2, \\quad TVD = \\tfrac12 \\lVert P_a - P_d \\rVert_1,
    \\quad KS = \\lVert P_a - P_d \\rVert_\\infty.

Clarify (``smclarify``) keeps only the label values that both sides have, without
renormalising: a value only one side has drops out of every distance, and TVD, LP and KS
come out smaller than the distributions' own. Here every value counts; KL is infinite when
the rest has a value the facet lacks (its ratio has no finite value), and ``one_sided`` says
how many values only one side has, so a reader knows where the two disagree. Where both
sides have every value, the numbers are Clarify's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["ClarifyLabels", "clarify_labels"]


@dataclass(frozen=True)
class ClarifyLabels:
    """Clarify's pre-training label metrics of one facet against the rest."""

    ci: float
    dpl: float
    kl: float
    js: float
    lp: float
    tvd: float
    ks: float
    one_sided: int  # label values only one side has (Clarify leaves them out)
    reason: str | None = None


def clarify_labels(
    facet: npt.ArrayLike, rest: npt.ArrayLike, favorable: npt.ArrayLike
) -> ClarifyLabels:
    """The metrics from the label counts of the facet and of the rest (one count per label
    value, in the same order) and a boolean mask of the favourable values.

    Examples
    --------
    >>> m = clarify_labels([10, 30], [30, 30], [True, False])  # facet 1/4, rest 1/2 favourable
    >>> m.ci, m.dpl, m.tvd
    (0.2, 0.25, 0.25)
    """
    d = np.asarray(facet, dtype=np.float64)
    a = np.asarray(rest, dtype=np.float64)
    fav = np.asarray(favorable, dtype=bool)
    n_d, n_a = float(d.sum()), float(a.sum())
    if n_d <= 0 or n_a <= 0:
        nan = math.nan
        why = "the facet has no row" if n_d <= 0 else "the rest of the data has no row"
        return ClarifyLabels(nan, nan, nan, nan, nan, nan, nan, 0, why)
    p_d, p_a = d / n_d, a / n_a
    ci = (n_a - n_d) / (n_a + n_d)
    dpl = float(p_a[fav].sum() - p_d[fav].sum())
    diff = p_a - p_d
    one_sided = int(((p_a > 0) ^ (p_d > 0)).sum())
    kl = math.inf if ((p_a > 0) & (p_d == 0)).any() else _kl(p_a, p_d)
    mid = (p_a + p_d) / 2
    js = 0.5 * (_kl(p_a, mid) + _kl(p_d, mid))
    return ClarifyLabels(
        float(ci),
        dpl,
        kl,
        float(js),
        float(np.linalg.norm(diff, 2)),
        float(0.5 * np.abs(diff).sum()),
        float(np.abs(diff).max()),
        one_sided,
    )


def _kl(p: npt.NDArray[np.float64], q: npt.NDArray[np.float64]) -> float:
    """KL(p, q) over the values p has (q > 0 there)."""
    mask = p > 0
    return float((p[mask] * np.log(p[mask] / q[mask])).sum())
