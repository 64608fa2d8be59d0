"""The result of :func:`audit.drift`: per period and attribute the groups' shares and base
rates, their change against the baseline period, and each group's disparate-impact trend."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from audit._serde import build, read_json, to_jsonable
from audit.exceptions import ConfigError
from audit.metrics.drift import Trend
from audit.metrics.inference import Estimate, TestResult
from audit.result import SCHEMA_VERSION, Layout, find_dimension
from audit.spec import AuditSpec

__all__ = ["DriftDimension", "DriftGroup", "DriftPeriod", "DriftResult", "GroupTrend"]


@dataclass(frozen=True)
class DriftGroup:
    """One group in one period: its share of the period's rows and its base rate (Wilson),
    their changes since the baseline period (Newcombe intervals, the periods being
    independent samples) and its disparate impact against the reference group within the
    period (Katz interval)."""

    name: str
    n: int
    share: Estimate
    share_change: Estimate
    base_rate: Estimate
    base_rate_change: Estimate
    disparate_impact_ratio: Estimate


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
    """A group's disparate impact over the periods (see :class:`audit.metrics.drift.Trend`)."""

    name: str
    trend: Trend


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
    source: str
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

        return dump_json(self.to_dict(), path, indent, overwrite=overwrite, inputs=())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftResult:
        try:
            fields = {k: v for k, v in data.items() if k != "kind"}
            result: DriftResult = build(cls, {**fields, "schema_version": SCHEMA_VERSION})
            return result
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"Not a drift result ({type(exc).__name__}: {exc}). Hint: it must come from "
                "DriftResult.to_json() or 'biasaudit drift --json'."
            ) from None

    @classmethod
    def from_json(cls, source: str | Path) -> DriftResult:
        return cls.from_dict(read_json(source, "drift result"))
