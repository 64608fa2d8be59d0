"""Hand-made count tables for the metric unit tests."""

from __future__ import annotations

import numpy as np

from audit.table import Marginal


def marginal(
    groups: dict[str, tuple[int, int]],
    weights: dict[str, tuple[float, float]] | None = None,
    missing: dict[str, int] | None = None,
    confusion: dict[str, list[list[int]]] | None = None,
) -> Marginal:
    """A one-attribute Marginal: per group (unfavourable, favourable) counts, optional
    weights per cell (squares follow from equal weights within a cell), missing labels and a
    3x3 label x prediction confusion count."""
    names = list(groups)
    n = np.array([[groups[g][0], groups[g][1], (missing or {}).get(g, 0)] for g in names])
    if weights is None:
        w = n.astype(float)
        w2 = n.astype(float)
    else:
        per_row = np.array([[weights[g][0], weights[g][1], 1.0] for g in names])
        w = n * per_row
        w2 = n * per_row**2
    kwargs = {}
    if confusion is not None:
        cn = np.array([confusion[g] for g in names])
        kwargs = {
            "confusion_n": cn,
            "confusion_w": cn.astype(float),
            "confusion_w2": cn.astype(float),
        }
    return Marginal(("a",), tuple((g,) for g in names), n, w, w2, **kwargs)
