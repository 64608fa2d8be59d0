"""The one did-you-mean helper for unknown keys, keywords and names."""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

__all__ = ["close_names", "closest", "did_you_mean", "keywords"]


def close_names(name: str, valid: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` valid names close to ``name``, closest first."""
    return difflib.get_close_matches(name, list(valid), n=n, cutoff=cutoff)


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


P = ParamSpec("P")
R = TypeVar("R")


def keywords(func: Callable[P, R]) -> Callable[P, R]:
    """A public function whose keyword typos are ConfigErrors with the closest valid name
    (``metod=`` -> "Did you mean 'method'?"), never a bare TypeError."""
    signature = inspect.signature(func)
    named = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    open_ended = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())

    @functools.wraps(func)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        if not open_ended:
            for key in kwargs:
                if key not in named:
                    from audit.exceptions import ConfigError

                    raise ConfigError(
                        f"{func.__name__}(): unknown argument '{key}'.{did_you_mean(key, named)} "
                        f"Hint: its arguments are {', '.join(named)}."
                    )
        return func(*args, **kwargs)

    return checked
