"""AuditSpec: what to audit and under which policies, validated once and frozen."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, ClassVar, Literal, cast

from audit._settings import (
    Scalar,
    as_edges,
    as_mapping,
    as_markers,
    as_names,
    as_values,
    check_outcome,
    sensitive_only,
)
from audit._suggest import did_you_mean
from audit.exceptions import ConfigError
from audit.population import normalise_population, population_source

__all__ = [
    "MISSING_LABEL",
    "OTHER_LABEL",
    "AuditSpec",
    "Scalar",
    "SourceInfo",
    "file_fingerprint",
]


MissingPolicy = Literal["group", "drop", "error"]
MISSING_LABEL = "(missing)"
"""The name of the explicit group that holds missing sensitive values under ``missing="group"``."""
OTHER_LABEL = "(other values)"

PROXY_CRAMERS_V = 0.5
"""Cramér's V from which a feature is flagged as a proxy (Cohen's "large" for one degree of
freedom)."""

LEAKAGE_AUC = 0.95
"""AUC from which a feature that predicts the label on its own is flagged "check for target
leakage"."""
"""The group of a differentially private report that holds the rows of every value too rare
to publish (:mod:`audit.privacy.dp`); exact audits never have it."""

_MISSING_POLICIES: tuple[str, ...] = ("group", "drop", "error")


@dataclass(frozen=True)
class SourceInfo:
    """A description of where the audited data came from (recorded in every result).

    ``kind`` is the type of object or file (``"pandas.DataFrame"``, ``"parquet"``...), ``path``
    the file or glob for file inputs, and ``engine`` the backend that ran the aggregation.
    ``fingerprint`` is a single file's size and modification time when it was read
    (``"size:mtime_ns"``), so that a later step (the data card's checksum) can tell whether
    the file at ``path`` is still the one audited.
    """

    kind: str
    engine: str
    path: str | None = None
    fingerprint: str | None = None


def file_fingerprint(path: str) -> str | None:
    """A file's size and modification time (``"size:mtime_ns"``), None if it is not a file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}" if stat.S_ISREG(st.st_mode) else None


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
        The label value(s) that count as the favourable outcome (``">50K"``, ``1``, ``"yes"``),
        or, for a numeric label, a threshold (``">= 0.5"``, ``"> 3"``, ``"< 10"``). May be
        omitted for a boolean label (``True``), a 0/1 label (``1``), a multi-class label (each
        class is then an outcome) and a continuous one (the share above the overall median).
    label_type
        ``"binary"``, ``"multiclass"`` or ``"continuous"``; inferred when omitted: a numeric
        label with more than 20 distinct values and no ``favorable`` is continuous, a label
        with more than two values and no ``favorable`` multi-class (the audit says so).
    strata
        A legitimate factor (``"department"``) to condition the disparities on: the
        Mantel-Haenszel ratios, the CMH test, the conditional demographic disparity and a
        Simpson's-paradox flag (:mod:`audit.strata`).
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
    health
        Also check the data's health by group (:mod:`audit.health`): missing values, proxies
        of the sensitive attributes and of the label, and suspect labels. Off by default: it
        reads every other column, a count per feature, and fits cross-validated models.
    features
        The columns the data-health checks examine (default: every column without a role).
    proxy_sample
        Rows of the seeded sample the health models are fitted on (default 100,000).
    proxy_cramers_v
        Cramér's V from which a feature is flagged as a proxy (0.5).
    leakage_auc
        AUC from which a feature alone predicting the label is flagged "check for target
        leakage" (0.95).

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
    health: bool = False
    features: tuple[str, ...] | None = None
    proxy_sample: int = 100_000
    proxy_cramers_v: float = PROXY_CRAMERS_V
    leakage_auc: float = LEAKAGE_AUC
    label_type: Literal["binary", "multiclass", "continuous"] | None = None
    strata: str | None = None

    def __post_init__(self) -> None:
        setv = object.__setattr__
        sensitive = as_names(cast(Any, self.sensitive_features), "sensitive_features")
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
        setv(self, "favorable", as_values(cast(Any, self.favorable), "favorable"))
        setv(
            self,
            "prediction_favorable",
            as_values(cast(Any, self.prediction_favorable), "prediction_favorable"),
        )
        if self.prediction_favorable is not None and self.prediction is None:
            raise ConfigError("prediction_favorable is set but no prediction column is given.")

        bins: dict[str, tuple[float, ...]] = {}
        raw_bins = as_mapping(self.bins, "bins", "{'age': [25, 45, 65]}")
        for attribute, edges in raw_bins.items():
            sensitive_only("bins", attribute, sensitive)
            bins[attribute] = as_edges(attribute, edges)
        setv(self, "bins", MappingProxyType(bins))

        categorical = as_names(cast(Any, self.categorical), "categorical")
        for attribute in categorical:
            sensitive_only("categorical", attribute, sensitive)
            if attribute in bins:
                raise ConfigError(
                    f"'{attribute}' has bins and is declared categorical; choose one. Hint: "
                    "bins group a numeric column into ranges, categorical keeps every value."
                )
        setv(self, "categorical", categorical)
        setv(self, "na_values", as_markers(self.na_values))

        reference: dict[str, str] = {}
        raw_reference = as_mapping(self.reference, "reference", "{'sex': 'Male'}")
        for attribute, group in raw_reference.items():
            sensitive_only("reference", attribute, sensitive)
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
        self._check_health(used)
        check_outcome(self.label_type, self.favorable, self.strata, used)

    def _check_health(self, used: list[str]) -> None:
        setv = object.__setattr__
        if not isinstance(self.health, bool):
            raise ConfigError(f"health must be True or False; got {type(self.health).__name__}.")
        if self.features is not None:
            features = as_names(cast(Any, self.features), "features")
            if not features:
                raise ConfigError(
                    "features is empty. Hint: leave it out to examine every column without a "
                    "role, or name some, e.g. features=['age', 'occupation']."
                )
            for name in features:
                if name in used:
                    raise ConfigError(
                        f"features names '{name}', a column with a role in the audit "
                        "(sensitive, label, prediction, score or weight). Hint: the "
                        "data-health checks compare the other columns with those; leave it out."
                    )
            if not self.health:
                raise ConfigError(
                    "features names the columns the data-health checks examine, but health "
                    "is off. Hint: health=True (CLI: --health)."
                )
            setv(self, "features", features)
        size = self.proxy_sample
        if isinstance(size, bool) or not isinstance(size, int) or size < 50:
            raise ConfigError(f"proxy_sample must be an integer of at least 50; got {size!r}.")
        for name, low in (("proxy_cramers_v", 0.0), ("leakage_auc", 0.5)):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (low < value <= 1)
            ):
                raise ConfigError(
                    f"{name} must be a number above {low:g} and at most 1; got {value!r}."
                )
            setv(self, name, float(value))

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
