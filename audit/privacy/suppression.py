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
from audit.spec import MISSING_LABEL

__all__ = ["Suppression", "suppress", "suppress_pair"]

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

    def cells(self) -> frozenset[Cell]:
        """Every hidden cell, as (attributes, key) sorted by attribute."""
        return self.primary | self.complementary

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


class _Tables:
    """The published sums of one audit, indexed by cell, with the reader's bounds."""

    def __init__(
        self,
        counts: dict[Cell, int],
        k: int,
        sizes: tuple[int, frozenset[Cell], frozenset[Cell]] = (0, frozenset(), frozenset()),
    ) -> None:
        self.counts = counts
        self.k = k
        # What a reader learns of a group's size besides the sums: whether it reaches the
        # audit's min_group_size (published through the policy checks and the groups left
        # out of summaries). ``above``: at least that many rows; ``below``: fewer.
        self.min_size, self.above, self.below = sizes
        self.relations = _relations_of(counts)
        self.members = [(parent, *kids) for parent, kids in self.relations]
        self.of: dict[Cell, list[int]] = {}
        for i, cells in enumerate(self.members):
            for c in cells:
                self.of.setdefault(c, []).append(i)
        # Empty cells (no rows) are shown as 0: there is nobody in them to protect, and a
        # reader who knows a cell is empty must not be able to use that to work out another.
        self.primary = {c for c, n in counts.items() if c != TOTAL and 0 < n < k}

    def bounds(self, cell: Cell) -> tuple[int, int]:
        """The least and greatest count a reader knows a hidden cell can have."""
        low, high = (1, self.k - 1) if cell in self.primary else (self.k, self.counts[TOTAL])
        if cell in self.above:
            low = max(low, self.min_size)
        elif cell in self.below:
            high = min(high, self.min_size - 1)
        return low, high

    def component(self, cell: Cell, hidden: set[Cell]) -> tuple[set[Cell], set[int]]:
        """The hidden cells linked to ``cell`` through published sums, and those sums."""
        cells, sums, todo = {cell}, set(), [cell]
        while todo:
            for i in self.of.get(todo.pop(), ()):
                if i in sums:
                    continue
                sums.add(i)
                for c in self.members[i]:
                    if c in hidden and c not in cells:
                        cells.add(c)
                        todo.append(c)
        return cells, sums

    def interval(self, cell: Cell, hidden: set[Cell]) -> tuple[float, float] | None:
        """The least and greatest count of ``cell`` consistent with every published sum at
        once and the bounds a reader knows: a linear programme over the hidden cells linked
        to it (``None`` when it cannot be solved)."""
        import numpy as np
        from scipy.optimize import linprog

        unknown, sums = self.component(cell, hidden)
        order = sorted(unknown)
        index = {c: i for i, c in enumerate(order)}
        a_eq = np.zeros((len(sums), len(order)))
        b_eq = np.zeros(len(sums))
        for row, i in enumerate(sorted(sums)):
            parent, kids = self.relations[i]
            total = 0.0 if parent in hidden else float(self.counts[parent])
            if parent in hidden:
                a_eq[row, index[parent]] -= 1.0
            for c in kids:
                if c in hidden:
                    a_eq[row, index[c]] += 1.0
                else:
                    total -= self.counts[c]
            b_eq[row] = total
        bounds = [self.bounds(c) for c in order]
        objective = np.zeros(len(order))
        objective[index[cell]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if low.status == 0 and high.status == 0 and low.fun is not None and high.fun is not None:
            return (float(low.fun), -float(high.fun))
        return None

    def fixed(self, cell: Cell, hidden: set[Cell]) -> bool:
        """True when one whole number of rows fits (or the programme failed: no proof)."""
        interval = self.interval(cell, hidden)
        if interval is None:
            return True
        return math.floor(interval[1] + 1e-6) <= math.ceil(interval[0] - 1e-6)

    def protect(self, cell: Cell, hidden: set[Cell]) -> None:
        """Hide the smallest linked cell whose hiding leaves ``cell`` undetermined (or, when no
        single one does, the smallest linked cell, and look again)."""
        _, sums = self.component(cell, hidden)
        direct = set(self.of.get(cell, ()))
        candidates = sorted(
            {
                (i not in direct, self.counts[c], c)
                for i in sums
                for c in self.members[i]
                if c not in hidden and c != TOTAL and self.counts[c]
            }
        )
        ordered = list(dict.fromkeys(c for _, _, c in candidates))
        low, high = self.bounds(cell)
        if low == high and cell in self.primary and self.k <= 2:
            raise ConfigError(
                f"With k={self.k}, 'suppressed (n<{self.k})' itself says how many rows a group "
                "has. Hint: suppress below 3 rows or more (the default is 10)."
            )
        if low == high:
            raise ConfigError(
                f"A suppressed group has {low} row(s), and whether a group reaches "
                f"min_group_size={self.min_size} is shown, which gives that count away. Hint: "
                "audit with a min_group_size of at least 3 (the default is 30)."
            )
        if not ordered:
            raise ConfigError(
                "A suppressed group's count follows from the totals whatever else is hidden "
                "(every group of an attribute is small). Hint: lower the suppression threshold "
                "k or audit more rows."
            )
        for candidate in ordered[:_TRIALS]:
            if not self.fixed(cell, hidden | {candidate}):
                hidden.add(candidate)
                return
        hidden.add(ordered[0])


_TRIALS = 25


def suppress(
    result: AuditResult, k: int = 10, also: Iterable[tuple[Iterable[str], Iterable[str]]] = ()
) -> Suppression:
    """The cells of ``result`` a report hides so that no count below ``k`` can be read.

    ``also`` names further cells (attributes, key) to hide from the start: the cells hidden
    in another audit shown beside this one (see :func:`suppress_pair`).

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
    forced = frozenset(c for c in (_cell(a, key) for a, key in also) if counts.get(c))
    # Audits with the same counts (before and after reweighing) share one pattern.
    return _suppress(tuple(sorted(counts.items())), k, forced, _sizes(result))


def _sizes(result: AuditResult) -> tuple[int, frozenset[Cell], frozenset[Cell]]:
    """Which groups are known to reach min_group_size labelled rows (so at least that many
    rows) and, when no label is missing, which are known to fall short of it."""
    m = result.spec.min_group_size
    above, below = set(), set()
    for d in result.dimensions:
        for g in d.groups:
            if MISSING_LABEL in g.key or g.n == 0:
                continue  # the missing-value group is left out of summaries whatever its size
            cell = _cell(d.attributes, g.key)
            if g.n_labeled >= m:
                above.add(cell)
            elif result.n_label_missing == 0:
                below.add(cell)
    return m, frozenset(above), frozenset(below)


def suppress_pair(
    before: AuditResult, after: AuditResult, k: int = 10
) -> tuple[Suppression, Suppression]:
    """Suppression for two audits shown side by side (before and after a mitigation, or
    two datasets): a group hidden in one is hidden in the other, and each side's
    complementary cells are solved again until both agree. Otherwise the other side's
    numbers (resampled counts are scaled copies of the originals) would give a hidden count
    away."""
    first, second = suppress(before, k), suppress(after, k)
    while True:
        union = first.cells() | second.cells()
        # A side that already hides every cell of the union keeps its pattern.
        new_first = first if union <= first.cells() else suppress(before, k, union)
        new_second = second if union <= second.cells() else suppress(after, k, union)
        if new_first == first and new_second == second:
            return first, second
        first, second = new_first, new_second


@lru_cache(maxsize=32)
def _suppress(
    items: tuple[tuple[Cell, int], ...],
    k: int,
    forced: frozenset[Cell] = frozenset(),
    sizes: tuple[int, frozenset[Cell], frozenset[Cell]] = (0, frozenset(), frozenset()),
) -> Suppression:
    tables = _Tables(dict(items), k, sizes)
    counts, relations, primary = tables.counts, tables.relations, tables.primary
    hidden = set(primary) | set(forced)
    pending = sorted(primary)
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
        # Then all sums together: no primary count may follow from the linked tables.
        # Hiding more only widens every interval, so a cell found free stays free.
        while pending and not tables.fixed(pending[0], hidden):
            pending.pop(0)
        if not pending:
            break
        tables.protect(pending[0], hidden)
    return Suppression(k, frozenset(primary), frozenset(hidden - primary))


def _hide_sibling(kids: list[Cell], hidden: set[Cell], counts: dict[Cell, int]) -> bool:
    """Hide the smallest shown non-empty cell among ``kids``; False when there is none."""
    shown = sorted((c for c in kids if c not in hidden and counts[c]), key=lambda c: (counts[c], c))
    if not shown:
        return False
    hidden.add(shown[0])
    return True
