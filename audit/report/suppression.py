"""Small-cell suppression for reports: which groups' numbers may be shown.

A group with 1 to ``k - 1`` rows is suppressed (primary suppression); an empty one is shown
as 0. A report also shows
totals and every intersection, so a hidden count could be worked out from what is shown: the
total minus the other groups of an attribute, a group minus the other cells of its row in an
intersection, or several such sums of linked tables solved together. So further groups are
hidden (complementary suppression) until no primary-suppressed count is determined: for each,
the least and greatest count consistent with every published sum at once (a linear programme
over the hidden cells, with the bounds a reader knows: ``1..k-1`` for a cell marked "n<k",
``>= k`` for a complementary one) must differ by at least one row.

This protects the counts of the groups (the sums a report shows). The base rates and shares
of shown groups are exact and may reveal small counts of favourable outcomes within a shown
group; the report is about groups, not individuals.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

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


def _counts(result: AuditResult) -> dict[Cell, int]:
    """Every cell's row count, and the grand total."""
    counts: dict[Cell, int] = {TOTAL: result.n_rows_audited}
    for d in result.dimensions:
        for g in d.groups:
            counts[_cell(d.attributes, g.key)] = g.n
    return counts


def _relations_of(counts: dict[Cell, int]) -> list[tuple[Cell, list[Cell]]]:
    """Every published sum: a parent cell = the sum of its children in one dimension."""
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
    return [(parent, kids) for (parent, _), kids in children.items()]


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


def _intervals(
    counts: dict[Cell, int],
    relations: list[tuple[Cell, list[Cell]]],
    primary: set[Cell],
    hidden: set[Cell],
    k: int,
    cells: Iterable[Cell],
) -> dict[Cell, tuple[float, float] | None]:
    """For each of ``cells``, the least and greatest count consistent with every published
    sum at once and the bounds a reader knows (a linear programme over the hidden cells;
    ``None`` when it cannot be solved)."""
    import numpy as np
    from scipy.optimize import linprog

    unknown = sorted(hidden)
    index = {c: i for i, c in enumerate(unknown)}
    rows, rhs = [], []
    for parent, kids in relations:
        if parent not in hidden and not any(c in hidden for c in kids):
            continue
        row = np.zeros(len(unknown))
        known = 0.0
        for c in kids:
            if c in hidden:
                row[index[c]] += 1.0
            else:
                known += counts[c]
        if parent in hidden:
            row[index[parent]] -= 1.0
            rhs.append(-known)
        else:
            rhs.append(counts[parent] - known)
        rows.append(row)
    # A listed group has at least one row (conservative: a reader may assume so).
    bounds = [(1, k - 1) if c in primary else (k, counts[TOTAL]) for c in unknown]
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    out: dict[Cell, tuple[float, float] | None] = {}
    for c in cells:
        objective = np.zeros(len(unknown))
        objective[index[c]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        solved = low.status == 0 and high.status == 0
        if solved and low.fun is not None and high.fun is not None:
            out[c] = (float(low.fun), -float(high.fun))
        else:
            out[c] = None
    return out


def _fixed(interval: tuple[float, float] | None) -> bool:
    """True when a single whole number of rows fits (or the programme failed: no proof)."""
    if interval is None:
        return True
    return math.floor(interval[1] + 1e-6) <= math.ceil(interval[0] - 1e-6)


def _linked(
    cell: Cell,
    relations: list[tuple[Cell, list[Cell]]],
    hidden: set[Cell],
    counts: dict[Cell, int],
) -> set[Cell]:
    """The shown cells of every published sum that involves ``cell`` or a hidden cell linked to
    it through such sums (never the grand total)."""
    near = {cell}
    grew = True
    while grew:
        grew = False
        for parent, kids in relations:
            members = (parent, *kids)
            if any(c in near for c in members):
                new = {c for c in members if c in hidden} - near
                if new:
                    near |= new
                    grew = True
    out: set[Cell] = set()
    for parent, kids in relations:
        members = (parent, *kids)
        if any(c in near for c in members):
            out.update(c for c in members if c not in hidden and c != TOTAL and counts[c])
    return out


def _protect(
    cell: Cell,
    counts: dict[Cell, int],
    relations: list[tuple[Cell, list[Cell]]],
    primary: set[Cell],
    hidden: set[Cell],
    k: int,
) -> None:
    """Hide the smallest linked cell whose hiding leaves ``cell`` undetermined (or, when no
    single one does, the smallest linked cell, and look again)."""
    candidates = sorted(_linked(cell, relations, hidden, counts), key=lambda c: (counts[c], c))
    if not candidates:
        raise ConfigError(
            "A suppressed group's count follows from the totals whatever else is hidden (every "
            "group of an attribute is small). Hint: lower the suppression threshold k or audit "
            "more rows."
        )
    for candidate in candidates[:_TRIALS]:
        trial = hidden | {candidate}
        if not _fixed(_intervals(counts, relations, primary, trial, k, [cell])[cell]):
            hidden.add(candidate)
            return
    hidden.add(candidates[0])


_TRIALS = 25


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
    counts = _counts(result)
    # Audits with the same counts (before and after reweighing) share one pattern.
    return _suppress(tuple(sorted(counts.items())), k)


@lru_cache(maxsize=32)
def _suppress(items: tuple[tuple[Cell, int], ...], k: int) -> Suppression:
    counts = dict(items)
    relations = _relations_of(counts)
    # Empty cells (no rows) are shown as 0: there is nobody in them to protect, and a reader
    # who knows a cell is empty must not be able to use that to work out a neighbour.
    primary = {c for c, n in counts.items() if c != TOTAL and 0 < n < k}
    hidden = set(primary)
    while True:
        # Cheap first: a single published sum must never fix a hidden count.
        changed = True
        while changed:
            changed = False
            for parent, kids in relations:
                if parent in hidden or not any(c in hidden for c in kids):
                    continue
                if _pinned(parent, kids, hidden, counts, k) and _hide_sibling(kids, hidden, counts):
                    changed = True
        if not primary:
            break
        # Then all sums together: no primary count may follow from the linked tables.
        intervals = _intervals(counts, relations, primary, hidden, k, sorted(primary))
        fixed = [c for c in sorted(primary) if _fixed(intervals[c])]
        if not fixed:
            break
        _protect(fixed[0], counts, relations, primary, hidden, k)
    return Suppression(k, frozenset(primary), frozenset(hidden - primary))


def _hide_sibling(kids: list[Cell], hidden: set[Cell], counts: dict[Cell, int]) -> bool:
    """Hide the smallest shown non-empty cell among ``kids``; False when there is none."""
    shown = sorted((c for c in kids if c not in hidden and counts[c]), key=lambda c: (counts[c], c))
    if not shown:
        return False
    hidden.add(shown[0])
    return True
