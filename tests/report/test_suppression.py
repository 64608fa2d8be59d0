"""Small-cell suppression at scale, attacked by a linear programme over every published sum.

The attacker is written here from the published file alone (the embedded JSON and the
'n<k' marks), independent of audit.privacy: it knows every cell that exists, every shown
count, that a hidden cell marked n<k has 1..k-1 rows and any other hidden cell at least k,
and which groups reach min_group_size. For each marked cell it solves for the least and
greatest count over all hidden cells at once.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog
from scipy.sparse import coo_array

from audit import SmallGroupWarning, audit
from audit.privacy.suppression import suppress
from audit.report.render import render_html
from tests.report.test_render import FIXED, embedded, tables


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


def true_cells(frame: pd.DataFrame, attrs: list[str], depth: int) -> dict[frozenset, int]:
    out = {}
    for r in range(1, depth + 1):
        for combo in itertools.combinations(attrs, r):
            for raw, n in frame.groupby(list(combo)).size().items():
                key = raw if isinstance(raw, tuple) else (raw,)
                out[frozenset(zip(combo, key, strict=True))] = int(n)
    return out


def attack(html: str, cells: dict[frozenset, int], attrs: list[str], total: int, k: int) -> dict:
    data = embedded(html)
    published = {}
    for d in data["dimensions"]:
        for g in d["groups"]:
            published[frozenset(zip(d["attributes"], g["key"], strict=True))] = g["n"]
    order = {a: i for i, a in enumerate(attrs)}

    def name(cell):  # the tables name a group by its values in attribute order
        return " & ".join(v for _, v in sorted(cell, key=lambda p: order[p[0]]))

    marked = {
        r[0][0]
        for t in tables(html)
        for r in t["rows"]
        if len(r) > 1 and r[1][0] == f"suppressed (n<{k})"
    }
    hidden = sorted((c for c in cells if c not in published), key=sorted)
    index = {c: i for i, c in enumerate(hidden)}
    by_size: dict[int, list[frozenset]] = {}
    for c in cells:
        by_size.setdefault(len(c), []).append(c)
    entries, rhs = [], []
    parents = [frozenset(), *cells]
    for parent in parents:
        for extra in attrs:
            if extra in {a for a, _ in parent}:
                continue
            kids = [c for c in by_size.get(len(parent) + 1, []) if parent < c]
            kids = [c for c in kids if extra in {a for a, _ in c}]
            if not kids:
                continue
            row = len(rhs)
            known = 0.0
            used = False
            for c in kids:
                if c in index:
                    entries.append((row, index[c], 1.0))
                    used = True
                else:
                    known += published[c]
            value = total if not parent else published.get(parent)
            if parent in index:
                entries.append((row, index[parent], -1.0))
                value = 0.0
                used = True
            if used:
                rhs.append(value - known)
    m = data["spec"]["min_group_size"]
    excluded = {n for d in data["dimensions"] for n in d["excluded_from_summary"]}

    def bound(c):
        low, high = (1, k - 1) if name(c) in marked else (k, total)
        return (low, min(high, m - 1)) if name(c) in excluded else (max(low, m), high)

    rows, cols, vals = zip(*entries, strict=True)
    a_eq = coo_array((vals, (rows, cols)), shape=(len(rhs), len(hidden))).tocsr()
    bounds = [bound(c) for c in hidden]
    out = {}
    for c in hidden:
        if name(c) not in marked:
            continue
        obj = np.zeros(len(hidden))
        obj[index[c]] = 1
        low = linprog(obj, A_eq=a_eq, b_eq=rhs, bounds=bounds, method="highs")
        high = linprog(-obj, A_eq=a_eq, b_eq=rhs, bounds=bounds, method="highs")
        assert low.status == 0, "the attacker's constraints hold for the true counts"
        assert high.status == 0
        out[c] = (low.fun, -high.fun)
    return out


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
