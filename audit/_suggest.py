"""The one did-you-mean helper for unknown keys, keywords and names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]


def closest(name: str, valid: Iterable[str], cutoff: float = 0.5) -> str | None:
    """The valid name closest to ``name``, or None when nothing is close.

    Examples
    --------
    >>> closest("favourable", ["favorable", "label"])
    'favorable'
    """
    match = difflib.get_close_matches(name, list(valid), n=1, cutoff=cutoff)
    return match[0] if match else None


def did_you_mean(name: str, valid: Iterable[str], cutoff: float = 0.5) -> str:
    """``" Did you mean 'x'?"`` for the closest valid name, or ``""``."""
    match = closest(name, valid, cutoff)
    return f" Did you mean '{match}'?" if match else ""
