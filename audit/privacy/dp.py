"""Differential privacy for published reports, as an alternative to suppression: every count
the report shows is drawn with noise from OpenDP's discrete Laplace mechanism, and every
rate, ratio and interval is computed from the noisy counts.

The published margins are the total and each dimension's table of groups x outcome
(favourable, unfavourable, label missing). Adding or removing one row changes one cell of
each margin by one, so each margin has L1 sensitivity 1; the budget ``epsilon`` is split
evenly over the ``D + 1`` margins (basic composition), each released with the discrete
Laplace mechanism of scale ``(D + 1) / epsilon``. The groups published are every
combination of the attributes' values, empty or not (the values themselves are taken as
public, as the categories of ``make_count_by_categories`` are), so which combinations occur
is not shown either. Intervals add the noise's variance to the sampling variance (the delta
method); tests and p-values are computed from the noisy counts as if they were exact.

OpenDP is used, not hand-written noise: its samplers are exact (no floating-point
sampling leak) and draw from a cryptographically secure source, so they take no seed.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from audit.exceptions import ConfigError
from audit.metrics.inference import Estimate, holm, z_value
from audit.result import AuditResult, DimensionResult, GroupResult

__all__ = ["Privacy", "discrete_laplace_variance", "privatize", "validate_epsilon"]

_MAX_CELLS = 2_000_000  # combinations x outcomes drawn, at most


@dataclass(frozen=True)
class Privacy:
    """How a differentially private report was drawn."""

    epsilon: float
    margins: int
    scale: float  # of the discrete Laplace noise on each count

    @property
    def variance(self) -> float:
        return discrete_laplace_variance(self.scale)


def validate_epsilon(epsilon: Any) -> float:
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float):
        raise ConfigError(f"epsilon must be a positive number; got {epsilon!r}.")
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise ConfigError(
            f"epsilon must be a positive, finite number; got {epsilon!r}. Hint: 1.0 is a "
            "common choice; smaller is more private and noisier."
        )
    return float(epsilon)


def discrete_laplace_variance(scale: float) -> float:
    """The variance of the discrete Laplace distribution of ``scale`` t:
    ``2 e^(-1/t) / (1 - e^(-1/t))^2`` (close to ``2 t^2`` for large t)."""
    q = math.exp(-1.0 / scale)
    return 2 * q / (1 - q) ** 2


def _mechanism(scale: float) -> Any:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    return dp.m.make_laplace(*space, scale=scale)


def _noisy(mechanism: Any, counts: np.ndarray) -> np.ndarray:
    flat = [int(x) for x in counts.ravel()]
    return np.asarray(mechanism(flat), dtype=np.int64).reshape(counts.shape)


def _levels(result: AuditResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in result.dimensions:
        if len(d.attributes) == 1:
            out[d.attributes[0]] = [g.key[0] for g in d.groups]
    return out


def _table(d: DimensionResult, keys: list[tuple[str, ...]]) -> np.ndarray:
    """The dimension's exact counts, groups x (unfavourable, favourable, missing)."""
    by_key = {g.key: g for g in d.groups}
    out = np.zeros((len(keys), 3), dtype=np.int64)
    for i, key in enumerate(keys):
        g = by_key.get(key)
        if g is None or g.n == 0:
            continue
        rate = g.base_rate.value
        fav = 0 if g.n_labeled == 0 or math.isnan(rate) else round(rate * g.n_labeled)
        out[i] = (g.n_labeled - fav, fav, g.n - g.n_labeled)
    return out


