"""The published counts of one audit as linked tables: cells, the sums a reader sees, the
bounds a reader knows of a hidden cell, and the two ways of proving that a hidden count is
not determined by them (a hypercube of hidden cells, or a linear programme)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from audit.exceptions import ConfigError

__all__ = ["TOTAL", "Cell", "Lattice", "make_cell"]

Cell = tuple[tuple[str, ...], tuple[str, ...]]  # (attributes, group key)
TOTAL: Cell = ((), ())


def make_cell(attributes: Iterable[str], key: Iterable[str]) -> Cell:
    """A cell as (attributes, key), sorted by attribute."""
    pairs = sorted(zip(attributes, key, strict=True))
    return (tuple(a for a, _ in pairs), tuple(v for _, v in pairs))


Pattern = tuple[tuple[Cell, int], ...]  # cells and the sign of their change


class Lattice:
    """The published tables of one audit: every dimension's cells, which published
    dimensions contain which, and the bounds a reader knows of a hidden cell.

    A hidden count is safe when some other table of counts, equal to the published one in
    every shown cell and every published sum (a group is the sum of its cells in each
    intersection one attribute deeper, the total the sum of each attribute's groups), and
    within the bounds a reader knows of each hidden cell, gives it a different count. Such
    a table is found as a hypercube (Cox 1980; the method of tau-ARGUS's GHMITER): the
    cell and a partner value for each of its attributes span ``2^d`` cells whose counts
    change by +1 and -1 in turn, so every line of the table keeps its sum; in each published
    intersection deeper than the cell's, the same cube at fixed values of the extra
    attributes carries the change down. When every cell of the cube is hidden and can move
    by one row within its bounds, the count (and, moving a favourable or unfavourable row,
    the base rate) is not determined by anything published.
    """

    def __init__(
        self,
        counts: dict[Cell, int],
        classes: dict[Cell, tuple[int, int, int]],
        k: int,
        sizes: tuple[int, frozenset[Cell], frozenset[Cell]],
    ) -> None:
        self.counts, self.classes, self.k = counts, classes, k
        self.min_size, self.above, self.below = sizes
        # Empty cells (no rows) are shown as 0: there is nobody in them to protect.
        self.primary = {c for c, n in counts.items() if c != TOTAL and 0 < n < k}
        self.dims = sorted({c[0] for c in counts if c != TOTAL})
        values: dict[str, set[str]] = {}
        for attributes, key in counts:
            for a, v in zip(attributes, key, strict=True):
                values.setdefault(a, set()).add(v)
        self.values = {a: sorted(v) for a, v in values.items()}
        self._dimset = set(self.dims)
        self._above: dict[tuple[str, ...], list[tuple[str, ...]]] = {}

    def bounds(self, cell: Cell) -> tuple[int, int]:
        """The least and greatest count a reader knows a hidden cell can have."""
        low, high = (1, self.k - 1) if cell in self.primary else (self.k, self.counts[TOTAL])
        if cell in self.above:
            low = max(low, self.min_size)
        elif cell in self.below:
            high = min(high, self.min_size - 1)
        return low, high

    def n(self, attributes: tuple[str, ...], assign: dict[str, str]) -> tuple[Cell, int]:
        cell = (attributes, tuple(assign[a] for a in attributes))
        return cell, self.counts.get(cell, 0)

    def containing(self, varying: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The published dimensions that contain every attribute of ``varying``."""
        found = self._above.get(varying)
        if found is None:
            found = self._above[varying] = [b for b in self.dims if set(varying) <= set(b)]
        return found

    def pattern(
        self, varying: tuple[str, ...], start: dict[str, str], partner: dict[str, str]
    ) -> Pattern | None:
        """The cube over the attributes ``varying``, between their values in ``start`` and
        in ``partner``, in every published dimension that contains them, the other
        attributes at their ``start`` values; None when one of its cells is empty."""
        out = []
        for corner in itertools.product((0, 1), repeat=len(varying)):
            assign = dict(start)
            assign.update((a, partner[a]) for a, bit in zip(varying, corner, strict=True) if bit)
            sign = -1 if sum(corner) % 2 else 1
            for b in self.containing(varying):
                member, n = self.n(b, assign)
                if n == 0:
                    return None
                out.append((member, sign))
        return tuple(out)

    def moves(self, pattern: Pattern, cell: Cell) -> int | None:
        """How the counts can move by the pattern (one way or the other) within every
        cell's bounds: 0 moving one favourable or unfavourable row at a time in a way that
        changes ``cell``'s base rate, 1 changing its count only (every row around it has the
        same outcome, so the rate follows from the shown ones), None when they cannot."""
        own = self.classes.get(cell)
        if own is None:  # outcomes not known as whole counts: the count alone
            kinds: list[tuple[int | None, int]] = [(None, 0)]
        else:
            # Moving a favourable row changes the rate unless every row is favourable,
            # moving an unfavourable one unless none is; a row without a label only n.
            kinds = [(0, 0 if own[1] > 0 else 1), (1, 0 if own[0] > 0 else 1), (2, 1)]
            kinds.sort(key=lambda kind: kind[1])
        for kind, rank in kinds:
            for direction in (1, -1):
                if all(self._fits(c, sign * direction, kind) for c, sign in pattern):
                    return rank
        return None

    def _fits(self, cell: Cell, change: int, kind: int | None) -> bool:
        low, high = self.bounds(cell)
        if not low <= self.counts[cell] + change <= high:
            return False
        if kind is None:
            return True
        outcomes = self.classes[cell]
        if change < 0 and outcomes[kind] < 1:
            return False
        if kind == 2:
            return True
        # whether a group reaches min_group_size is about its labelled rows
        labelled = outcomes[0] + outcomes[1] + change
        if cell in self.above:
            return labelled >= self.min_size
        return not (cell in self.below and labelled >= self.min_size)

    def witness(self, cell: Cell, hidden: set[Cell]) -> tuple[Cell, ...] | None:
        """The cells to hide besides ``hidden`` for the cheapest cube that protects ``cell``
        (None when none is found among the candidates tried).

        The cube may vary all of the cell's attributes or only some (``varying``): then it
        lies in the tables of those, at the cell's values of the others, and carries the
        change up into the groups the cell belongs to, which are hidden with it."""
        attributes, key = cell
        own = dict(zip(attributes, key, strict=True))
        best: tuple[tuple[int, int, int], tuple[Cell, ...]] | None = None
        for size in range(len(attributes), 0, -1):
            for varying in itertools.combinations(attributes, size):
                found = self._cheapest(cell, own, varying, hidden)
                if found is not None and (best is None or found[0] < best[0]):
                    best = found
                if best is not None and best[0][:2] == (0, 0):
                    return best[1]
        return None if best is None else best[1]

    def _cheapest(
        self,
        cell: Cell,
        own: dict[str, str],
        varying: tuple[str, ...],
        hidden: set[Cell],
    ) -> tuple[tuple[int, int, int], tuple[Cell, ...]] | None:
        attributes = cell[0]
        extras = sorted({a for b in self.containing(varying) for a in b} - set(attributes))
        options: list[list[tuple[str, str]]] = []
        for a in varying:  # partners: hidden first, then small (cheapest to hide)
            ranked = []
            for u in self.values[a]:
                if u == own[a]:
                    continue
                member, n = self.n(attributes, {**own, a: u})
                if n:
                    ranked.append((member not in hidden, n, u))
            ranked.sort()
            options.append([(a, u) for *_, u in ranked[:_PARTNERS]])
        for b in extras:  # values of the deeper attributes: where the cell's rows are
            deeper = tuple(sorted((*attributes, b)))
            by_rows: list[tuple[int, str]] = []
            for v in self.values[b]:
                # without that intersection published, the values in their order
                n = self.n(deeper, {**own, b: v})[1] if deeper in self._dimset else 1
                if n:
                    by_rows.append((-n, v))
            by_rows.sort()
            options.append([(b, v) for _, v in by_rows[:_DEEPER]])
        best: tuple[tuple[int, int, int], tuple[Cell, ...]] | None = None
        for combo in itertools.product(*options):
            partner = dict(combo[: len(varying)])
            start = {**own, **dict(combo[len(varying) :])}
            pattern = self.pattern(varying, start, partner)
            rank = None if pattern is None else self.moves(pattern, cell)
            if pattern is None or rank is None:
                continue
            new = tuple(sorted({c for c, _ in pattern if c not in hidden}))
            cost = (rank, len(new), sum(self.counts[c] for c in new))
            if best is None or cost < best[0]:
                best = (cost, new)
                if cost[:2] == (0, 0):
                    break
        return best

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

    def fixed(self, cell: Cell, hidden: set[Cell]) -> bool:
        """True when one whole number of rows fits (or a programme failed: no proof). The
        programme grows from the cells next to ``cell`` to all the hidden cells linked to
        it, and stops at the first that leaves the count open."""
        if not self._fixed_near(cell, hidden):
            return False
        for radius in _RADII:
            interval = self.interval(cell, hidden, radius)
            if interval is not None and math.floor(interval[1] + 1e-6) > math.ceil(
                interval[0] - 1e-6
            ):
                return False
        return True

    def settle(self, cell: Cell, hidden: set[Cell]) -> bool:
        """Hide cells beside ``cell`` until its count is open (True), or give up after
        :data:`_ROUNDS` rounds (False: no report is written)."""
        for _ in range(_ROUNDS):
            if not self.fixed(cell, hidden):
                return True
            if not self.protect(cell, hidden):
                return False
        return not self.fixed(cell, hidden)

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
_RADII = (2, None)  # published sums between a cell and the hidden cells a programme varies
_MANY = 200  # cells hidden together, at most, in one round of protect
_ROUNDS = 25  # rounds of protect before suppression gives up

_PARTNERS = 3  # partner values tried per attribute of a cube
_DEEPER = 2  # values tried per deeper attribute a cube is carried into
