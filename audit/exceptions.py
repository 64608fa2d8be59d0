"""The error and warning types raised by biasaudit.

Every message says what was expected, where, what arrived, and gives a hint. Messages name
columns and settings, never the values found in rows of sensitive columns.
"""

from __future__ import annotations

__all__ = [
    "AuditError",
    "AuditWarning",
    "ColumnNotFoundError",
    "ConfigError",
    "DataError",
    "LoaderWarning",
    "NotFittedError",
    "SmallGroupWarning",
]


class AuditError(Exception):
    """Base class of every error biasaudit raises on purpose."""


class ConfigError(AuditError, ValueError):
    """A setting (an argument, a spec field, a config key) is invalid."""


class DataError(AuditError, ValueError):
    """The data does not fit the spec: wrong types, impossible values, empty input."""


class ColumnNotFoundError(DataError, KeyError):
    """A column named in the spec does not exist in the data."""

    def __str__(self) -> str:
        # KeyError.__str__ would quote the message; keep it readable.
        return str(self.args[0]) if self.args else ""


class NotFittedError(AuditError, RuntimeError):
    """An estimator-like object was used before ``fit``."""


class AuditWarning(UserWarning):
    """Something in the data deserves attention but does not stop the audit."""


class SmallGroupWarning(AuditWarning):
    """A group is smaller than ``min_group_size``; its numbers are shown but flagged."""


class LoaderWarning(AuditWarning):
    """A dataset loader of the configuration emitted a warning (its message is withheld)."""
