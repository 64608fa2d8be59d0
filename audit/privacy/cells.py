"""The published counts of one audit as linked tables: cells, the sums a reader sees, the
bounds a reader knows of a hidden cell, and the two ways of proving that a hidden count is
not determined by them (a hypercube of hidden cells, or a linear programme)."""

from __future__ import annotations

import itertools

from audit.privacy.sums import TOTAL, Cell, LinkedSums, make_cell

__all__ = ["TOTAL", "Cell", "Lattice", "make_cell"]


Pattern = tuple[tuple[Cell, int], ...]  # cells and the sign of their change


class Lattice(LinkedSums):
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
        self.primary = {c for c, n in counts.items() if c != TOTAL and 0 < n < k}
        # An empty cell of an intersection is hidden and marked like a small one (there is
        # nobody in it to protect, but a 0 shown beside a small cell pins it), so a cell
        # marked "n<k" there may hold 0 rows. An empty group of one attribute (a bin) is 0.
        self.empty = {c for c, n in counts.items() if n == 0 and len(c[0]) > 1}
        self.dims = sorted({c[0] for c in counts if c != TOTAL})
        values: dict[str, set[str]] = {}
        for attributes, key in counts:
            for a, v in zip(attributes, key, strict=True):
                values.setdefault(a, set()).add(v)
        self.values = {a: sorted(v) for a, v in values.items()}
        self._dimset = set(self.dims)
        self._above: dict[tuple[str, ...], list[tuple[str, ...]]] = {}

    def bounds(self, cell: Cell) -> tuple[int, int]:
        """The least and greatest count a reader knows a hidden cell can have: 0 (1 for a
        group of one attribute) to k - 1 when marked "n<k", at least k when complementary."""
        if cell in self.empty or cell in self.primary:
            low, high = (0 if len(cell[0]) > 1 else 1), self.k - 1
        else:
            low, high = self.k, self.counts[TOTAL]
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
        attributes at their ``start`` values; None when one of its cells is a shown 0."""
        out = []
        for corner in itertools.product((0, 1), repeat=len(varying)):
            assign = dict(start)
            assign.update((a, partner[a]) for a, bit in zip(varying, corner, strict=True) if bit)
            sign = -1 if sum(corner) % 2 else 1
            for b in self.containing(varying):
                member, n = self.n(b, assign)
                if n == 0 and member not in self.empty:
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


_PARTNERS = 3  # partner values tried per attribute of a cube
_DEEPER = 2  # values tried per deeper attribute a cube is carried into
