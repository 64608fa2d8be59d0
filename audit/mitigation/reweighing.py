"""Reweighing (Kamiran & Calders 2012) from the one grouped count, over any intersection."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from audit.exceptions import ConfigError, DataError
from audit.table import CrossTab

__all__ = ["CellWeight", "ReweighingPlan", "reweighing_plan"]


@dataclass(frozen=True)
class CellWeight:
    """One (group, label) cell: its rows, its weight before, and its reweighing factor.

    ``factor`` is NaN with a ``reason`` for a cell without rows (nothing to weigh there: the
    group's base rate is 0 or 1 and reweighing cannot change it).
    """

    key: tuple[str, ...]
    name: str
    favorable: bool
    n: int
    weight_before: float
    expected_weight: float
    factor: float
    reason: str | None = None


@dataclass(frozen=True)
class ReweighingPlan:
    """The weights table: a factor per (group, label) cell of the chosen attributes.

    A row's new weight is its old weight (1 when the data has none) times its cell's factor;
    rows without a cell (missing label, or a group dropped by ``missing="drop"``) keep their
    weight, and ``n_rows_unchanged`` counts them.
    """

    _serde_columns: ClassVar[tuple[str, ...]] = ("cells",)

    over: tuple[str, ...]  # the sensitive attributes whose intersection is balanced
    weight_column: str
    cells: tuple[CellWeight, ...]
    n_rows: int
    n_rows_unchanged: int
    empty_cells: tuple[str, ...]

    def factor(self, *key: str, favorable: bool) -> float:
        """The factor of the cell (group ``key``, favourable or not).

        Examples
        --------
        ``plan.factor("Female", favourable=True)``.
        """
        for cell in self.cells:
            if cell.key == tuple(key) and cell.favorable == favorable:
                return cell.factor
        raise ConfigError(
            f"No cell with that key among the {len(self.cells)} cells of "
            f"'{' & '.join(self.over)}'. Hint: see .cells for the keys."
        )

    def mapping(self, flat_ids: Sequence[int]) -> tuple[list[int], list[float]]:
        """Cell ids (``group * 2 + favourable``) and factors of the cells that have rows."""
        ids: list[int] = []
        factors: list[float] = []
        for cell, flat in zip(self.cells, flat_ids, strict=True):
            if cell.n > 0 and not math.isnan(cell.factor):
                ids.append(int(flat) * 2 + int(cell.favorable))
                factors.append(cell.factor)
        return ids, factors


def reweighing_plan(
    ct: CrossTab, dims: Sequence[int], weight_column: str
) -> tuple[ReweighingPlan, list[int]]:
    """Compute the reweighing factors over the intersection of the attributes ``dims``.

    Returns the plan and, per cell, the flat id used to attach factors on the engine.

    Notes
    -----
    With :math:`W` sums of the existing sample weights (row counts when there are none),
    :math:`w(g, y) = P(g) P(y) / P(g, y) = W_g W_y / (W W_{g,y})`, AIF360's ``Reweighing``
    generalised to any number of groups. After reweighing, the weighted label distribution is
    the same in every group: statistical parity holds by construction, for the intersection
    and every attribute in it. Rows whose label is missing are left out of the probabilities
    and keep their weight.
    """
    m = ct.marginal(tuple(dims))
    assert m.flat_ids is not None
    w = m.w[:, :2]  # (G, [unfavourable, favourable]) over labelled rows
    n = m.n[:, :2]
    total = float(w.sum())
    label_totals = w.sum(axis=0)
    if total <= 0:
        raise DataError("No labelled rows with positive weight: nothing to reweigh.")
    if np.any(label_totals <= 0):
        raise DataError(
            "The label is constant (every labelled row has the same outcome): reweighing has "
            "nothing to balance. Hint: check the label column and the favourable value."
        )
    cells: list[CellWeight] = []
    flat_ids: list[int] = []
    empty: list[str] = []
    names = m.labels
    for g, key in enumerate(m.keys):
        group_weight = float(w[g].sum())
        if n[g].sum() == 0:
            continue  # an empty group (or intersection) has nothing to weigh
        for y, favorable in ((1, True), (0, False)):
            expected = group_weight * float(label_totals[y]) / total
            before = float(w[g, y])
            factor: float = math.nan
            reason: str | None = None
            if n[g, y] == 0:
                reason = (
                    "no rows in this cell: the group's base rate is "
                    f"{'0' if favorable else '1'} and reweighing cannot change it"
                )
                empty.append(f"{names[g]} / {'favourable' if favorable else 'unfavourable'}")
            elif before <= 0:
                reason = "the cell's rows have zero total weight"
            else:
                factor = expected / before
            cells.append(
                CellWeight(key, names[g], favorable, int(n[g, y]), before, expected, factor, reason)
            )
            flat_ids.append(int(m.flat_ids[g]))
    labelled = int(n.sum())
    plan = ReweighingPlan(
        over=m.attributes,
        weight_column=weight_column,
        cells=tuple(cells),
        n_rows=ct.n_rows,
        n_rows_unchanged=ct.n_rows - labelled,
        empty_cells=tuple(empty),
    )
    return plan, flat_ids
