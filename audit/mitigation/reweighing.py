"""Reweighing (Kamiran & Calders 2012) from the one grouped count, over any intersection."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from audit.exceptions import ConfigError, DataError
from audit.mitigation.methods import cell_ids, outcome_names
from audit.table import CrossTab

__all__ = ["CellWeight", "ReweighingPlan", "reweighing_plan"]


@dataclass(frozen=True)
class CellWeight:
    """One (group, label) cell: its rows, its weight before, and its reweighing factor.

    The cell's outcome is ``favorable`` (True or False) for a binary label, or the class
    ``label`` (``favorable`` None) for a multi-class label without a favourable value.
    ``factor`` is NaN with a ``reason`` for a cell without rows (nothing to weigh there:
    no row of the group has that outcome and reweighing cannot change it).
    """

    key: tuple[str, ...]
    name: str
    favorable: bool | None
    n: int
    weight_before: float
    expected_weight: float
    factor: float
    reason: str | None = None
    label: str | None = None


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
    classes: tuple[str, ...] = ()  # the label's classes when every class is balanced

    def factor(self, *key: str, favorable: bool | None = None, label: str | None = None) -> float:
        """The factor of the cell (group ``key``, favourable or not, or of class ``label``).

        Examples
        --------
        ``plan.factor("Female", favorable=True)``; ``plan.factor("Female", label="B")``.
        """
        for cell in self.cells:
            if cell.key == tuple(key) and (cell.favorable, cell.label) == (favorable, label):
                return cell.factor
        raise ConfigError(
            f"No cell with that key among the {len(self.cells)} cells of "
            f"'{' & '.join(self.over)}'. Hint: see .cells for the keys."
        )

    def mapping(self, flat_ids: Sequence[int]) -> tuple[list[int], list[float]]:
        """Cell ids (``group * K + outcome``, :func:`cell_ids`) and factors of the cells
        that have rows."""
        ids: list[int] = []
        factors: list[float] = []
        every = cell_ids(self.cells, self.classes, flat_ids)
        for cell, cell_id in zip(self.cells, every, strict=True):
            if cell.n > 0 and not math.isnan(cell.factor):
                ids.append(cell_id)
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
    and every attribute in it. A multi-class label without a favourable value has a factor
    per class (:math:`y` ranges over its K classes), so every group's class distribution
    becomes the overall one. Rows whose label is missing are left out of the probabilities
    and keep their weight.
    """
    m, n, w = ct.outcome_table(tuple(dims))  # (G, K) over labelled rows
    assert m.flat_ids is not None
    classes = ct.classes if ct.every_class else ()
    outcomes = outcome_names(classes)
    total = float(w.sum())
    label_totals = w.sum(axis=0)
    if total <= 0:
        raise DataError("No labelled rows with positive weight: nothing to reweigh.")
    if np.any(label_totals <= 0):
        raise DataError(
            "A label class has no labelled row with positive weight (or the label is "
            "constant): reweighing has nothing to balance. Hint: check the label column "
            "and the favourable value."
        )
    cells: list[CellWeight] = []
    flat_ids: list[int] = []
    empty: list[str] = []
    names = m.labels
    for g, key in enumerate(m.keys):
        group_weight = float(w[g].sum())
        if n[g].sum() == 0:
            continue  # an empty group (or intersection) has nothing to weigh
        for favorable, label in outcomes:
            y = classes.index(label) if label is not None else int(bool(favorable))
            expected = group_weight * float(label_totals[y]) / total
            before = float(w[g, y])
            factor: float = math.nan
            reason: str | None = None
            if n[g, y] == 0:
                if label is not None:
                    reason = (
                        "no rows in this cell: no row of the group has this class and "
                        "reweighing cannot change it"
                    )
                    empty.append(f"{names[g]} / class {label}")
                else:
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
                CellWeight(
                    key,
                    names[g],
                    favorable,
                    int(n[g, y]),
                    before,
                    expected,
                    factor,
                    reason,
                    label,
                )
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
        classes=classes,
    )
    return plan, flat_ids