def privatize(result: AuditResult, epsilon: float) -> tuple[AuditResult, Privacy]:
    """``result`` recomputed from counts drawn with ``epsilon``-differential privacy.

    Raises ConfigError for audits whose counts are not row counts (sample weights: a weight
    has no bound, so neither has the sensitivity) or that carry predictions (not covered).
    """
    epsilon = validate_epsilon(epsilon)
    spec = result.spec
    if spec.sample_weight is not None:
        raise ConfigError(
            f"epsilon cannot be used with sample weights ('{spec.sample_weight}'): a weight has "
            "no bound, so no noise scale protects it. Hint: use suppression (the default), "
            "or audit without sample_weight."
        )
    if spec.prediction is not None:
        raise ConfigError(
            "epsilon does not cover prediction metrics yet. Hint: audit without prediction= "
            "for the private report, or use suppression (the default)."
        )
    from audit.assemble import _dimension
    from audit.table import CrossTab

    levels = _levels(result)
    margins = len(result.dimensions) + 1
    privacy = Privacy(epsilon, margins, margins / epsilon)
    mechanism = _mechanism(privacy.scale)
    z = z_value(spec.confidence_level)
    dims = []
    for d in result.dimensions:
        lv = [levels[a] for a in d.attributes]
        if math.prod(len(v) for v in lv) * 3 > _MAX_CELLS:
            raise ConfigError(
                f"'{d.name}' has too many combinations of values to publish privately. Hint: "
                "audit fewer intersections (max_depth) or merge rare values."
            )
        keys = list(itertools.product(*lv))
        counts = np.maximum(_noisy(mechanism, _table(d, keys)), 0)  # post-processing
        codes = np.array(
            [[lv[j].index(k[j]) for j in range(len(k))] for k in keys for _ in range(3)],
            dtype=np.int64,
        ).reshape(len(keys) * 3, len(d.attributes))
        ct = CrossTab(
            attributes=d.attributes,
            levels=tuple(tuple(v) for v in lv),
            level_values=tuple(tuple(v) for v in lv),
            codes=codes,
            label=np.tile(np.array([0, 1, -1], dtype=np.int8), len(keys)),
            prediction=None,
            n=counts.ravel(),
            w=counts.ravel().astype(np.float64),
            w2=counts.ravel().astype(np.float64),
            weighted=False,
            n_rows=int(counts.sum()),
            n_dropped=0,
            missing_counts=tuple(0 for _ in d.attributes),
            label_values=result.label_values,
            favorable_values=result.favorable_values,
            favorable_raw=tuple(spec.favorable or ()),
            prediction_values=None,
        )
        noisy, _ = _dimension(ct, tuple(range(len(d.attributes))), spec, z)
        dims.append(_widen(noisy, privacy.variance, z))
    p_holm = holm([d.independence.p_value for d in dims])
    dims = [
        replace(d, independence=d.independence.with_holm(p))
        for d, p in zip(dims, p_holm, strict=True)
    ]
    total = np.array(
        [
            result.n_rows_audited - result.n_label_missing,
            result.n_label_missing,
            result.n_dropped_missing,
        ],
        dtype=np.int64,
    )
    labelled, missing, dropped = (int(x) for x in np.maximum(_noisy(mechanism, total), 0))
    audited = labelled + missing
    noisy_result = replace(
        result,
        n_rows=audited + dropped,
        n_rows_audited=audited,
        n_dropped_missing=dropped,
        missing_by_attribute={},
        n_label_missing=missing,
        total_weight=float(audited),
        n_effective=float(audited),
        dimensions=tuple(dims),
        worst_off=None,
        warnings=(),
        notes=(
            f"Counts drawn with epsilon = {epsilon:g} differential privacy (discrete Laplace, "
            f"scale {privacy.scale:.3g} on each count).",
        ),
    )
    return noisy_result, privacy


def _widen(d: DimensionResult, variance: float, z: float) -> DimensionResult:
    """Intervals with the noise's variance added to the sampling variance (delta method)."""

    def rate_var(g: GroupResult) -> float:
        n = g.n_labeled
        if n <= 0 or math.isnan(g.base_rate.value):
            return math.nan
        fav = g.base_rate.value * n
        return variance * (fav**2 + (n - fav) ** 2) / n**4

    total = sum(g.n for g in d.groups)
    ref = next((g for g in d.groups if g.is_reference), None)
    ref_var = rate_var(ref) if ref is not None else math.nan
    groups = []
    for g in d.groups:
        v = rate_var(g)
        share_var = 3 * variance / total**2 if total > 0 else math.nan
        out = replace(
            g,
            base_rate=_add(g.base_rate, v, z, 0.0, 1.0),
            share=_add(g.share, share_var, z, 0.0, 1.0),
        )
        if ref is not None and not g.is_reference:
            p, r = g.base_rate.value, ref.base_rate.value
            log_var = v / p**2 + ref_var / r**2 if p > 0 and r > 0 else math.nan
            out = replace(
                out,
                disparate_impact_ratio=_add_log(g.disparate_impact_ratio, log_var, z),
                statistical_parity_difference=_add(
                    g.statistical_parity_difference, v + ref_var, z, -1.0, 1.0
                ),
            )
        groups.append(out)
    by_name = {g.name: g for g in d.groups}
    hi, lo = by_name.get(d.highest_group or ""), by_name.get(d.lowest_group or "")
    if hi is not None and lo is not None:
        vh, vl = rate_var(hi), rate_var(lo)
        ph, pl = hi.base_rate.value, lo.base_rate.value
        log_var = vh / ph**2 + vl / pl**2 if ph > 0 and pl > 0 else math.nan
        d = replace(
            d,
            demographic_parity_difference=_add(d.demographic_parity_difference, vh + vl, z, 0, 1),
            demographic_parity_ratio=_add_log(d.demographic_parity_ratio, log_var, z),
        )
    return replace(d, groups=tuple(groups))


def _add(e: Estimate, var: float, z: float, lowest: float, highest: float) -> Estimate:
    if not e.defined or math.isnan(e.ci_low) or math.isnan(e.ci_high) or math.isnan(var):
        return e
    extra = (z * math.sqrt(var)) ** 2
    low = e.value - math.sqrt((e.value - e.ci_low) ** 2 + extra)
    high = e.value + math.sqrt((e.ci_high - e.value) ** 2 + extra)
    return replace(e, ci_low=max(lowest, low), ci_high=min(highest, high))


def _add_log(e: Estimate, log_var: float, z: float) -> Estimate:
    if not e.defined or e.value <= 0 or math.isnan(log_var) or not e.ci_low > 0:
        return e
    extra = (z * math.sqrt(log_var)) ** 2
    v = math.log(e.value)
    low = v - math.sqrt((v - math.log(e.ci_low)) ** 2 + extra)
    high = (
        math.inf if math.isinf(e.ci_high) else v + math.sqrt((math.log(e.ci_high) - v) ** 2 + extra)
    )
    return replace(e, ci_low=math.exp(low), ci_high=math.exp(high) if math.isfinite(high) else high)
