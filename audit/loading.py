"""load_result(): an audit result, a comparison or a mitigation result, read from its JSON."""

from __future__ import annotations

import os
from typing import Any

from audit._serde import read_json
from audit.comparison import Comparison
from audit.exceptions import ConfigError
from audit.mitigation.result import MitigationResult
from audit.result import AuditResult

__all__ = ["load_result"]


def load_result(source: str | os.PathLike[str]) -> Any:
    """The result whose JSON (text or a file) ``source`` holds, whatever its kind.

    The kind is told by the JSON's ``kind`` field (``audit``, ``comparison``, ``mitigation``
    or ``drift``), or, for results written before it existed, by their keys: an
    :class:`AuditResult`, a :class:`Comparison`, a :class:`MitigationResult` or a
    :class:`~audit.drift_result.DriftResult`.
    """
    data = read_json(source)
    kind = data.get("kind") or _kind_of(data)
    if kind == "mitigation":
        return MitigationResult.from_dict(data)
    if kind == "comparison":
        return Comparison.from_dict(data)
    if kind == "synthetic_validation":
        from audit.synthetic_check import SyntheticValidation

        return SyntheticValidation.from_dict(data)
    if kind == "drift":
        from audit.drift_result import DriftResult

        return DriftResult.from_dict(data)
    if kind == "audit":
        return AuditResult.from_dict(data)
    raise ConfigError(
        f"'{os.fspath(source)[:200]}' is not a biasaudit result (kind {kind!r}). Hint: give the "
        "JSON written by to_json(), 'biasaudit audit --json', 'mitigate --json' or "
        "'compare --json'."
    )


def _kind_of(data: dict[str, Any]) -> str | None:
    if "plan" in data and "comparison" in data:
        return "mitigation"
    if "before" in data and "after" in data:
        return "comparison"
    if "dimensions" in data and "spec" in data:
        return "audit"
    return None
