"""Resampling plans (uniform and preferential, Kamiran & Calders 2012) and the row keys that
make them exact and reproducible on every engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from audit.exceptions import ConfigError, DataError
from audit.mitigation.methods import (
    RESAMPLING_METHODS,
    cell_ids,
    check_method,
    check_size,
    outcome_names,
)
from audit.table import CrossTab

__all__ = [
    "PRIME",
    "CellPlan",
    "ResamplingPlan",
    "key_parameters",
    "multiplicities",
    "preferential_direction",
    "resampling_plan",
    "resolve_seed",
    "row_keys",
]


PRIME = 2_147_483_579
"""A prime below 2**31 with PRIME % 3 == 2, so cubing is a bijection modulo PRIME."""


@dataclass(frozen=True)
class CellPlan:
    """How many rows one (group, label) cell has and how many it gets. Its outcome is
    ``favorable`` for a binary label, or the class ``label`` (``favorable`` None)."""

    key: tuple[str, ...]
    name: str
    favorable: bool | None
    n: int
    expected_share: float
    target: int
    label: str | None = None


@dataclass(frozen=True)
class ResamplingPlan:
    """The target size of every (group, label) cell, and how rows were chosen.

    Rows without a cell (missing label, a group dropped by ``missing="drop"``) are kept once
    and counted in ``n_rows_unchanged``.
    """

    _serde_columns: ClassVar[tuple[str, ...]] = ("cells",)

    method: str
    over: tuple[str, ...]  # the sensitive attributes whose intersection is balanced
    size: str
    random_state: int
    cells: tuple[CellPlan, ...]
    n_rows_before: int
    n_rows_after: int
    n_rows_unchanged: int
    classes: tuple[str, ...] = ()  # the label's classes when every class is balanced

    def target(self, *key: str, favorable: bool | None = None, label: str | None = None) -> int:
        """The target of the cell (group ``key``, favourable or not, or of class ``label``)."""
        for cell in self.cells:
            if cell.key == tuple(key) and (cell.favorable, cell.label) == (favorable, label):
                return cell.target
        raise ConfigError(f"No cell with that key among the {len(self.cells)} cells.")


def _round_to_total(values: npt.NDArray[np.float64], total: int) -> npt.NDArray[np.int64]:
    """Largest-remainder rounding: integers that sum to ``total`` and differ from ``values``
    by less than 1 each."""
    floors = np.floor(values).astype(np.int64)
    short = total - int(floors.sum())
    order = np.argsort(-(values - floors), kind="stable")
    floors[order[:short]] += 1
    return floors


def resampling_plan(
    ct: CrossTab,
    dims: Sequence[int],
    *,
    method: str,
    size: str,
    random_state: int,
    weighted: bool,
) -> tuple[ResamplingPlan, list[int]]:
    """Target counts ``N' P(g) P(y)`` per cell, with ``N'`` set by the size policy.

    Notes
    -----
    With :math:`n_{g,y}` the rows of a cell, :math:`P(g) = n_g / n` and :math:`P(y) = n_y / n`
    over labelled rows, the target of a cell is :math:`N' P(g) P(y)`, rounded so the targets
    add up to :math:`N'`: ``keep`` uses :math:`N' = n`; ``oversample`` the smallest
    :math:`N'` at which no cell loses rows, :math:`\\max n_{g,y} / (P(g)P(y))`;
    ``undersample`` the largest at which no cell gains rows, :math:`\\min n_{g,y} /
    (P(g)P(y))`. Group shares and the overall base rate are kept; within every group the base
    rate becomes the overall one. For a multi-class label without a favourable value,
    :math:`y` ranges over its classes: every group's class distribution becomes the overall
    one.
    """
    check_method(method, RESAMPLING_METHODS)
    check_size(size)
    if weighted:
        raise ConfigError(
            "Resampling draws rows and ignores sample weights; this spec has a sample_weight. "
            "Hint: use method='reweighing', which multiplies the existing weights."
        )
    m, counts, _ = ct.outcome_table(tuple(dims))
    assert m.flat_ids is not None
    classes = ct.classes if ct.every_class else ()
    if classes and method == "preferential":
        raise ConfigError(
            "Preferential resampling ranks rows by how close they are to the favourable "
            "outcome; this multi-class label has no favourable value. Hint: use "
            "method='uniform' or 'reweighing', or pass favorable=[...]."
        )
    n = counts.astype(np.float64)  # (G, K) over labelled rows
    present = n.sum(axis=1) > 0
    n = n[present]
    keys = [k for k, p in zip(m.keys, present, strict=True) if p]
    names = [name for name, p in zip(m.labels, present, strict=True) if p]
    flat = m.flat_ids[present]
    total = float(n.sum())
    label_share = n.sum(axis=0) / total
    if np.any(label_share <= 0):
        raise DataError(
            "A label class has no labelled row (or the label is constant): resampling has "
            "nothing to balance. Hint: check the label column and the favourable value."
        )
    expected = np.outer(n.sum(axis=1) / total, label_share)  # P(g) P(y)
    empty = [(g, y) for g in range(len(keys)) for y in range(n.shape[1]) if n[g, y] == 0]
    if empty:
        raise DataError(
            f"{len(empty)} (group, label) cell(s) have no rows, so no row can be drawn for them "
            "(e.g. a group in which every label is the same, or no row has one of the label's "
            "classes). Hint: resample over fewer "
            "attributes, or use method='reweighing', which reports such cells."
        )
    if size == "keep":
        new_total = total
    elif size == "oversample":
        new_total = float((n / expected).max())
    else:
        new_total = float((n / expected).min())
    targets = _round_to_total((expected * new_total).ravel(), round(new_total)).reshape(n.shape)
    cells: list[CellPlan] = []
    flat_ids: list[int] = []
    for g, key in enumerate(keys):
        for favorable, label in outcome_names(classes):
            y = classes.index(label) if label is not None else int(bool(favorable))
            cells.append(
                CellPlan(
                    key,
                    names[g],
                    favorable,
                    int(n[g, y]),
                    float(expected[g, y]),
                    int(targets[g, y]),
                    label,
                )
            )
            flat_ids.append(int(flat[g]))
    labelled = int(total)
    plan = ResamplingPlan(
        method=method,
        over=m.attributes,
        size=size,
        random_state=random_state,
        cells=tuple(cells),
        n_rows_before=ct.n_rows,
        n_rows_after=int(targets.sum()) + ct.n_rows - labelled,
        n_rows_unchanged=ct.n_rows - labelled,
        classes=classes,
    )
    return plan, flat_ids


def resolve_seed(random_state: object) -> int:
    """A non-negative int seed; ``None`` draws one (to be recorded so it can be replayed)."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0] % (2**31))
    if (
        isinstance(random_state, bool)
        or not isinstance(random_state, int | np.integer)
        or random_state < 0
    ):
        raise ConfigError(
            f"random_state must be a non-negative integer or None; got {random_state!r}."
        )
    return int(random_state)


