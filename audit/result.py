"""AuditResult: the frozen outcome of an audit, with a versioned JSON form."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from audit._serde import build, read_json, to_jsonable
from audit.exceptions import ConfigError
from audit.metrics.classification import PredictionSummary
from audit.metrics.health import DataHealth
from audit.metrics.inference import Estimate, TestResult
from audit.metrics.label_kinds import Outcomes
from audit.metrics.subgroups import SubgroupScan
from audit.spec import AuditSpec, SourceInfo

__all__ = [
    "SCHEMA_VERSION",
    "AuditResult",
    "DimensionResult",
    "GroupClassification",
    "GroupResult",
    "PredictionSummary",
]

SCHEMA_VERSION = "2.2"
"""1.1: results say their ``kind``; mitigation plans name ``over`` and ``favorable``.
2.0: groups (and a plan's cells) are written as columns, one array per field.
2.1: ``health``, the data-health checks of an audit run with ``health=True``.
2.2: ``outcomes``: the label's kind, per-class rates, a continuous label's distributions,
Clarify's label metrics and the stratified disparities; ``spec.label_type`` and
``spec.strata``."""

READS = ("1", "2")
"""The major schema versions this biasaudit reads (1.x: groups as a list of objects)."""

Layout = Literal["columns", "rows"]


D = TypeVar("D", bound="_HasAttributes")


class _HasAttributes(Protocol):
    @property
    def attributes(self) -> tuple[str, ...]: ...

    @property
    def name(self) -> str: ...


def find_dimension(dimensions: Sequence[D], attributes: Sequence[str], where: str) -> D:
    """The dimension over exactly these attributes (in any order)."""
    wanted = set(attributes)
    for d in dimensions:
        if set(d.attributes) == wanted and len(d.attributes) == len(attributes):
            return d
    raise ConfigError(
        f"No dimension {list(attributes)} in {where}. Hint: its dimensions are "
        f"{[d.name for d in dimensions]}."
    )


@dataclass(frozen=True)
class GroupClassification:
    """Rates of the prediction column in one group (each with its Wilson interval)."""

    n: int
    selection_rate: Estimate
    true_positive_rate: Estimate
    false_positive_rate: Estimate
    false_negative_rate: Estimate
    positive_predictive_value: Estimate


@dataclass(frozen=True)
class GroupResult:
    """Every number about one group of one attribute (or intersection of attributes)."""

    key: tuple[str, ...]
    name: str
    n: int
    weight: float
    n_effective: float
    share: Estimate
    expected_share: float | None
    representation_ratio: Estimate | None
    n_labeled: int
    base_rate: Estimate
    disparate_impact_ratio: Estimate
    statistical_parity_difference: Estimate
    test_vs_reference: TestResult
    is_reference: bool
    small: bool
    classification: GroupClassification | None


@dataclass(frozen=True)
class DimensionResult:
    """One attribute, or one intersection of attributes, with all its groups."""

    _serde_columns: ClassVar[tuple[str, ...]] = ("groups",)

    attributes: tuple[str, ...]
    name: str
    reference: tuple[str, ...] | None
    reference_rule: str
    groups: tuple[GroupResult, ...]
    demographic_parity_difference: Estimate
    demographic_parity_ratio: Estimate
    highest_group: str | None
    lowest_group: str | None
    excluded_from_summary: tuple[str, ...]
    independence: TestResult
    goodness_of_fit: TestResult | None
    classification: PredictionSummary | None

    def group(self, *key: str) -> GroupResult:
        """The group with this key (one value per attribute)."""
        for g in self.groups:
            if g.key == tuple(key):
                return g
        raise ConfigError(
            f"No group with that key in '{self.name}'. Hint: see .groups for the keys "
            f"({len(self.groups)} groups)."
        )


@dataclass(frozen=True)
class AuditResult:
    """The result of :func:`audit.audit`: every metric with its n and interval, frozen.

    ``to_json()`` / ``from_json()`` round-trip exactly (NaN is written as ``null``); the JSON
    carries ``schema_version`` and is documented in ``docs/json-schema.md``. A result read
    from an older schema is a result of this one (its ``schema_version`` is the current one,
    in which it is written again).
    """

    _serde_custom: ClassVar[bool] = True  # nested results are read by from_dict

    schema_version: str
    spec: AuditSpec
    source: SourceInfo
    n_rows: int
    n_rows_audited: int
    n_dropped_missing: int
    missing_by_attribute: Mapping[str, int]
    n_label_missing: int
    n_prediction_missing: int | None
    total_weight: float
    n_effective: float
    label_values: tuple[str, ...]
    favorable_values: tuple[str, ...]
    prediction_values: tuple[str, ...] | None
    dimensions: tuple[DimensionResult, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    versions: Mapping[str, str]
    created_at: str
    worst_off: SubgroupScan | None = None  # None in results written before schema 1.2
    health: DataHealth | None = None  # None unless the audit ran with health=True
    outcomes: Outcomes | None = None  # None in results written before schema 2.2

    def __post_init__(self) -> None:
        # Deeply frozen: the mappings cannot be changed after the fact either.
        for name in ("missing_by_attribute", "versions"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    # -- access --------------------------------------------------------------------------------
    @property
    def attributes(self) -> tuple[str, ...]:
        return self.spec.sensitive_features

    def dimension(self, *attributes: str) -> DimensionResult:
        """The result for one attribute or one intersection (in any order).

        Examples
        --------
        ``result.dimension("sex")``, ``result.dimension("sex", "race")``.
        """
        return find_dimension(self.dimensions, attributes, "this result")

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self, *, layout: Layout = "columns") -> dict[str, Any]:
        """A JSON-ready dict (NaN as ``None``); each dimension's groups as columns (one array
        per field), or with ``layout="rows"`` as a list of one dict per group."""
        if layout not in ("columns", "rows"):
            raise ConfigError(f"layout must be 'columns' or 'rows'; got {layout!r}.")
        out: dict[str, Any] = {"kind": "audit", **to_jsonable(self, columns=layout == "columns")}
        out["spec"] = to_jsonable(self.spec.to_dict())
        return out

    def to_datacard(
        self, folder: str | Path, *, k: int = 10, overwrite: bool = False
    ) -> tuple[Path, Path]:
        """Write the data card of this audit into ``folder``: ``DATACARD.md`` (Datasheets for
        Datasets, the measured facts filled in, the rest marked TODO) and ``croissant.json``
        (Croissant 1.0 with its RAI fields); groups under ``k`` rows are withheld
        (:mod:`audit.datacard`)."""
        from audit.datacard import write_datacard

        return write_datacard(self, folder, k=k, overwrite=overwrite)

    def to_json(
        self, path: str | Path | None = None, *, indent: int | None = 2, overwrite: bool = False
    ) -> str:
        """Serialise to JSON text; also write it atomically to ``path`` when given (an
        existing file only with ``overwrite``; never the audited data itself). With an
        ``indent``, objects are indented and every array of numbers or text (a column of the
        groups) is written on one line."""
        from audit._io import dump_json

        return dump_json(
            self.to_dict(), path, indent, overwrite=overwrite, inputs=(self.source.path,)
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditResult:
        """Rebuild a result from :meth:`to_dict` output (either layout), or from the JSON of
        any schema 1.x or 2.x."""
        version = data.get("schema_version")
        if not isinstance(version, str) or version.split(".")[0] not in READS:
            raise ConfigError(
                f"Unsupported result schema_version {version!r}; this biasaudit reads "
                f"{', '.join(v + '.x' for v in READS)}. Hint: re-run the audit with this "
                "version."
            )
        data = dict(data)
        data["schema_version"] = SCHEMA_VERSION
        if isinstance(data.get("spec"), Mapping):
            # A newer minor version may add spec fields; a result is read, not configured.
            known = {f.name for f in fields(AuditSpec)}
            data["spec"] = {k: v for k, v in data["spec"].items() if k in known}
        try:
            result: AuditResult = build(cls, data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"Result JSON does not match schema {version} ({type(exc).__name__}: "
                f"{exc}). Hint: it must come from AuditResult.to_json()."
            ) from None
        return result

    @classmethod
    def from_json(cls, source: str | Path) -> AuditResult:
        """Read a result from JSON text or from a ``.json`` file path."""
        return cls.from_dict(read_json(source))

    def __repr__(self) -> str:
        dims = ", ".join(d.name for d in self.dimensions if len(d.attributes) == 1)
        worst = [
            d
            for d in self.dimensions
            if len(d.attributes) == 1 and not math.isnan(d.demographic_parity_ratio.value)
        ]
        summary = "; ".join(
            f"{d.name}: DP ratio {d.demographic_parity_ratio.value:.3f}" for d in worst
        )
        tail = f"; {summary}" if summary else ""
        return f"<AuditResult {self.n_rows} rows, attributes [{dims}]{tail}>"
