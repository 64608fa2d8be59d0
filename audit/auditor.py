"""audit() and the Auditor: open the data, run the one grouped count, assemble the result."""

from __future__ import annotations

import platform
import warnings
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from audit.assemble import assemble
from audit.crosstab import ContinuousLabelError, compute_crosstab
from audit.data import Dataset, open_data
from audit.exceptions import AuditWarning, ConfigError, SmallGroupWarning
from audit.result import AuditResult
from audit.spec import AuditSpec, SourceInfo
from audit.table import CrossTab

__all__ = ["Auditor", "audit"]

_VERSIONED = (
    "biasaudit",
    "numpy",
    "scipy",
    "narwhals",
    "duckdb",
    "pyarrow",
    "pandas",
    "polars",
    "pyspark",
)


@lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    """Versions of Python and of the packages an audit may run on, read from the modules
    already imported where possible (``importlib.metadata`` costs a first call ~30 ms)."""
    import sys

    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        module = sys.modules.get(name)
        version = getattr(module, "__version__", None)
        if isinstance(version, str):
            out[name] = version
            continue
        from importlib import metadata

        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _stamp(created_at: object) -> str:
    """The ISO timestamp recorded in a result: ``created_at`` or now (UTC)."""
    if isinstance(created_at, datetime):
        return created_at.isoformat(timespec="seconds")
    if created_at is None or created_at == "":
        return datetime.now(UTC).isoformat(timespec="seconds")
    if not isinstance(created_at, str):
        raise ConfigError(
            f"created_at must be a datetime, an ISO timestamp string or None; got "
            f"{type(created_at).__name__}."
        )
    return created_at


class Auditor:
    """Audits datasets under one :class:`~audit.spec.AuditSpec`.

    Parameters
    ----------
    spec
        A ready spec, or ``None`` to build one from the keyword arguments
        (``sensitive_features``, ``label``, ``favorable``...).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["F"] * 40 + ["M"] * 40, "y": [1, 0, 0, 0] * 10 + [1, 0] * 20})
    >>> result = Auditor(sensitive_features=["sex"], label="y", favorable=1).audit(df)
    >>> result.dimension("sex").group("F").disparate_impact_ratio.value
    0.5
    """

    def __init__(self, spec: AuditSpec | None = None, /, **kwargs: Any) -> None:
        if spec is not None and kwargs:
            raise ConfigError("Pass either a spec or keyword arguments, not both.")
        if spec is not None and not isinstance(spec, AuditSpec):
            raise ConfigError(
                f"spec must be an AuditSpec; got {type(spec).__name__}. Hint: pass the spec's "
                "fields as keyword arguments, e.g. sensitive_features=['sex'], label='y'."
            )
        self.spec = spec if spec is not None else AuditSpec.from_arguments(kwargs)

    def audit(self, data: object, *, created_at: datetime | str | None = None) -> AuditResult:
        """Audit ``data`` (frame, relation or path); the data is read once and never changed."""
        _stamp(created_at)  # a wrong type is refused before the data is read
        try:
            return self.audit_dataset(open_data(data, self.spec), created_at=created_at)[0]
        except ContinuousLabelError as exc:
            # a numeric label of many values and no favourable one: audited as continuous
            spec = replace(self.spec, label_type="continuous")
            result = Auditor(spec).audit_dataset(open_data(data, spec), created_at=created_at)[0]
            note = (
                f"{exc.message_head} It is audited as continuous (label_type='continuous'): "
                "each group's mean, median and distribution against the reference group's, "
                "and its share above the overall median as the favourable rate."
            )
            warnings.warn(note, AuditWarning, stacklevel=2)
            return replace(result, notes=(note, *result.notes))

    def audit_dataset(
        self, dataset: Dataset, *, created_at: datetime | str | None = None
    ) -> tuple[AuditResult, CrossTab]:
        """Audit an opened dataset; also return the grouped count (mitigations reuse it)."""
        from audit.label_analysis import outcome_analysis

        spec, summary = self.spec, None
        if spec.label_type == "continuous":
            from audit.continuous_label import as_continuous

            spec, summary = as_continuous(dataset, spec)
        binned = summary.binned if summary is not None else None
        ct = compute_crosstab(dataset, spec, table=binned.crosstab if binned else None)
        result = Auditor(spec).audit_crosstab(ct, dataset.info, created_at=created_at)
        if summary is not None or spec.strata is not None:
            outcomes = outcome_analysis(ct, result, dataset, summary)
            result = replace(result, outcomes=outcomes)
        if self.spec.health:
            from audit.health import data_health  # scipy and scikit-learn: only with health

            health = data_health(dataset, self.spec)
            for message in health.notes:
                warnings.warn(message, AuditWarning, stacklevel=2)
            result = replace(result, health=health)
        return result, ct

    def audit_crosstab(
        self, ct: CrossTab, source: SourceInfo, *, created_at: datetime | str | None = None
    ) -> AuditResult:
        """Every metric of an audit from its grouped count (no pass over the data); the
        audit's findings (small groups...) are also raised as warnings."""
        from audit.label_analysis import outcome_analysis

        result = assemble(
            ct, self.spec, source, created_at=_stamp(created_at), versions=_versions()
        )
        result = replace(result, outcomes=outcome_analysis(ct, result))
        for message in result.warnings:
            category = SmallGroupWarning if "min_group_size" in message else AuditWarning
            warnings.warn(message, category, stacklevel=3)
        return result


def audit(
    data: object,
    *,
    spec: AuditSpec | None = None,
    created_at: datetime | str | None = None,
    **kwargs: Any,
) -> AuditResult:
    """Audit a dataset: representation, outcomes, (with a prediction) classification parity,
    and (with ``health=True``) the data's health by group.

    Parameters
    ----------
    data
        A pandas / polars / pyarrow frame, a polars LazyFrame, a DuckDB relation, a PySpark
        DataFrame, or a path / glob to CSV or Parquet (opened lazily by DuckDB).
    spec
        An :class:`~audit.spec.AuditSpec`; or give its fields as keyword arguments.
    created_at
        Timestamp to record (defaults to now, UTC); fix it for reproducible output.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["F", "M"] * 50, "y": [1, 1, 0, 1] * 25})
    >>> r = audit(df, sensitive_features="sex", label="y", favorable=1)
    >>> r.dimension("sex").demographic_parity_ratio.value
    0.5
    """
    return Auditor(spec, **kwargs).audit(data, created_at=created_at)
