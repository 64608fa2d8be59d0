"""AuditSpec: what to audit and under which policies, validated once and frozen."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, ClassVar, Literal, TypeAlias, cast

from audit._suggest import did_you_mean
from audit.exceptions import ConfigError
from audit.population import normalise_population, population_source

__all__ = [
    "MISSING_LABEL",
    "OTHER_LABEL",
    "AuditSpec",
    "Scalar",
    "SourceInfo",
]

Scalar: TypeAlias = str | int | float | bool
"""A value of a label or prediction column that can be written to JSON unchanged."""

MissingPolicy = Literal["group", "drop", "error"]
MISSING_LABEL = "(missing)"
"""The name of the explicit group that holds missing sensitive values under ``missing="group"``."""
OTHER_LABEL = "(other values)"
"""The group of a differentially private report that holds the rows of every value too rare
to publish (:mod:`audit.privacy.dp`); exact audits never have it."""

_MISSING_POLICIES: tuple[str, ...] = ("group", "drop", "error")


def _as_names(value: str | Iterable[str], setting: str) -> tuple[str, ...]:
    if not isinstance(value, str) and not isinstance(value, Iterable | Mapping):
        raise ConfigError(
            f"{setting} must be a column name or a list of them; got {type(value).__name__}. "
            f"Hint: pass {setting}=['sex', 'race']."
        )
    names = (value,) if isinstance(value, str) else tuple(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise ConfigError(
                f"{setting} must be column names (non-empty strings); got {type(name).__name__}. "
                f"Hint: pass {setting}=['sex', 'race']."
            )
    return names


def _as_values(value: Scalar | Iterable[Scalar] | None, setting: str) -> tuple[Scalar, ...] | None:
    if value is None:
        return None
    values: tuple[Any, ...]
    if isinstance(value, str | int | float | bool):
        values = (value,)
    elif isinstance(value, Iterable) and not isinstance(value, Mapping | bytes):
        values = tuple(value)
    else:
        raise ConfigError(
            f"{setting} must be a value or a list of values (strings, numbers or booleans); "
            f"got {type(value).__name__}. Hint: pass the value exactly as it appears in the "
            "column, e.g. '>50K' or 1."
        )
    if not values:
        raise ConfigError(f"{setting} is empty. Hint: give at least one favourable value.")
    for v in values:
        if not isinstance(v, str | int | float | bool) or (
            isinstance(v, float) and not math.isfinite(v)
        ):
            raise ConfigError(
                f"{setting} must hold strings, finite numbers or booleans; got "
                f"{type(v).__name__}. "
                f"Hint: pass the value exactly as it appears in the column, e.g. '>50K' or 1."
            )
    return values


def _sensitive_only(setting: str, attribute: str, sensitive: tuple[str, ...]) -> None:
    """A setting per attribute may name only the sensitive attributes."""
    if attribute not in sensitive:
        raise ConfigError(
            f"{setting} names '{attribute}', which is not a sensitive attribute. "
            f"Hint: sensitive attributes are {', '.join(repr(s) for s in sensitive)}."
        )


def _as_mapping(value: Any, setting: str, example: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{setting} must be a mapping from attribute to value; got {type(value).__name__}. "
            f"Hint: {setting}={example}."
        )
    return dict(value)


def _as_markers(value: Any) -> tuple[str, ...]:
    markers = (value,) if isinstance(value, str) else value
    if not isinstance(markers, Iterable) or isinstance(markers, Mapping):
        raise ConfigError(
            f"na_values must be a list of strings; got {type(value).__name__}. "
            "Hint: na_values=['?', 'NA'] (CLI: --na-values '?')."
        )
    out = tuple(markers)
    for m in out:
        if not isinstance(m, str):
            raise ConfigError(
                f"na_values must hold strings (markers as written in the data); got "
                f"{type(m).__name__}. Hint: na_values=['?', 'NA', '-1']."
            )
    return out


def _as_edges(attribute: str, edges: Any) -> tuple[float, ...]:
    if isinstance(edges, str | bytes) or not isinstance(edges, Iterable):
        raise ConfigError(
            f"bins for '{attribute}' must be a list of numbers; got {type(edges).__name__}. "
            f"Hint: bins={{'{attribute}': [25, 45]}} makes the groups <25, [25, 45) and >=45."
        )
    try:
        values = tuple(float(e) for e in edges)
    except OverflowError:
        values = (math.inf,)
    except (TypeError, ValueError):
        raise ConfigError(
            f"bins for '{attribute}' must be a list of numbers; got {edges!r}. "
            f"Hint: bins={{'{attribute}': [25, 45]}} makes the groups <25, [25, 45) and >=45."
        ) from None
    if not values:
        raise ConfigError(f"bins for '{attribute}' is empty. Hint: give at least one edge.")
    if any(not math.isfinite(v) for v in values):
        raise ConfigError(f"bins for '{attribute}' must be finite numbers; got {list(values)}.")
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ConfigError(
            f"bins for '{attribute}' must be strictly increasing; got {list(values)}."
        )
    return values


@dataclass(frozen=True)
class SourceInfo:
    """A description of where the audited data came from (recorded in every result).

    ``kind`` is the type of object or file (``"pandas.DataFrame"``, ``"parquet"``...), ``path``
    the file or glob for file inputs, and ``engine`` the backend that ran the aggregation.
    """

    kind: str
    engine: str
    path: str | None = None


@dataclass(frozen=True, kw_only=True)
class AuditSpec:
    """What to audit: columns, favourable outcome, reference groups and policies.

    Parameters
    ----------
    sensitive_features
        Names of the sensitive columns (sex, race, age...). One name or a sequence.
    label
        The outcome column recorded in the data.
    favorable
        The label value(s) that count as the favourable outcome (``">50K"``, ``1``, ``"yes"``).
        May be omitted only for a boolean label (``True``) or a 0/1 label (``1``).
    prediction
        Optional column of binary predictions, coded like the label.
    prediction_favorable
        Favourable value(s) of the prediction column, when they differ from ``favorable``.
    score
        Optional numeric score column (kept for the mitigations that rank rows).
    sample_weight
        Optional column of non-negative sample weights.
    bins
        Edges for numeric sensitive columns, ``{"age": [25, 45]}`` gives the groups ``<25``,
        ``[25, 45)`` and ``>=45``. Numeric columns are never binned without edges; a numeric
        sensitive column with more than 20 distinct values needs bins or ``categorical``.
    categorical
        Numeric sensitive columns to audit value by value although they have more than 20
        distinct values (codes, not quantities).
    na_values
        Markers that mean "missing" in the sensitive, label and prediction columns, as
        written in the data (``["?", "NA"]``); null, NaN and the empty string always do.
    reference
        Reference group per attribute, ``{"sex": "Male"}``. Attributes left out use the most
        favoured group (the highest base rate among groups of at least ``min_group_size``).
    reference_population
        Expected shares per attribute (census marginals), ``{"sex": {"Female": 0.51, ...}}``,
        or the path of a CSV with columns ``attribute,group,share``.
    missing
        ``"group"`` (default): missing sensitive values form an explicit ``(missing)`` group;
        ``"drop"``: such rows are dropped and counted; ``"error"``: raise.
    min_group_size
        Groups with fewer rows are shown and flagged but left out of summary disparities.
    max_depth
        Deepest intersection to audit: 3 by default (each attribute, every pair and every
        triple); ``None`` or ``"all"`` audits every depth (2^k - 1 dimensions for k
        attributes: 1,023 for 10).
    max_categories
        A sensitive column with more distinct values is rejected as a likely identifier.
    allow_high_cardinality
        Accept sensitive columns above ``max_categories``.
    confidence_level
        Coverage of every interval, 0.95 by default.

    Examples
    --------
    >>> spec = AuditSpec(sensitive_features=["sex"], label="income", favorable=">50K")
    >>> spec.favorable
    ('>50K',)
    """

    _serde_custom: ClassVar[bool] = True

    sensitive_features: tuple[str, ...]
    label: str
    favorable: tuple[Scalar, ...] | None = None
    prediction: str | None = None
    prediction_favorable: tuple[Scalar, ...] | None = None
    score: str | None = None
    sample_weight: str | None = None
    bins: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    categorical: tuple[str, ...] = ()
    na_values: tuple[str, ...] = ()
    reference: Mapping[str, str] = field(default_factory=dict)
    reference_population: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    missing: MissingPolicy = "group"
    min_group_size: int = 30
    max_depth: int | None = 3
    max_categories: int = 1000
    allow_high_cardinality: bool = False
    confidence_level: float = 0.95

    def __post_init__(self) -> None:
        setv = object.__setattr__
        sensitive = _as_names(cast(Any, self.sensitive_features), "sensitive_features")
        if not sensitive:
            raise ConfigError(
                "sensitive_features is empty. Hint: name at least one column, e.g. ['sex']."
            )
        if len(set(sensitive)) != len(sensitive):
            raise ConfigError("sensitive_features names a column twice.")
        for name in sensitive:
            if " & " in name:
                raise ConfigError(
                    f"Sensitive column '{name}' has ' & ' in its name, which biasaudit uses to "
                    "name intersections ('sex & race'). Hint: rename the column."
                )
        setv(self, "sensitive_features", sensitive)
        if not isinstance(self.label, str) or not self.label:
            raise ConfigError("label must be a column name. Hint: label='income'.")
        roles = {"label": self.label}
        for role in ("prediction", "score", "sample_weight"):
            value = getattr(self, role)
            if value is not None:
                if not isinstance(value, str) or not value:
                    raise ConfigError(f"{role} must be a column name or None.")
                roles[role] = value
        used = list(roles.values()) + list(sensitive)
        for role, column in roles.items():
            if used.count(column) > 1:
                raise ConfigError(
                    f"Column '{column}' is used as {role} and in another role. "
                    "Hint: each column has one role (sensitive, label, prediction, score, weight)."
                )
        setv(self, "favorable", _as_values(cast(Any, self.favorable), "favorable"))
        setv(
            self,
            "prediction_favorable",
            _as_values(cast(Any, self.prediction_favorable), "prediction_favorable"),
        )
        if self.prediction_favorable is not None and self.prediction is None:
            raise ConfigError("prediction_favorable is set but no prediction column is given.")

        bins: dict[str, tuple[float, ...]] = {}
        raw_bins = _as_mapping(self.bins, "bins", "{'age': [25, 45, 65]}")
        for attribute, edges in raw_bins.items():
            _sensitive_only("bins", attribute, sensitive)
            bins[attribute] = _as_edges(attribute, edges)
        setv(self, "bins", MappingProxyType(bins))

        categorical = _as_names(cast(Any, self.categorical), "categorical")
        for attribute in categorical:
            _sensitive_only("categorical", attribute, sensitive)
            if attribute in bins:
                raise ConfigError(
                    f"'{attribute}' has bins and is declared categorical; choose one. Hint: "
                    "bins group a numeric column into ranges, categorical keeps every value."
                )
        setv(self, "categorical", categorical)
        setv(self, "na_values", _as_markers(self.na_values))

        reference: dict[str, str] = {}
        raw_reference = _as_mapping(self.reference, "reference", "{'sex': 'Male'}")
        for attribute, group in raw_reference.items():
            _sensitive_only("reference", attribute, sensitive)
            if not isinstance(group, str | int | float | bool):
                raise ConfigError(
                    f"reference for '{attribute}' must be a group name; got "
                    f"{type(group).__name__}. Hint: reference={{'{attribute}': 'Male'}}."
                )
            reference[attribute] = str(group)
        setv(self, "reference", MappingProxyType(reference))
        setv(
            self,
            "reference_population",
            normalise_population(population_source(self.reference_population), sensitive),
        )

        if not isinstance(self.missing, str) or self.missing not in _MISSING_POLICIES:
            raise ConfigError(
                f"missing must be one of {', '.join(_MISSING_POLICIES)}; got {self.missing!r}."
            )
        for name in ("min_group_size", "max_categories"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer; got {value!r}.")
        depth: Any = self.max_depth
        if isinstance(depth, str) and depth.strip().lower() == "all":
            setv(self, "max_depth", None)
        if self.max_depth is not None and (
            isinstance(self.max_depth, bool)
            or not isinstance(self.max_depth, int)
            or self.max_depth < 1
        ):
            raise ConfigError(
                f"max_depth must be a positive integer, or None / 'all' for every depth; got "
                f"{self.max_depth!r}."
            )
        if not isinstance(self.allow_high_cardinality, bool):
            raise ConfigError(
                "allow_high_cardinality must be True or False; got "
                f"{type(self.allow_high_cardinality).__name__}."
            )
        level = self.confidence_level
        if (
            isinstance(level, bool)
            or not isinstance(level, float | int)
            or not (0 < level < 1)  # compared exactly: a huge int must not overflow a float
        ):
            raise ConfigError(
                "confidence_level must lie strictly between 0 and 1; "
                f"got {self.confidence_level!r}."
            )
        setv(self, "confidence_level", float(self.confidence_level))

    def __hash__(self) -> int:
        import json

        return hash(json.dumps(self.to_dict(), sort_keys=True, default=str))

    # -- helpers -------------------------------------------------------------------------------
    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the audit reads, in a stable order."""
        extra = [c for c in (self.label, self.prediction, self.score, self.sample_weight) if c]
        return (*self.sensitive_features, *extra)

    @property
    def effective_max_depth(self) -> int:
        """The deepest intersection audited."""
        n = len(self.sensitive_features)
        return n if self.max_depth is None else min(self.max_depth, n)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary; :meth:`from_dict` inverts it."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping):
                value = {
                    k: (
                        dict(v)
                        if isinstance(v, Mapping)
                        else list(v)
                        if isinstance(v, tuple)
                        else v
                    )
                    for k, v in value.items()
                }
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditSpec:
        """Build a spec from :meth:`to_dict` output or a config table; unknown keys are errors."""
        return cls.from_arguments(data, where="spec")

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], *, where: str = "audit()") -> AuditSpec:
        """Build a spec from keyword arguments; an unknown one is a :class:`ConfigError` with
        the closest valid name (``favourable`` -> ``favorable``), never a bare TypeError."""
        known = [f.name for f in fields(cls)]
        for key in arguments:
            if key not in known:
                raise ConfigError(
                    f"{where}: unknown argument '{key}'.{did_you_mean(str(key), known)} Hint: "
                    f"valid arguments are {', '.join(known)}."
                )
        return cls(**dict(arguments))
