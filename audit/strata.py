"""Disparities conditioned on a legitimate factor: for each sensitive attribute, every group
against the reference group within the strata of a column (a department, a job grade), from
the audit's one grouped count with the strata as one more key (``GROUP BY strata,
attributes..., label`` on the engine), its marginals per attribute, and the pure functions
of :mod:`audit.metrics.conditional`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from audit.crosstab import compute_crosstab
from audit.data import Dataset, open_data
from audit.exceptions import ConfigError
from audit.metrics.conditional import conditional_disparity, stratified
from audit.metrics.inference import z_value
from audit.metrics.label_kinds import StratifiedAttribute, StratifiedGroup
from audit.missingness import resolve_spec
from audit.spec import MISSING_LABEL

__all__ = [
    "StratifiedAttribute",
    "StratifiedGroup",
    "stratified_dataset",
    "stratified_disparity",
    "stratified_with_rows",
]


def stratified_disparity(
    data: Any, *, strata: str, spec: Any = None, **spec_options: Any
) -> tuple[StratifiedAttribute, ...]:
    """Each attribute's groups against its reference group, stratified by ``strata``.

    The reference group is the given one, else the one with the highest favourable rate
    over all strata among groups of at least ``min_group_size`` labelled rows (the audit's
    rule). Strata where a group or the reference has no row are left out of that comparison
    and counted; the missing-value group is compared but never the reference.
    """
    spec = resolve_spec(spec, spec_options)
    if not isinstance(strata, str) or not strata:
        raise ConfigError("strata must be a column name. Hint: strata='department'.")
    if strata in spec.sensitive_features or strata in spec.columns:
        raise ConfigError(
            f"strata names '{strata}', a column with a role in the audit (sensitive, label, "
            "prediction, score or weight). Hint: strata is the legitimate factor the groups "
            "are compared within, such as a department."
        )
    return stratified_dataset(open_data(data, spec), spec, strata)


# The dense (strata, groups) tables of one attribute: above this many cells, a strata column
# of that many values is refused before the tables are built.
_MAX_CELLS = 20_000_000


def stratified_dataset(dataset: Dataset, spec: Any, strata: str) -> tuple[StratifiedAttribute, ...]:
    """:func:`stratified_disparity` of an opened dataset."""
    return stratified_with_rows(dataset, spec, strata)[0]


def stratified_with_rows(
    dataset: Dataset, spec: Any, strata: str
) -> tuple[tuple[StratifiedAttribute, ...], tuple[dict[str, tuple[float, int]], ...]]:
    """The stratified disparities, and per attribute each group's conditional demographic
    disparity counting rows (Clarify's CDDL, which has no weights) with its strata left out.
    Without sample weights the two disparities are the same."""
    if strata not in dataset.columns:
        from audit._suggest import did_you_mean

        known = [str(c) for c in dataset.columns]
        raise ConfigError(f"strata column '{strata}' not found.{did_you_mean(strata, known)}")
    numeric = dataset.frame.collect_schema()[strata].is_numeric()
    keyed = replace(
        spec,
        sensitive_features=(*spec.sensitive_features, strata),
        categorical=(*spec.categorical, strata) if numeric else spec.categorical,
        max_depth=1,
        strata=None,
    )
    ct = compute_crosstab(dataset, keyed, roles={strata: "The strata column"})
    z = z_value(spec.confidence_level)
    s_dim = len(spec.sensitive_features)
    out, by_rows = [], []
    for i, attribute in enumerate(spec.sensitive_features):
        shape = (len(ct.levels[s_dim]), len(ct.levels[i]))
        if shape[0] * shape[1] > _MAX_CELLS:
            raise ConfigError(
                f"The strata column '{strata}' has {shape[0]:,} values and '{attribute}' "
                f"{shape[1]:,} groups: too many (stratum, group) cells. Hint: a coarser "
                "strata column."
            )
        m = ct.marginal([s_dim, i])
        fav, total, total_sq, rows, fav_rows = (
            _dense(m, values, shape)
            for values in (
                m.w[:, 1], m.w[:, 0] + m.w[:, 1], m.w2[:, 0] + m.w2[:, 1],
                m.n[:, 0] + m.n[:, 1], m.n[:, 1],
            )
        )  # fmt: skip
        names = ct.levels[i]
        ref = _reference(spec, attribute, names, fav, total, rows)
        groups, cdd_rows = [], {}
        for g, name in enumerate(names):
            cdd, used, left_out = conditional_disparity(fav, total, g)
            against = (
                None
                if g == ref or ref is None
                else stratified(fav, total, g, ref, z, total_sq, rows)
            )
            groups.append(StratifiedGroup(name, against, cdd, used, left_out))
            value, _, rows_left_out = conditional_disparity(fav_rows, rows, g)
            cdd_rows[name] = (value, rows_left_out)
        out.append(
            StratifiedAttribute(
                attribute, strata, shape[0], None if ref is None else names[ref], tuple(groups)
            )
        )
        by_rows.append(cdd_rows)
    return tuple(out), tuple(by_rows)


def _dense(m: Any, values: Any, shape: tuple[int, int]) -> np.ndarray:
    """One value per (stratum, group), 0 where the data has no such row (a marginal over
    more than 10,000 combinations lists only those that occur)."""
    out = np.zeros(shape[0] * shape[1], dtype=np.float64)
    ids = m.flat_ids if m.flat_ids is not None else np.arange(len(values))
    out[ids] = values
    return out.reshape(shape)


def _reference(
    spec: Any,
    attribute: str,
    names: tuple[str, ...],
    fav: np.ndarray,
    total: np.ndarray,
    rows: np.ndarray,
) -> int | None:
    given = spec.reference.get(attribute)
    if given is not None:
        if given not in names:
            raise ConfigError(
                f"reference group for '{attribute}' is not one of its groups. Hint: see the "
                "audit's groups of that attribute."
            )
        return names.index(given)
    sizes, weights, favs = rows.sum(axis=0), total.sum(axis=0), fav.sum(axis=0)
    eligible = [
        g for g, name in enumerate(names)
        if name != MISSING_LABEL and sizes[g] >= spec.min_group_size
    ]  # fmt: skip
    if not eligible:
        eligible = [g for g, name in enumerate(names) if name != MISSING_LABEL and sizes[g] > 0]
    if not eligible:
        return None
    return max(eligible, key=lambda g: favs[g] / weights[g] if weights[g] > 0 else -1.0)
