"""Which groups of one table to withhold so that no group of fewer than ``k`` rows can be
read back from what is shown: each such group, and then the next smallest groups until the
withheld ones hold ``k`` rows or more between them and are at least two (else the total minus
the groups shown gives a withheld group's count, or their sum pins each of them). Shared by
the data card and the drift report, which show one attribute's groups beside their total."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["withheld"]


def withheld(sizes: Sequence[tuple[str, int]], k: int) -> set[str]:
    """The names to withhold among ``sizes`` (name, rows); groups without rows are shown.

    Examples
    --------
    >>> sorted(withheld([("a", 50), ("b", 40), ("c", 1), ("d", 1)], 10))
    ['b', 'c', 'd']
    >>> sorted(withheld([("a", 50), ("b", 40), ("c", 3)], 10))
    ['b', 'c']
    """
    out = {name for name, n in sizes if 0 < n < k}
    if not out:
        return out
    held = sum(n for name, n in sizes if name in out)
    for name, n in sorted(((m, n) for m, n in sizes if m not in out and n > 0), key=lambda t: t[1]):
        if held >= k and len(out) > 1:
            break
        out.add(name)
        held += n
    return out
