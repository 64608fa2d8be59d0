"""biasaudit: audit datasets for fairness and bias before a model is trained.

The import package is ``audit``; the distribution and command are ``biasaudit``. The public
names below are imported on first use, so ``import audit`` (and the pytest plugin, which
lives in this package) stays light until an audit is made.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.auditor import Auditor, audit
    from audit.comparison import Comparison, compare
    from audit.exceptions import (
        AuditError,
        AuditWarning,
        ColumnNotFoundError,
        ConfigError,
        DataError,
        NotFittedError,
        SmallGroupWarning,
    )
    from audit.metrics.inference import Estimate, TestResult
    from audit.result import AuditResult, DimensionResult, GroupResult
    from audit.spec import AuditSpec, load_reference_population

_WHERE = {
    "AuditError": "audit.exceptions",
    "AuditResult": "audit.result",
    "AuditSpec": "audit.spec",
    "AuditWarning": "audit.exceptions",
    "Auditor": "audit.auditor",
    "ColumnNotFoundError": "audit.exceptions",
    "Comparison": "audit.comparison",
    "ConfigError": "audit.exceptions",
    "DataError": "audit.exceptions",
    "DimensionResult": "audit.result",
    "Estimate": "audit.metrics.inference",
    "GroupResult": "audit.result",
    "NotFittedError": "audit.exceptions",
    "SmallGroupWarning": "audit.exceptions",
    "TestResult": "audit.metrics.inference",
    "audit": "audit.auditor",
    "compare": "audit.comparison",
    "load_reference_population": "audit.spec",
}

__all__ = [
    "AuditError",
    "AuditResult",
    "AuditSpec",
    "AuditWarning",
    "Auditor",
    "ColumnNotFoundError",
    "Comparison",
    "ConfigError",
    "DataError",
    "DimensionResult",
    "Estimate",
    "GroupResult",
    "NotFittedError",
    "SmallGroupWarning",
    "TestResult",
    "audit",
    "compare",
    "load_reference_population",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'audit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return list(__all__)
