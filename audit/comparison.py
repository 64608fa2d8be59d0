"""compare(before, after): two audits under one spec, side by side, with what changed and why."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from audit._serde import from_jsonable, read_json, to_jsonable
from audit._suggest import keywords
from audit.exceptions import ConfigError
from audit.metrics.inference import Estimate, TestResult, independence_test, z_value
from audit.metrics.rates import Proportion, difference
from audit.result import (
    SCHEMA_VERSION,
    AuditResult,
    DimensionResult,
    GroupResult,
    Layout,
    find_dimension,
)

__all__ = ["Comparison", "DimensionChange", "GroupChange", "class_tvds", "compare"]

_SAME = ("sensitive_features", "label", "favorable", "prediction", "bins")

EFFECTIVE_N_NOTE = (
    "Weighted rates are what a learner that uses the weights sees; the effective sample sizes "
    "(Kish) show how much information stands behind them: a group whose effective n falls far "
    "below its row count is carried by a few heavily weighted rows."
)


@dataclass(frozen=True)
class GroupChange:
    """One group before and after: every metric of both audits, and the main differences.

    Differences treat the two datasets as independent samples (Newcombe intervals on
    effective counts); for two versions of the same rows they are descriptive.
    """

    key: tuple[str, ...]
    name: str
    before: GroupResult | None
    after: GroupResult | None
    share_difference: Estimate
    base_rate_difference: Estimate


@dataclass(frozen=True)
class DimensionChange:
    """One attribute or intersection before and after."""

    _serde_columns: ClassVar[tuple[str, ...]] = ("groups",)

    attributes: tuple[str, ...]
    name: str
    groups: tuple[GroupChange, ...]
    demographic_parity_ratio_before: Estimate
    demographic_parity_ratio_after: Estimate
    demographic_parity_difference_before: Estimate
    demographic_parity_difference_after: Estimate
    representation_shift: TestResult
    by_construction: str | None


@dataclass(frozen=True)
class Comparison:
    """Two audits of datasets under the same spec (before / after a mitigation, training /
    production, real / synthetic...), with every metric side by side."""

    schema_version: str
    before: AuditResult
    after: AuditResult
    dimensions: tuple[DimensionChange, ...]
    notes: tuple[str, ...]

    def dimension(self, *attributes: str) -> DimensionChange:
        return find_dimension(self.dimensions, attributes, "this comparison")

    def to_dict(self, *, layout: Layout = "columns") -> dict[str, Any]:
        """A JSON-ready dict; the groups of each audit and of each dimension as columns, or
        with ``layout="rows"`` as lists of one dict per group."""
        columns = layout == "columns"
        return {
            "kind": "comparison",
            "schema_version": self.schema_version,
            "before": self.before.to_dict(layout=layout),
            "after": self.after.to_dict(layout=layout),
            "dimensions": to_jsonable(self.dimensions, columns=columns),
            "notes": list(self.notes),
        }

    def to_json(
        self, path: str | Path | None = None, *, indent: int | None = 2, overwrite: bool = False
    ) -> str:
        """Serialise to JSON text; also write it atomically to ``path`` when given (an
        existing file only with ``overwrite``; never the audited data itself)."""
        from audit._io import dump_json

        return dump_json(
            self.to_dict(),
            path,
            indent,
            overwrite=overwrite,
            inputs=(self.before.source.path, self.after.source.path),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comparison:
        """Rebuild a comparison from :meth:`to_dict` output (either layout) or the JSON of
        any schema its audits are read from; it is then a comparison of this schema."""
        before = AuditResult.from_dict(data["before"])
        after = AuditResult.from_dict(data["after"])
        try:
            dims = tuple(from_jsonable(DimensionChange, d) for d in data["dimensions"])
            notes = tuple(data["notes"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"Not a comparison ({type(exc).__name__}: {exc}). Hint: it must come from "
                "Comparison.to_json() or 'biasaudit compare --json'."
            ) from None
        return cls(SCHEMA_VERSION, before, after, dims, notes)

    @classmethod
    def from_json(cls, source: str | Path) -> Comparison:
        return cls.from_dict(read_json(source, "comparison"))


def _share(g: GroupResult | None, total_effective: float) -> Proportion:
    if g is None or math.isnan(g.share.value):
        return Proportion(0.0, total_effective, total_effective, 0)
    return Proportion(g.share.value * total_effective, total_effective, total_effective, g.n)


def _rate(g: GroupResult | None) -> Proportion:
    if g is None or math.isnan(g.base_rate.value) or g.n == 0:
        return Proportion(0.0, 0.0, 0.0, 0)
    effective = g.n_effective * g.n_labeled / g.n  # effective n of the labelled rows (approx.)
    return Proportion(g.base_rate.value * effective, effective, effective, g.n_labeled)


def _dimension(
    before: DimensionResult,
    after: DimensionResult,
    n_eff: tuple[float, float],
    z: float,
    by_construction: str | None,
) -> DimensionChange:
    b_groups = {g.key: g for g in before.groups}
    a_groups = {g.key: g for g in after.groups}
    keys = list(b_groups) + [k for k in a_groups if k not in b_groups]
    changes = []
    table = []
    for key in keys:
        b, a = b_groups.get(key), a_groups.get(key)
        share_b, share_a = _share(b, n_eff[0]), _share(a, n_eff[1])
        table.append([share_b.x_effective, share_a.x_effective])
        changes.append(
            GroupChange(
                key=key,
                name=(b or a).name,  # type: ignore[union-attr]
                before=b,
                after=a,
                share_difference=difference(share_a, share_b, z),
                base_rate_difference=difference(_rate(a), _rate(b), z),
            )
        )
    return DimensionChange(
        attributes=before.attributes,
        name=before.name,
        groups=tuple(changes),
        demographic_parity_ratio_before=before.demographic_parity_ratio,
        demographic_parity_ratio_after=after.demographic_parity_ratio,
        demographic_parity_difference_before=before.demographic_parity_difference,
        demographic_parity_difference_after=after.demographic_parity_difference,
        representation_shift=independence_test(table),
        by_construction=by_construction,
    )


_HOW = {
    "reweighing": "of the weights",
    "uniform": "of the sampling plan (up to the rounding of cell counts)",
    "preferential": "of the sampling plan (up to the rounding of cell counts)",
}


def class_tvds(
    before: AuditResult, after: AuditResult
) -> dict[tuple[str, str], tuple[Estimate | None, Estimate | None]] | None:
    """For a multi-class label without a favourable value, each (attribute, group)'s total
    variation distance from the reference group's class distribution before and after;
    None for any other label (or audits without the per-class analysis)."""
    if before.favorable_values:
        return None
    out: dict[tuple[str, str], tuple[Estimate | None, Estimate | None]] = {}
    for side, result in enumerate((before, after)):
        o = result.outcomes
        for d in () if o is None else (o.multiclass or ()):
            for g in d.groups:
                pair = out.get((d.name, g.name), (None, None))
                out[(d.name, g.name)] = (g.tvd, pair[1]) if side == 0 else (pair[0], g.tvd)
    return out


@keywords
def compare(
    before: AuditResult,
    after: AuditResult,
    *,
    mitigation: str | None = None,
    mitigated_over: Sequence[str] = (),
    empty_cells: Sequence[str] = (),
) -> Comparison:
    """Put two audits side by side: every metric of every group, and what changed.

    Parameters
    ----------
    before, after
        Audits under the same spec (sensitive attributes, label, favourable values,
        prediction and bins; the sample weight may differ, e.g. a reweighing column).
    mitigation
        ``"reweighing"``, ``"uniform"`` or ``"preferential"`` when ``after`` is the result of
        that mitigation over ``mitigated_over``: parity that holds by construction is
        then said in so many words rather than shown as an achievement.
    empty_cells
        (group, label) cells of the mitigation without rows: parity cannot hold for their
        groups, and the sentence says so.

    Notes
    -----
    ``representation_shift`` tests whether the groups' shares differ between the two
    datasets (chi-square on effective counts). Differences of shares and base rates carry
    Newcombe intervals that treat the datasets as independent samples.
    """
    for side, value in (("before", before), ("after", after)):
        if not isinstance(value, AuditResult):
            raise ConfigError(
                f"compare() takes two AuditResults; {side} is {type(value).__name__}. Hint: "
                "audit both datasets first: compare(audit(a, ...), audit(b, ...))."
            )
    for name in _SAME:
        if getattr(before.spec, name) != getattr(after.spec, name):
            raise ConfigError(
                f"Cannot compare audits whose specs differ in '{name}'. Hint: audit both "
                "datasets with the same sensitive attributes, label and bins."
            )
    z = z_value(before.spec.confidence_level)
    after_dims = {frozenset(d.attributes): d for d in after.dimensions}
    dims = []
    notes: list[str] = []
    mitigated = set(mitigated_over)
    for d in before.dimensions:
        other = after_dims.get(frozenset(d.attributes))
        if other is None:
            continue
        sentence = None
        every_class = not before.favorable_values  # a multi-class label: every class
        if mitigation is not None and set(d.attributes) <= mitigated and every_class:
            sentence = (
                f"After {mitigation} over {' & '.join(sorted(mitigated))}, the label's class "
                f"distribution is the same in every group of '{d.name}' by construction "
                f"{_HOW.get(mitigation, 'of the mitigation')}: a total variation distance of 0 "
                "here measures the mitigation itself, not a property of the data, and says "
                "nothing about how a model trained on it behaves."
            )
            if empty_cells:
                sentence += (
                    f" Except: {len(empty_cells)} (group, class) cell(s) had no rows, so those "
                    "groups still have none of that class."
                )
        elif mitigation is not None and set(d.attributes) <= mitigated:
            how = _HOW.get(mitigation, "of the mitigation")
            sentence = (
                f"After {mitigation} over {' & '.join(sorted(mitigated))}, the base rates of "
                f"'{d.name}' are equal by construction {how}: a statistical parity difference "
                "of 0 (disparate impact of 1) here measures the mitigation itself, not a "
                "property of the data, and says nothing about how a model trained on it "
                "behaves."
            )
            if empty_cells:
                sentence += (
                    f" Except: {len(empty_cells)} (group, label) cell(s) had no rows, so the "
                    "groups they belong to keep a base rate of 0 or 1 and parity does not "
                    "hold for them."
                )
        dims.append(_dimension(d, other, (before.n_effective, after.n_effective), z, sentence))
    if mitigation is not None:
        notes.append(
            f"'after' is the result of {mitigation} over {', '.join(sorted(mitigated))}; "
            "parity that holds by construction is marked on each dimension."
        )
    if after.spec.sample_weight is not None or before.spec.sample_weight is not None:
        notes.append(EFFECTIVE_N_NOTE)
    return Comparison(
        schema_version=before.schema_version,
        before=before,
        after=after,
        dimensions=tuple(dims),
        notes=tuple(notes),
    )
