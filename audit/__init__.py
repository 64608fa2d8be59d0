"""biasaudit: audit datasets for fairness and bias before a model is trained.

The import package is ``audit``; the distribution and command are ``biasaudit``.
"""

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
