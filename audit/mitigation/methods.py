"""The mitigation methods and the resampling size policies: one list of each, validated once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from audit._suggest import did_you_mean
from audit.exceptions import ConfigError

__all__ = [
    "METHODS",
    "RESAMPLING_METHODS",
    "SIZES",
    "cell_ids",
    "check_method",
    "check_size",
    "outcome_names",
]

METHODS: tuple[str, ...] = ("reweighing", "uniform", "preferential", "synthetic")
"""``reweighing`` adds a weight column; ``uniform`` and ``preferential`` resample rows;
``synthetic`` adds rows generated inside the cells (SMOTE-NC)."""
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


class _Cell(Protocol):
    @property
    def favorable(self) -> bool | None: ...
    @property
    def label(self) -> str | None: ...


def outcome_names(classes: Sequence[str]) -> list[tuple[bool | None, str | None]]:
    """The outcomes a plan balances, in the order of :meth:`CrossTab.outcome_codes`, as the
    ``(favorable, label)`` of its cells: favourable then unfavourable for a binary label
    (``classes`` empty), every class (``favorable`` None) for a multi-class one."""
    if not classes:
        return [(True, None), (False, None)]
    return [(None, c) for c in classes]


def cell_ids(cells: Sequence[_Cell], classes: Sequence[str], flat_ids: Sequence[int]) -> list[int]:
    """The engine's cell id ``group * K + outcome`` of each plan cell (``K = 2`` and the
    outcome 1 when favourable for a binary label; the class's index among ``classes``)."""
    if not classes:
        return [int(f) * 2 + int(bool(c.favorable)) for c, f in zip(cells, flat_ids, strict=True)]
    index = {name: i for i, name in enumerate(classes)}
    k = len(classes)
    return [int(f) * k + index[str(c.label)] for c, f in zip(cells, flat_ids, strict=True)]
