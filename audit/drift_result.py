"""The result of :func:`audit.drift`: per period and attribute the groups' shares and base
rates, their change against the baseline period, and each group's disparate-impact trend."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from audit._format import fmt_p
from audit._serde import build_tagged, read_json, to_jsonable
from audit.metrics.drift import Trend
from audit.metrics.inference import Estimate, TestResult
from audit.result import SCHEMA_VERSION, Layout, find_dimension
from audit.spec import AuditSpec

__all__ = [
    "PSI_MAJOR",
    "PSI_MODERATE",
    "DriftDimension",
    "DriftGroup",
    "DriftPeriod",
    "DriftResult",
    "GroupTrend",
    "drift_findings",
    "psi_band",
]


@dataclass(frozen=True)
class DriftGroup:
    """One group in one period: its share of the period's rows and its base rate (Wilson),
    their changes since the baseline period (Newcombe intervals, the periods being
    independent samples), the test of equal rates in the two periods (``change_test``:
    chi-square or Fisher on effective counts, Holm-adjusted over every group and period of
    the attribute) and its disparate impact against the reference group within the period
    (Katz interval)."""

    name: str
    n: int
    share: Estimate
    share_change: Estimate
    base_rate: Estimate
    base_rate_change: Estimate
    disparate_impact_ratio: Estimate
    change_test: TestResult


@dataclass(frozen=True)
class DriftPeriod:
    """One attribute (or intersection) in one period against the baseline period: the
    population stability index of its group shares (``psi_smoothed``: an empty group's share
    was taken as 0.0001), a chi-square test of equal composition, and its groups."""

    _serde_columns: ClassVar[tuple[str, ...]] = ("groups",)

    period: str
    n: int
    psi: float
    psi_smoothed: bool
    composition_test: TestResult
    groups: tuple[DriftGroup, ...]


@dataclass(frozen=True)
class GroupTrend:
    """A group's disparate impact over the periods (see :class:`audit.metrics.drift.Trend`);
    ``p_value_holm`` adjusts the trend's p-value over the attribute's groups."""

    name: str
    trend: Trend
    p_value_holm: float = math.nan


@dataclass(frozen=True)
class DriftDimension:
    """An attribute or intersection over the periods; the reference group is the baseline
    period's (given, or the highest favourable rate among groups of ``min_group_size``)."""

    attributes: tuple[str, ...]
    name: str
    reference: str | None
    periods: tuple[DriftPeriod, ...]
    trends: tuple[GroupTrend, ...]

    def period(self, name: str) -> DriftPeriod:
        for p in self.periods:
            if p.period == name:
                return p
        raise KeyError(f"No period {name!r}; periods are {[p.period for p in self.periods]}.")


@dataclass(frozen=True)
class DriftResult:
    """Drift of every attribute's groups over periods, against a baseline period."""

    schema_version: str
    spec: AuditSpec
    sources: tuple[str, ...]  # the file (or kind of frame) of each dataset
    time: str | None
    freq: str | None
    periods: tuple[str, ...]
    period_rows: tuple[int, ...]
    baseline: str
    dimensions: tuple[DriftDimension, ...]
    rows_without_time: int = 0
    notes: tuple[str, ...] = ()

    def dimension(self, *attributes: str) -> DriftDimension:
        return find_dimension(self.dimensions, attributes, "this drift result")

    def to_dict(self, *, layout: Layout = "columns") -> dict[str, Any]:
        columns = layout == "columns"
        out = to_jsonable(self, columns=columns)
        out["spec"] = to_jsonable(self.spec.to_dict())
        return {"kind": "drift", **out}

    def to_json(
        self, path: str | Path | None = None, *, indent: int | None = 2, overwrite: bool = False
    ) -> str:
        """Serialise to JSON text; also write it atomically to ``path`` when given (an
        existing file only with ``overwrite``)."""
        from audit._io import dump_json

        return dump_json(self.to_dict(), path, indent, overwrite=overwrite, inputs=self.sources)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftResult:
        result: DriftResult = build_tagged(
            cls, data, SCHEMA_VERSION, "drift result",
            "DriftResult.to_json() or 'biasaudit drift --json'",
        )  # fmt: skip
        return result

    @classmethod
    def from_json(cls, source: str | Path) -> DriftResult:
        return cls.from_dict(read_json(source, "drift result"))


PSI_MODERATE, PSI_MAJOR = 0.1, 0.25
"""The customary population stability index bands: below 0.1 stable, 0.25 and above major."""


def psi_band(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if value >= PSI_MAJOR:
        return "major shift"
    return "moderate shift" if value >= PSI_MODERATE else "stable"


def drift_findings(result: DriftResult, alpha: float = 0.05) -> list[str]:
    """Plain sentences: the attributes whose composition moved, the groups whose base rate
    changed and the disparate impacts with a trend, each by a Holm-adjusted p < alpha (over
    the groups and periods of the attribute: with many periods, some 95% intervals exclude 0
    by chance alone)."""
    out = []
    for d in result.dimensions:
        if len(d.attributes) != 1:
            continue
        for p in d.periods:
            if p.period == result.baseline:
                continue
            if p.psi >= PSI_MODERATE or p.composition_test.p_value_holm < alpha:
                out.append(
                    f"{d.name}: its composition in {p.period} differs from {result.baseline} "
                    f"(PSI {p.psi:.3f}, {psi_band(p.psi)}; "
                    f"p {fmt_p(p.composition_test.p_value_holm)})."
                )
            for g in p.groups:
                c = g.base_rate_change
                if c.defined and g.change_test.p_value_holm < alpha:
                    out.append(
                        f"{d.name} = {g.name}: base rate {c.value * 100:+.1f} pp in {p.period} "
                        f"against {result.baseline} ({c.ci_low * 100:+.1f} to "
                        f"{c.ci_high * 100:+.1f})."
                    )
        for t in d.trends:
            if t.p_value_holm < alpha:
                f = t.trend.factor
                out.append(
                    f"{d.name} = {t.name}: its disparate impact against {d.reference} changes by "
                    f"x{f.value:.3f} per period ({f.ci_low:.3f} to {f.ci_high:.3f}; p "
                    f"{fmt_p(t.trend.p_value)})."
                )
    return out
