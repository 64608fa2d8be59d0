"""The published sums of linked tables, and the linear programmes over them that tell
whether a hidden count is determined by what is shown."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from audit.exceptions import ConfigError

__all__ = ["TOTAL", "Cell", "LinkedSums", "make_cell"]

Cell = tuple[tuple[str, ...], tuple[str, ...]]  # (attributes, group key)
TOTAL: Cell = ((), ())


def make_cell(attributes: Iterable[str], key: Iterable[str]) -> Cell:
    """A cell as (attributes, key), sorted by attribute."""
    pairs = sorted(zip(attributes, key, strict=True))
    return (tuple(a for a, _ in pairs), tuple(v for _, v in pairs))


class LinkedSums:
    """Every published sum of a set of counts (a group is the sum of its cells one attribute
    deeper, the total of each attribute's groups) and the exact check over them, for the
    cells no hypercube protects (see :class:`audit.privacy.cells.Lattice`)."""

    counts: dict[Cell, int]
    k: int
    min_size: int
    primary: set[Cell]

    def bounds(self, cell: Cell) -> tuple[int, int]:
        raise NotImplementedError

    # -- the exact check, for the cells no cube protects ---------------------------------

    @cached_property
    def members(self) -> list[tuple[Cell, ...]]:
        """Every published sum as (parent, *children): a parent cell is the sum of its
        children in one dimension (a group of race is the sum of its cells in race & sex,
        and separately of its cells in race & age). Built when a programme first needs it."""
        children: dict[tuple[Cell, tuple[str, ...]], list[Cell]] = {}
        for cell in self.counts:
            if cell == TOTAL:
                continue
            attributes, key = cell
            for i in range(len(attributes)):
                parent = (attributes[:i] + attributes[i + 1 :], key[:i] + key[i + 1 :])
                if parent in self.counts:
                    children.setdefault((parent, attributes), []).append(cell)
        return [(parent, *kids) for (parent, _), kids in children.items()]

    @cached_property
    def of(self) -> dict[Cell, list[int]]:
        """The sums (indices into :attr:`members`) each cell is in."""
        out: dict[Cell, list[int]] = {}
        for i, cells in enumerate(self.members):
            for c in cells:
                out.setdefault(c, []).append(i)
        return out

    def component(
        self, cell: Cell, hidden: set[Cell], radius: int | None = 1
    ) -> tuple[set[Cell], set[int]]:
        """The hidden cells near ``cell`` (linked to it through at most ``radius`` published
        sums; None: all) and every published sum that holds one of them.

        The programme treats the hidden cells further away as known: a reader knows less,
        so an interval found this way is never wider than the reader's, and a count found
        undetermined is undetermined (a count found fixed may be hidden more than needed).
        That holds because every sum a varied cell is in is a constraint of the programme."""
        cells, seen, frontier = {cell}, set(), [cell]
        steps = itertools.count() if radius is None else range(radius)
        for _ in steps:
            if not frontier:
                break
            nearer: list[Cell] = []
            for c in frontier:
                for i in self.of.get(c, ()):
                    if i in seen:
                        continue
                    seen.add(i)
                    for member in self.members[i]:
                        if member in hidden and member not in cells:
                            cells.add(member)
                            nearer.append(member)
            frontier = nearer
        # every sum that holds a varied cell, or the programme would let it move freely
        sums = {i for c in cells for i in self.of.get(c, ())}
        return cells, sums

    def _programme(self, unknown: set[Cell], sums: set[int]) -> tuple[list[Cell], Any, Any, Any]:
        """The published sums over ``unknown`` as ``A x = b`` (sparse), with the bounds a reader
        knows of each unknown cell."""
        import numpy as np
        from scipy.sparse import coo_array

        order = sorted(unknown)
        index = {c: i for i, c in enumerate(order)}
        entries: list[tuple[int, int, float]] = []  # (row, column, coefficient)
        b_eq = np.zeros(len(sums))
        for row, i in enumerate(sorted(sums)):
            parent, *kids = self.members[i]
            total = 0.0 if parent in unknown else float(self.counts[parent])
            if parent in unknown:
                entries.append((row, index[parent], -1.0))
            for c in kids:
                if c in unknown:
                    entries.append((row, index[c], 1.0))
                else:
                    total -= self.counts[c]
            b_eq[row] = total
        rows, cols, vals = zip(*entries, strict=True) if entries else ((), (), ())
        a_eq: Any = coo_array((vals, (rows, cols)), shape=(len(sums), len(order))).tocsr()
        return order, a_eq, b_eq, [self.bounds(c) for c in order]

    def interval(
        self, cell: Cell, hidden: set[Cell], radius: int | None = 1
    ) -> tuple[float, float] | None:
        """The least and greatest count of ``cell`` consistent with the published sums and the
        bounds a reader knows: a linear programme over the hidden cells near it (see
        :meth:`component`), on a sparse matrix (``None`` when it cannot be solved)."""
        import numpy as np
        from scipy.optimize import linprog

        order, a_eq, b_eq, bounds = self._programme(*self.component(cell, hidden, radius))
        objective = np.zeros(len(order))
        objective[order.index(cell)] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if low.status == 0 and high.status == 0 and low.fun is not None and high.fun is not None:
            return (float(low.fun), -float(high.fun))
        return None

    def open_cells(self, cells: list[Cell], hidden: set[Cell], rounds: int = 8) -> set[Cell]:
        """The cells of ``cells`` shown to be undetermined, all at once: any table that fits
        everything published gives a proof for each of its cells that differs from the true
        count by a row or more. Two programmes over every hidden cell, pushing each of
        ``cells`` up in one and down in the other (one way or the other chosen at random),
        find such tables; a cell neither moves is not shown open (nor fixed)."""
        import numpy as np
        from scipy.optimize import linprog

        if not cells:
            return set()
        sums = {i for c in hidden for i in self.of.get(c, ())}
        order, a_eq, b_eq, bounds = self._programme(set(hidden), sums)
        index = {c: i for i, c in enumerate(order)}
        true = np.array([self.counts[c] for c in order], dtype=float)
        rng = np.random.default_rng(0)
        found: set[Cell] = set()
        left = list(cells)
        for _ in range(rounds):  # new directions for the cells not yet shown open
            signs = rng.choice((-1.0, 1.0), len(left))
            before = len(found)
            for flip in (1.0, -1.0):
                objective = np.zeros(len(order))
                for c, sign in zip(left, signs, strict=True):
                    objective[index[c]] = -sign * flip  # linprog minimises
                solved = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
                if solved.status != 0 or solved.x is None:
                    continue
                for c in left:
                    if abs(solved.x[index[c]] - true[index[c]]) >= 1 - 1e-6:
                        found.add(c)
            left = [c for c in left if c not in found]
            if not left or len(found) == before:
                break
        return found

    def fixed(self, cell: Cell, hidden: set[Cell], radii: tuple[int | None, ...] = (2, 4)) -> bool:
        """True when one whole number of rows fits (or a programme failed: no proof). The
        programme grows from the cells next to ``cell`` through ``radii`` (None: all the
        hidden cells linked to it), and stops at the first that leaves the count open. A
        count fixed at a small radius may be open at a larger one: then it is hidden more
        than needed, never less."""
        if not self._fixed_near(cell, hidden):
            return False
        for radius in radii:
            interval = self.interval(cell, hidden, radius)
            if interval is not None and math.floor(interval[1] + 1e-6) > math.ceil(
                interval[0] - 1e-6
            ):
                return False
        return True

    def settle(self, cell: Cell, hidden: set[Cell]) -> bool:
        """Hide cells beside ``cell`` until its count is open (True), or give up after
        :data:`_ROUNDS` rounds (False: no report is written). Each round looks within four
        sums of the cell (a programme over every linked cell took 15-30 s at 5 and 6
        attributes); before giving up, over every linked cell."""
        for _ in range(_ROUNDS):
            if not self.fixed(cell, hidden):
                return True
            if not self.protect(cell, hidden):
                break
        return not self.fixed(cell, hidden, (2, 4, None))

    def protect(self, cell: Cell, hidden: set[Cell]) -> bool:
        """Hide the smallest linked cell whose hiding leaves ``cell`` undetermined (or, when no
        single one does, the smallest linked cells, and look again); False when there is
        nothing left to hide near it."""
        _, sums = self.component(cell, hidden, 2)
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
        if not ordered:  # everything near is hidden: look further
            _, sums = self.component(cell, hidden, None)
            further = {
                (self.counts[c], c)
                for i in sums
                for c in self.members[i]
                if c not in hidden and c != TOTAL and self.counts[c]
            }
            ordered = [c for _, c in sorted(further)]
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
            return False
        for candidate in ordered[:_TRIALS]:
            if not self._fixed_near(cell, hidden | {candidate}):
                hidden.add(candidate)
                return True
        # No single cell will do: hide them in that order until the count is open nearby.
        for candidate in ordered[:_MANY]:
            hidden.add(candidate)
            if not self._fixed_near(cell, hidden):
                break
        return True

    def _fixed_near(self, cell: Cell, hidden: set[Cell]) -> bool:
        interval = self.interval(cell, hidden, 1)
        return interval is None or math.floor(interval[1] + 1e-6) <= math.ceil(interval[0] - 1e-6)


_TRIALS = 5  # single cells tried by the linear programme before hiding several
_MANY = 200  # cells hidden together, at most, in one round of protect
_ROUNDS = 25  # rounds of protect before suppression gives up