def key_parameters(random_state: int) -> tuple[int, int, int, int]:
    """Four multipliers / offsets modulo :data:`PRIME` drawn from ``random_state``."""
    rng = np.random.default_rng(random_state)
    a, b, c, d = (int(v) for v in rng.integers(1, PRIME, size=4))
    return a, b, c, d


def row_keys(positions: npt.NDArray[np.int64], random_state: int) -> npt.NDArray[np.int64]:
    """A pseudo-random permutation of row positions: unique keys, identical on every engine.

    Notes
    -----
    :math:`k = ((c\\,((a x + b)^3 \\bmod p) + d)^3 \\bmod p` with :math:`p` = :data:`PRIME`.
    Affine maps and cubing (since :math:`p \\equiv 2 \\pmod 3`) are bijections modulo
    :math:`p`, so distinct positions below :math:`p` get distinct keys; every intermediate
    product stays below :math:`2^{62}`, so int64 arithmetic (numpy, DuckDB's BIGINT) is exact.
    """
    a, b, c, d = key_parameters(random_state)
    x = (a * positions + b) % PRIME
    x = (x * x % PRIME) * x % PRIME
    x = (c * x + d) % PRIME
    return (x * x % PRIME) * x % PRIME


def multiplicities(
    cells: npt.NDArray[np.int32],
    order_key: npt.NDArray[np.float64] | None,
    plan: ResamplingPlan,
    flat_ids: Sequence[int],
) -> npt.NDArray[Any]:
    """How many times each row appears in the output (uint8 when every count fits).

    ``cells`` holds each row's cell id (-1: no cell, kept once). Within a cell of ``n`` rows
    and target ``t``, every row gets ``t // n`` copies and the ``t % n`` first-ranked rows
    one more; rows are ranked by ``order_key`` (preferential sampling), then by
    :func:`row_keys` of their position (unique, so the choice is exact). Each cell is ranked
    on its own.
    """
    most = max((c.target // c.n + 1 for c in plan.cells if c.n > 0), default=1)
    dtype = np.uint8 if most < 255 else np.int32  # 1 byte per row where every count fits
    out: npt.NDArray[np.integer[Any]] = np.ones(len(cells), dtype=dtype)
    # Few cells: one scan per cell (no extra memory). Many cells: one stable argsort groups
    # the rows by cell (an int64 per row) instead of scanning the rows once per cell.
    by_cell = np.argsort(cells, kind="stable") if len(plan.cells) > 64 else None
    sorted_cells = cells[by_cell] if by_cell is not None else None
    for cell, cell_id in zip(plan.cells, cell_ids(plan.cells, plan.classes, flat_ids), strict=True):
        if by_cell is None or sorted_cells is None:
            rows = np.flatnonzero(cells == cell_id)
        else:
            start, stop = np.searchsorted(sorted_cells, [cell_id, cell_id + 1])
            rows = by_cell[start:stop]
        if len(rows) != cell.n:
            raise DataError("The data changed between the grouped count and the resampling.")
        copies, extra = divmod(cell.target, cell.n)
        out[rows] = copies
        if extra == 0:
            continue
        if order_key is None:
            _add_to_smallest_keys(out, rows.astype(np.int64), extra, plan.random_state)
            continue
        keys = row_keys(rows.astype(np.int64), plan.random_state)
        first = np.lexsort((keys, order_key[rows]))[:extra]
        out[rows[first]] += 1
    return out


_CHUNK = 1 << 21


def _add_to_smallest_keys(
    out: npt.NDArray[np.integer[Any]], rows: npt.NDArray[np.int64], extra: int, random_state: int
) -> None:
    """``out[r] += 1`` for the ``extra`` rows of ``rows`` with the smallest :func:`row_keys`.

    The keys are unique, so the ``extra``-th smallest is a threshold that picks exactly
    those rows. Keys are computed in chunks (the hash has four int64 temporaries per row) and
    the threshold found in place, so a cell of 20M rows needs one int64 array beside its rows.
    """
    keys = np.empty(len(rows), dtype=np.int64)
    for start in range(0, len(rows), _CHUNK):
        keys[start : start + _CHUNK] = row_keys(rows[start : start + _CHUNK], random_state)
    keys.partition(extra - 1)
    threshold = int(keys[extra - 1])
    del keys
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        out[chunk[row_keys(chunk, random_state) <= threshold]] += 1


def preferential_direction(plan: ResamplingPlan, flat_ids: Sequence[int]) -> dict[int, float]:
    """Per cell id, the sign that makes ``sign * score`` rank rows in the order they are
    kept (undersampled cells: least borderline first) or duplicated (oversampled cells: most
    borderline first). Borderline rows are favourable rows with a low score and unfavourable
    rows with a high score (Kamiran & Calders 2012)."""
    out = {}
    ids = cell_ids(plan.cells, plan.classes, flat_ids)
    for cell, cell_id in zip(plan.cells, ids, strict=True):
        over = cell.target > cell.n
        # favourable & over: low scores first (+1); favourable & under: high scores first (-1)
        sign = 1.0 if over == cell.favorable else -1.0
        out[cell_id] = sign
    return out
