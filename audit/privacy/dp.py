"""Differential privacy for published reports, as an alternative to suppression: every count
the report shows is drawn with noise from OpenDP's discrete Laplace mechanism, and every
rate, ratio and interval is computed from the noisy counts.

The published margins are the total (labelled rows, rows without a label, rows dropped for
a missing value) and each dimension's table of groups x outcome (unfavourable,
favourable; rows without a label are in the total only). Adding or removing one row
changes one cell of each margin by one, so each margin has L1 sensitivity 1.

Which groups exist must not depend on one row either. The bins of a binned attribute are
public (its edges are the spec's), so every bin is published, empty or not, with the
``(missing)`` group under ``missing="group"``. The values of any other attribute come from
the data: they are chosen with OpenDP's thresholded Laplace mechanism (a value is
published when its noisy row count reaches the threshold whose delta is at most DELTA;
Rogers 2023), values the audit names (a given reference group, a reference population's
groups) always, and the rows of every other value form the group OTHER_LABEL, always
published. Every combination of the published values is published, empty or not.

The budget ``epsilon`` is split evenly (basic composition) over the ``D + 1`` margins and
the value releases of the ``U`` attributes that need one, each drawn with scale
``(D + 1 + U) / epsilon``; the guarantee is (epsilon, U * delta). Negative draws are shown
as 0 (post-processing), which adds about half the scale to an empty cell's expected count.
Intervals add the noise's variance to the sampling variance (the delta method); tests and
p-values are computed from the noisy counts as if they were exact.

OpenDP is used, not hand-written noise: its samplers are exact (no floating-point
sampling leak) and draw from a cryptographically secure source, so they take no seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from audit.coding import bin_labels
from audit.exceptions import ConfigError
from audit.metrics.inference import holm, z_value
from audit.privacy.dp_intervals import widen
from audit.result import AuditResult, DimensionResult
from audit.spec import MISSING_LABEL, OTHER_LABEL

__all__ = [
    "Privacy",
    "discrete_laplace_variance",
    "privacy_note",
    "privatize",
    "threshold_delta",
    "validate_epsilon",
]


_MAX_CELLS = 200_000  # combinations x outcomes drawn per dimension, at most
DELTA = 1e-9  # the largest delta allowed to each release of an attribute's values
_EPSILON_RANGE = (1e-6, 1e3)


@dataclass(frozen=True)
class Privacy:
    """How a differentially private report was drawn: ``releases`` counts the margins and
    the releases of attributes' values, each drawn with noise of ``scale``; ``delta`` is 0
    when every attribute's values were public (bins), else the sum of the value releases'."""

    epsilon: float
    releases: int
    scale: float
    delta: float = 0.0
    threshold: int | None = None  # the noisy count a value needs to be published
    chosen: tuple[str, ...] = ()  # attributes whose values were chosen privately

    @property
    def variance(self) -> float:
        return discrete_laplace_variance(self.scale)


def validate_epsilon(epsilon: Any) -> float:
    low, high = _EPSILON_RANGE
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float):
        raise ConfigError(f"epsilon must be a positive number; got {epsilon!r}.")
    try:
        value = float(epsilon)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(
            f"epsilon must be a number from {low:g} to {high:g}; got {epsilon!r:.40}. Hint: "
            "1.0 is a common choice; smaller is more private and noisier (below 0.01 the "
            "counts are mostly noise, above 10 the noise protects little)."
        )
    return value


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


def threshold_delta(scale: float, threshold: int) -> float:
    """The delta of publishing a value when its count plus discrete Laplace noise of
    ``scale`` reaches ``threshold``: the probability that a value held by one row is
    published, P(1 + X >= threshold) = q^(threshold - 1) / (1 + q), q = e^(-1/scale).

    Computed here rather than taken from OpenDP's privacy map, which leaves out the mass at
    the threshold itself although values at it are published (opendp/opendp#2922)."""
    q = math.exp(-1.0 / scale)
    return q ** (threshold - 1) / (1 + q)


def _threshold(scale: float) -> tuple[Any, int, float]:
    """OpenDP's thresholded Laplace mechanism over a map of value counts (a row adds one to
    one value's count, or makes a new value appear), with the smallest threshold whose
    delta is at most DELTA: the mechanism, the threshold and its delta."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = (
        dp.map_domain(dp.atom_domain(T=str), dp.atom_domain(T=int)),
        dp.l01inf_distance(dp.absolute_distance(T=int)),
    )
    q = math.exp(-1.0 / scale)
    threshold = max(2, 1 + math.ceil(math.log(DELTA * (1 + q)) / math.log(q)))
    while threshold_delta(scale, threshold) > DELTA:  # rounding at the edge
        threshold += 1
    if threshold > 2**31 - 1:
        raise ConfigError(
            "epsilon is too small for the values of the attributes to be published privately "
            f"(a value would need {threshold:,} rows). Hint: a larger epsilon, fewer "
            "intersections (max_depth), or bins for numeric attributes."
        )
    m = dp.m.make_laplace_threshold(*space, scale=scale, threshold=threshold)
    reported = float(m.map((1, 1, 1))[1])  # type: ignore[no-untyped-call]
    return m, threshold, max(reported, threshold_delta(scale, threshold))


def _public_values(result: AuditResult, attribute: str) -> list[str] | None:
    """The values of ``attribute`` known without the data: every bin of its edges (and the
    missing group under missing='group'), or None when its values come from the data."""
    spec = result.spec
    if attribute not in spec.bins:
        return None
    values = list(bin_labels(spec.bins[attribute]))
    return [*values, MISSING_LABEL] if spec.missing == "group" else values


def _declared(result: AuditResult, attribute: str) -> set[str]:
    """Values the user named (the reference group, the reference population's groups)."""
    spec = result.spec
    out = set(spec.reference_population.get(attribute, {}))
    if attribute in spec.reference:
        out.add(str(spec.reference[attribute]))
    return out


def _favourable(spec: Any) -> tuple[Any, ...] | None:
    """The favourable label values as the spec names them, not as the data spells them (a
    value given but absent, 1 against 1.0, True against true would tell one row apart); an
    inferred True in any spelling is True."""
    if not spec.favorable:
        return None
    out: dict[Any, None] = {}
    for given in spec.favorable:
        v = given
        if isinstance(given, str) and given.lower() == "true":
            v = True
        elif isinstance(given, float) and given.is_integer():
            v = int(given)
        out[v] = None
    return tuple(out)


def _natural(value: str) -> tuple[int, float, str]:
    """Numbers first, by value, then text; the missing group last."""
    if value == MISSING_LABEL:
        return (2, 0.0, value)
    try:
        number = float(value)
    except ValueError:
        return (1, 0.0, value)
    return (0, number, value) if math.isfinite(number) else (1, 0.0, value)


def _levels(result: AuditResult, mechanism: Any) -> dict[str, list[str]]:
    """The groups each attribute publishes. Public values are all published; values taken
    from the data are published when their noisy count (``mechanism``, thresholded) clears
    the threshold, and the rest are merged into OTHER_LABEL, which is always published, so
    that no single row decides which groups exist."""
    out: dict[str, list[str]] = {}
    for attribute in result.spec.sensitive_features:
        public = _public_values(result, attribute)
        if public is not None:
            out[attribute] = public
            continue
        declared = _declared(result, attribute) - {OTHER_LABEL}
        by_value = {
            g.key[0]: g.n
            for d in result.dimensions
            if d.attributes == (attribute,)
            for g in d.groups
            # a value written '(other values)' in the data is counted with the others
            if g.n > 0 and g.key[0] not in declared and g.key[0] != OTHER_LABEL
        }
        passed = set(mechanism(by_value)) if by_value else set()
        # in an order of the values alone (not of which occur): numbers first, by value
        out[attribute] = [*sorted(declared | passed, key=_natural), OTHER_LABEL]
    return out


def _table(d: DimensionResult, levels: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """The dimension's exact counts of labelled rows over every combination of ``levels``,
    combinations x (unfavourable, favourable); a value not published counts as OTHER_LABEL.
    Also the codes of each combination's values."""
    shape = tuple(len(v) for v in levels)
    index = [{v: i for i, v in enumerate(vs)} for vs in levels]
    other = [ix.get(OTHER_LABEL, -1) for ix in index]
    out = np.zeros((math.prod(shape), 2), dtype=np.int64)
    for g in d.groups:
        if g.n == 0:
            continue
        at = []
        for j, value in enumerate(g.key):
            code = index[j].get(value, other[j])
            if code < 0:  # cannot happen: bins are public, other values merge
                raise AssertionError("a group outside the published levels")
            at.append(code)
        rate = g.base_rate.value
        fav = 0 if g.n_labeled == 0 or math.isnan(rate) else round(rate * g.n_labeled)
        out[np.ravel_multi_index(tuple(at), shape)] += (g.n_labeled - fav, fav)
    codes = np.stack(np.unravel_index(np.arange(out.shape[0]), shape), axis=1).astype(np.int64)
    return out, codes


def privatize(result: AuditResult, epsilon: float) -> tuple[AuditResult, Privacy]:
    """``result`` recomputed from counts drawn with differential privacy.

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

    chosen = tuple(a for a in spec.sensitive_features if _public_values(result, a) is None)
    releases = len(result.dimensions) + 1 + len(chosen)
    scale = releases / epsilon
    threshold_mechanism, threshold, delta = _threshold(scale) if chosen else (None, None, 0.0)
    privacy = Privacy(epsilon, releases, scale, delta * len(chosen), threshold, chosen)
    levels = _levels(result, threshold_mechanism)
    spec = replace(spec, favorable=_favourable(spec))
    favourable = tuple(str(v) for v in spec.favorable or ())
    for d in result.dimensions:  # on the values drawn, so the refusal is private too
        size = math.prod(len(levels[a]) for a in d.attributes)
        if 2 * size > _MAX_CELLS:
            raise ConfigError(
                f"'{d.name}' has {size:,} combinations of values to publish privately (at "
                f"most {_MAX_CELLS // 2:,}). Hint: audit fewer intersections (max_depth) or "
                "bin or merge values."
            )
    mechanism = _mechanism(scale)
    z = z_value(spec.confidence_level)
    dims = []
    for d in result.dimensions:
        lv = [levels[a] for a in d.attributes]
        exact, combos = _table(d, lv)
        counts = np.maximum(_noisy(mechanism, exact), 0)  # post-processing
        ct = CrossTab(
            attributes=d.attributes,
            levels=tuple(tuple(v) for v in lv),
            level_values=tuple(tuple(v) for v in lv),
            codes=np.repeat(combos, 2, axis=0),
            label=np.tile(np.array([0, 1], dtype=np.int8), len(combos)),
            prediction=None,
            n=counts.ravel(),
            w=counts.ravel().astype(np.float64),
            w2=counts.ravel().astype(np.float64),
            weighted=False,
            n_rows=int(counts.sum()),
            n_dropped=0,
            missing_counts=tuple(0 for _ in d.attributes),
            label_values=favourable,
            favorable_values=favourable,
            favorable_raw=tuple(spec.favorable or ()),
            prediction_values=None,
        )
        noisy, _ = _dimension(ct, tuple(range(len(d.attributes))), spec, z, keep_given=True)
        dims.append(widen(noisy, privacy.variance, z))
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
        spec=spec,
        label_values=favourable,  # the other label values come from the data
        favorable_values=favourable,
        dimensions=tuple(dims),
        worst_off=None,
        health=None,  # exact counts, which no noise covers: not published
        outcomes=None,  # likewise
        warnings=(),
        notes=(privacy_note(privacy),),
    )
    return noisy_result, privacy


def privacy_note(privacy: Privacy) -> str:
    """One sentence on how the counts were drawn (the result's note, the JSON's)."""
    guarantee = (
        f"epsilon = {privacy.epsilon:g}"
        if not privacy.delta
        else f"epsilon = {privacy.epsilon:g}, delta = {privacy.delta:.2g}"
    )
    return (
        f"Counts drawn with {guarantee} differential privacy (discrete Laplace noise of scale "
        f"{privacy.scale:.3g} on each count)."
    )
