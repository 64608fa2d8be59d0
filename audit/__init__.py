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
    from audit.drift_periods import drift
    from audit.drift_result import DriftResult
    from audit.exceptions import (
        AuditError,
        AuditWarning,
        ColumnNotFoundError,
        ConfigError,
        DataError,
        NotFittedError,
        SmallGroupWarning,
    )
    from audit.loading import load_result
    from audit.metrics.inference import Estimate, TestResult
    from audit.mitigation.result import MitigationResult
    from audit.mitigation.run import mitigate
    from audit.policy import Policy, evaluate
    from audit.population import load_reference_population
    from audit.report.render import write_report
    from audit.result import AuditResult, DimensionResult, GroupResult
    from audit.spec import AuditSpec
    from audit.synthetic_check import SyntheticValidation, validate_synthetic

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
    "drift": "audit.drift_periods",
    "DriftResult": "audit.drift_result",
    "SyntheticValidation": "audit.synthetic_check",
    "validate_synthetic": "audit.synthetic_check",
    "load_reference_population": "audit.population",
    "mitigate": "audit.mitigation.run",
    "MitigationResult": "audit.mitigation.result",
    "write_report": "audit.report.render",
    "Policy": "audit.policy",
    "evaluate": "audit.policy",
    "load_result": "audit.loading",
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
    "DriftResult",
    "Estimate",
    "GroupResult",
    "MitigationResult",
    "NotFittedError",
    "Policy",
    "SmallGroupWarning",
    "SyntheticValidation",
    "TestResult",
    "audit",
    "compare",
    "drift",
    "evaluate",
    "load_reference_population",
    "load_result",
    "mitigate",
    "validate_synthetic",
    "write_report",
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
