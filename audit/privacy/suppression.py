"""Small-cell suppression for reports: which groups' numbers may be shown.

A group with 1 to ``k - 1`` rows is suppressed (primary suppression), and so is an empty
group of an intersection (a 0 shown beside a small cell would pin it; a group of one
attribute, such as an empty bin, is shown as 0). A report also shows totals and every
intersection, so a hidden count could be worked out from what is shown: the total minus the
other groups of an attribute, a group minus the other cells of its row in an intersection,
or several such sums of linked tables solved together. So further groups are hidden
(complementary suppression) until, for every primary-suppressed group, another table of
counts exists that agrees with everything published (every shown count, every published sum,
the bounds a reader knows: ``0..k-1`` for a cell of an intersection marked "n<k" and
``1..k-1`` for a group of one attribute, ``>= k`` for a complementary one, and which groups
reach ``min_group_size``) and gives that group a different count and, where its rows'
outcomes allow, a different base rate. That other table is built as a hypercube of hidden
cells (see :class:`_Lattice`): a witness checked in time linear in the cube, so the
suppression of tens of thousands of groups takes seconds, where solving linear programmes
over all linked cells took minutes (and a dense matrix of tens of GiB at five attributes).

This protects the counts and base rates of the hidden groups. The base rates and shares of
shown groups are exact; the report is about groups, not individuals.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from audit.exceptions import ConfigError
from audit.privacy.cells import TOTAL, Cell, Lattice, make_cell
from audit.result import AuditResult
from audit.spec import MISSING_LABEL

__all__ = ["Suppression", "suppress", "suppress_pair"]


@dataclass(frozen=True)
class Suppression:
    """The cells of one audit that a report hides: ``primary`` (n < k) and ``complementary``."""

    k: int
    primary: frozenset[Cell]
    complementary: frozenset[Cell]

    def hidden(self, attributes: Iterable[str], key: Iterable[str]) -> bool:
        return make_cell(attributes, key) in self.primary | self.complementary

    def label(self, attributes: Iterable[str], key: Iterable[str]) -> str | None:
        """``"suppressed (n<k)"``, ``"suppressed (complementary)"`` or ``None`` (shown)."""
        cell = make_cell(attributes, key)
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


def _pairs(cell: Cell) -> list[tuple[str, str]]:
    return list(zip(cell[0], cell[1], strict=True))


def _counts(result: AuditResult) -> dict[Cell, int]:
    """Every cell's row count, and the grand total."""
    counts: dict[Cell, int] = {TOTAL: result.n_rows_audited}
    for d in result.dimensions:
        for g in d.groups:
            counts[make_cell(d.attributes, g.key)] = g.n
    return counts


def _classes(result: AuditResult) -> dict[Cell, tuple[int, int, int]]:
    """Each cell's rows by outcome (favourable, unfavourable, label missing), which a reader
    can work out of a shown group's base rate and n. Only without sample weights: a weighted
    rate does not give whole counts."""
    if result.spec.sample_weight is not None:
        return {}
    out: dict[Cell, tuple[int, int, int]] = {}
    for d in result.dimensions:
        for g in d.groups:
            rate = g.base_rate.value
            favorable = 0 if g.n_labeled == 0 or math.isnan(rate) else round(rate * g.n_labeled)
            out[make_cell(d.attributes, g.key)] = (
                favorable,
                g.n_labeled - favorable,
                g.n - g.n_labeled,
            )
    return out


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
    forced = frozenset(c for c in (make_cell(a, key) for a, key in also) if counts.get(c))
    # Audits with the same counts (before and after reweighing) share one pattern.
    outcomes = tuple(sorted(_classes(result).items()))
    return _suppress(tuple(sorted(counts.items())), k, forced, _sizes(result), outcomes)


def _sizes(result: AuditResult) -> tuple[int, frozenset[Cell], frozenset[Cell]]:
    """Which groups are known to reach min_group_size labelled rows (so at least that many
    rows) and, when no label is missing, which are known to fall short of it."""
    m = result.spec.min_group_size
    above, below = set(), set()
    for d in result.dimensions:
        for g in d.groups:
            if MISSING_LABEL in g.key or (g.n == 0 and len(d.attributes) == 1):
                continue  # the missing-value group is left out of summaries whatever its size
            cell = make_cell(d.attributes, g.key)  # an empty one is listed as left out too
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
    outcomes: tuple[tuple[Cell, tuple[int, int, int]], ...] = (),
) -> Suppression:
    lattice = Lattice(dict(items), dict(outcomes), k, sizes)
    hidden = set(lattice.primary) | set(forced) | lattice.empty
    if _protect_all(lattice, hidden):
        raise ConfigError(
            "A suppressed group's count follows from the published totals whatever else is "
            "hidden (every other group of an attribute is small, or the groups beside it are "
            "empty groups of one attribute, which are shown as 0). Hint: lower the "
            "suppression threshold k, audit fewer intersections (max_depth) or more rows."
        )
    marked = lattice.primary | lattice.empty  # both read "n<k"
    return Suppression(k, frozenset(marked), frozenset(hidden - marked))


def _protect_all(lattice: Lattice, hidden: set[Cell]) -> list[Cell]:
    """Hide cells until every small group of ``lattice`` is protected; the groups that
    could not be."""
    # First a cube for each small group (a proof checked in time linear in the cube)...
    pending = []
    for cell in sorted(lattice.primary):
        new = lattice.witness(cell, hidden)
        if new is None:
            pending.append(cell)
        else:
            hidden.update(new)
    # ...then, for those no cube protects, linear programmes: first a few over every hidden
    # cell at once, which leave most of them open; the rest one by one, hiding more around
    # each. Hiding more only widens every interval, so a cell found open stays open.
    shown_open = lattice.open_cells(pending, hidden)
    return [c for c in pending if c not in shown_open and not lattice.settle(c, hidden)]
