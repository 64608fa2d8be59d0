"""The hint of a grouping with too many cells: ``--bins age=28,37,48`` for each numeric
sensitive column without bins, from its quartiles on the engine that holds the data."""

from __future__ import annotations

import math

import narwhals as nw

from audit.coding import fmt_edge
from audit.data import Dataset
from audit.exprs import role_column
from audit.spec import AuditSpec

__all__ = ["bins_hint", "quartiles"]


def bins_hint(dataset: Dataset, spec: AuditSpec) -> str:
    """``--bins age=28,37,48`` for the numeric sensitive columns without bins: quartile edges
    computed on the engine (an empty string when there is none)."""
    schema = dataset.frame.collect_schema()
    columns = [
        a
        for a in spec.sensitive_features
        if a not in spec.bins
        and a not in spec.categorical
        and (schema[a].is_numeric() or a in dataset.numeric_text)
    ]
    parts = [
        f"--bins {a}={','.join(fmt_edge(e) for e in quartiles(dataset, spec, a))}" for a in columns
    ]
    return " ".join(p for p in parts if not p.endswith("="))


def quartiles(dataset: Dataset, spec: AuditSpec, attribute: str) -> list[float]:
    """The distinct quartiles of a numeric column (rounded to 3 significant digits), computed
    on the engine that holds the data."""
    schema = dataset.frame.collect_schema()
    x = role_column(spec, attribute, schema[attribute]).cast(nw.Float64)
    try:
        row = (
            dataset.frame.select(
                *(
                    x.quantile(q, interpolation="linear").alias(f"q{i}")
                    for i, q in enumerate((0.25, 0.5, 0.75))
                )
            )
            .collect()
            .to_arrow()
            .to_pylist()[0]
        )
    except Exception:  # the hint is a courtesy; the error it belongs to is raised anyway
        return []
    edges: list[float] = []
    for value in row.values():
        if value is None or not math.isfinite(value):
            continue
        rounded = float(f"{value:.3g}")
        if not edges or rounded > edges[-1]:
            edges.append(rounded)
    return edges
