"""Small-cell suppression at scale, attacked by a linear programme over every published sum
(``attack`` in test_render, written from the published file alone, independent of
audit.privacy)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from audit import SmallGroupWarning, audit
from audit.privacy.suppression import suppress
from audit.report.render import render_html
from tests.report.test_render import FIXED, attack, true_cells


def quiet_audit(frame: pd.DataFrame, attrs: list[str], **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)  # small groups are the point here
        return audit(frame, sensitive_features=attrs, label="y", **options)


def skewed_frame(n: int, sizes: list[int], seed: int) -> pd.DataFrame:
    """Attributes with skewed value frequencies, so the deeper intersections are sparse;
    values are distinct across attributes (p0, q0, ...), so a name is a cell."""
    rng = np.random.default_rng(seed)
    columns = {}
    for i, size in enumerate(sizes):
        p = rng.dirichlet(np.full(size, 0.7))
        columns[f"a{i}"] = rng.choice([f"{chr(112 + i)}{j}" for j in range(size)], n, p=p)
    columns["y"] = rng.integers(0, 2, n)
    return pd.DataFrame(columns)


@pytest.mark.parametrize(("sizes", "n", "seed"), [([3, 4, 5, 6], 3000, 1), ([2, 5, 8], 1500, 2)])
def test_no_small_count_follows_from_four_linked_attributes(sizes, n, seed):
    frame = skewed_frame(n, sizes, seed)
    attrs = [f"a{i}" for i in range(len(sizes))]
    result = quiet_audit(frame, attrs, min_group_size=5)
    html = render_html(result, k=10, generated_at=FIXED)
    cells = true_cells(frame, attrs, min(3, len(attrs)))
    small = {c for c, count in cells.items() if count < 10}
    assert len(small) > 20, "the data must have many small cells for this test to mean anything"
    intervals = attack(html, cells, attrs, n, 10)
    assert set(intervals) == small
    for cell, (low, high) in intervals.items():
        assert math.floor(high + 1e-6) > math.ceil(low - 1e-6), (sorted(cell), low, high)


@pytest.mark.slow
def test_suppression_of_thousands_of_groups_completes():
    # 4 attributes of 5-16 values at depth 3: over 4,000 groups, hundreds of them small,
    # which the previous method's dense programmes did not finish in 150 s.
    frame = skewed_frame(200_000, [5, 8, 12, 16], 0)
    attrs = [f"a{i}" for i in range(4)]
    result = quiet_audit(frame, attrs)
    groups = sum(len(d.groups) for d in result.dimensions)
    assert groups > 4_000
    s = suppress(result, k=10)
    assert len(s.primary) > 300
    assert len(s.complementary) < groups // 2
