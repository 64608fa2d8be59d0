"""The mitigation methods and the resampling size policies: one list of each, validated once."""

from __future__ import annotations

from audit._suggest import did_you_mean
from audit.exceptions import ConfigError

__all__ = ["METHODS", "RESAMPLING_METHODS", "SIZES", "check_method", "check_size"]

METHODS: tuple[str, ...] = ("reweighing", "uniform", "preferential")
"""``reweighing`` adds a weight column; ``uniform`` and ``preferential`` resample rows."""
RESAMPLING_METHODS: tuple[str, ...] = ("uniform", "preferential")
SIZES: tuple[str, ...] = ("keep", "oversample", "undersample")
"""Resampling size: ``keep`` n rows, ``oversample`` (no cell loses rows), ``undersample``."""


def check_method(method: object, allowed: tuple[str, ...] = METHODS) -> str:
    """``method`` if it is one of ``allowed``, else a ConfigError with the closest."""
    if not isinstance(method, str) or method not in allowed:
        hint = did_you_mean(method, allowed) if isinstance(method, str) else ""
        raise ConfigError(
            f"Unknown mitigation method {method!r}.{hint} Hint: use one of {', '.join(allowed)}."
        )
    return method


def check_size(size: object) -> str:
    """``size`` if it is a resampling size policy, else a ConfigError."""
    if not isinstance(size, str) or size not in SIZES:
        hint = did_you_mean(size, SIZES) if isinstance(size, str) else ""
        raise ConfigError(f"size must be one of {', '.join(SIZES)}; got {size!r}.{hint}")
    return size
