"""Small-cell suppression for reports: which groups' numbers may be shown.

A group with fewer than ``k`` rows is suppressed (primary suppression). A report also shows
totals and every intersection, so a hidden count could be worked out by one subtraction: the
total minus the other groups of an attribute, or a group of one attribute minus the other
cells of its row in an intersection. So further groups are hidden (complementary suppression)
until no published sum fixes a primary-suppressed count, given the bounds a reader knows
(``0..k-1`` for a cell marked "n<k", ``>= k`` for a complementary one).

Limit: the guarantee is per published sum. Combining several sums of linked tables (three or
more attributes with all their intersections) can narrow a hidden count further; audit with
``max_depth`` or a larger ``k`` when that matters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from audit.exceptions import ConfigError
from audit.result import AuditResult

__all__ = ["Suppression", "suppress"]

Cell = tuple[tuple[str, ...], tuple[str, ...]]  # (attributes, group key)
TOTAL: Cell = ((), ())


@dataclass(frozen=True)
class Suppression:
    """The cells of one audit that a report hides: ``primary`` (n < k) and ``complementary``."""

    k: int
    primary: frozenset[Cell]
    complementary: frozenset[Cell]

    def hidden(self, attributes: Iterable[str], key: Iterable[str]) -> bool:
        return _cell(attributes, key) in self.primary | self.complementary

    def label(self, attributes: Iterable[str], key: Iterable[str]) -> str | None:
        """``"suppressed (n<k)"``, ``"suppressed (complementary)"`` or ``None`` (shown)."""
        cell = _cell(attributes, key)
        if cell in self.primary:
            return f"suppressed (n<{self.k})"
        if cell in self.complementary:
            return "suppressed (complementary)"
        return None

    def any_hidden(self, attributes: Iterable[str]) -> bool:
        wanted = frozenset(attributes)
        return any(frozenset(a for a, _ in _pairs(c)) == wanted for c in self.primary)


def _cell(attributes: Iterable[str], key: Iterable[str]) -> Cell:
    pairs = sorted(zip(attributes, key, strict=True))
    return (tuple(a for a, _ in pairs), tuple(v for _, v in pairs))


def _pairs(cell: Cell) -> list[tuple[str, str]]:
    return list(zip(cell[0], cell[1], strict=True))


def _relations(result: AuditResult) -> tuple[dict[Cell, int], list[tuple[Cell, list[Cell]]]]:
    """Every cell's row count and every published sum: parent = sum of its children."""
    counts: dict[Cell, int] = {TOTAL: result.n_rows_audited}
    for d in result.dimensions:
        for g in d.groups:
            counts[_cell(d.attributes, g.key)] = g.n
    # One sum per (parent cell, child dimension): a group of race is the sum of its cells in
    # race & sex, and separately the sum of its cells in race & age.
    children: dict[tuple[Cell, tuple[str, ...]], list[Cell]] = {}
    for cell in counts:
        if cell == TOTAL:
            continue
        pairs = _pairs(cell)
        for i in range(len(pairs)):
            rest = pairs[:i] + pairs[i + 1 :]
            parent = (tuple(a for a, _ in rest), tuple(v for _, v in rest))
            if parent in counts:
                children.setdefault((parent, cell[0]), []).append(cell)
    return counts, [(parent, kids) for (parent, _), kids in children.items()]


def _pinned(
    parent: Cell, kids: list[Cell], hidden: set[Cell], counts: dict[Cell, int], k: int
) -> bool:
    """Whether one published sum fixes a hidden primary cell among ``kids``: its least and
    greatest value given the others' known bounds (``0..k-1`` primary, ``>= k`` otherwise)
    leave a single whole number."""
    unknown = [c for c in kids if c in hidden]
    rest = counts[parent] - sum(counts[c] for c in kids if c not in hidden)
    low = {c: 0 if counts[c] < k else k for c in unknown}
    high = {c: k - 1 if counts[c] < k else rest for c in unknown}
    for c in unknown:
        if counts[c] >= k:
            continue
        others_low = sum(low[o] for o in unknown if o != c)
        others_high = sum(high[o] for o in unknown if o != c)
        least = max(low[c], rest - others_high)
        most = min(high[c], rest - others_low)
        if least >= most:
            return True
    return False


def suppress(result: AuditResult, k: int = 10) -> Suppression:
    """The cells of ``result`` a report hides so that no count below ``k`` can be read.

    Examples
    --------
    >>> import pandas as pd
    >>> from audit import audit
    >>> df = pd.DataFrame({"g": ["a"] * 50 + ["b"] * 40 + ["c"] * 3, "y": [1, 0] * 46 + [1]})
    >>> s = suppress(audit(df, sensitive_features="g", label="y", min_group_size=3), k=10)
    >>> s.label(["g"], ["c"]), s.label(["g"], ["b"]), s.label(["g"], ["a"])
    ('suppressed (n<10)', 'suppressed (complementary)', None)
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConfigError(f"The suppression threshold k must be a positive integer; got {k!r}.")
    counts, relations = _relations(result)
    primary = {c for c, n in counts.items() if c != TOTAL and n < k}
    hidden = set(primary)
    changed = True
    while changed:
        changed = False
        for parent, kids in relations:
            if parent in hidden or not any(c in hidden for c in kids):
                continue
            if _pinned(parent, kids, hidden, counts, k) and _hide_sibling(kids, hidden, counts):
                changed = True
    return Suppression(k, frozenset(primary), frozenset(hidden - primary))


def _hide_sibling(kids: list[Cell], hidden: set[Cell], counts: dict[Cell, int]) -> bool:
    """Hide the smallest shown cell among ``kids``; False when every one is hidden."""
    shown = sorted((c for c in kids if c not in hidden), key=lambda c: (counts[c], c))
    if not shown:
        return False
    hidden.add(shown[0])
    return True
