"""The worst-off subgroup scan against an independent computation: every group of every
combination counted with pandas, tested with scipy's chi-square, corrected with statsmodels'
Holm, intervals from statsmodels' Newcombe."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

import audit


def _data(n: int = 6000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "a": rng.choice(["a0", "a1", "a2"], n, p=[0.5, 0.3, 0.2]),
            "b": rng.choice(["b0", "b1"], n),
            "c": rng.choice(["c0", "c1", "c2"], n, p=[0.6, 0.35, 0.05]),
        }
    )
    logit = -0.2 - 0.9 * (df["a"] == "a2") - 0.6 * ((df["b"] == "b1") & (df["c"] == "c1"))
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return df


def _independent(df: pd.DataFrame, depth: int, min_size: int, alpha: float) -> pd.DataFrame:
    rows = []
    for size in range(1, depth + 1):
        for combo in itertools.combinations(["a", "b", "c"], size):
            for found, part in df.groupby(list(combo)):
                key = found if isinstance(found, tuple) else (found,)
                if len(part) < min_size:
                    continue
                rest = df.drop(part.index)
                x1, n1, x2, n2 = part["y"].sum(), len(part), rest["y"].sum(), len(rest)
                table = [[x1, n1 - x1], [x2, n2 - x2]]
                p = chi2_contingency(table, correction=False).pvalue
                name = ", ".join(f"{a} = {v}" for a, v in zip(combo, key, strict=True))
                rows.append({"name": name, "x1": x1, "n1": n1, "x2": x2, "n2": n2, "p": p})
    out = pd.DataFrame(rows)
    out["holm"] = multipletests(out["p"], method="holm")[1]
    m = len(out)
    out["rank"] = out["p"].rank(method="first").astype(int) - 1
    out["level"] = 1 - alpha / (m - out["rank"])
    return out


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_scan_matches_scipy_and_statsmodels(depth):
    df = _data()
    result = audit.audit(df, sensitive_features=["a", "b", "c"], label="y", max_depth=depth)
    scan = result.worst_off
    expected = _independent(df, depth, 30, 0.05)
    assert scan.tested == len(expected)
    assert scan.correction == "holm"
    below = expected[(expected.x1 / expected.n1 < expected.x2 / expected.n2)]
    rows = []
    for r in below.itertuples():
        _, hi = confint_proportions_2indep(
            r.x1, r.n1, r.x2, r.n2, method="newcomb", compare="diff", alpha=1 - r.level
        )
        if r.holm < 0.05 and hi < 0:
            rows.append((hi, (r.x1 / r.n1) / (r.x2 / r.n2), r))
    rows.sort(key=lambda t: (t[0], t[1]))
    assert scan.significant == len(rows) > 0
    assert [g.name for g in scan.top] == [r.name for _, _, r in rows[:10]]
    for g, (hi, ratio, r) in zip(scan.top, rows, strict=False):
        assert g.n_labeled == r.n1
        assert g.rate.value == pytest.approx(r.x1 / r.n1, rel=1e-12)
        assert g.rest_rate == pytest.approx(r.x2 / r.n2, rel=1e-12)
        assert g.ratio_to_rest.value == pytest.approx(ratio, rel=1e-12)
        assert g.p_value == pytest.approx(r.p, rel=1e-9)
        assert g.p_adjusted == pytest.approx(r.holm, rel=1e-9)
        assert g.level == pytest.approx(r.level, rel=1e-12)
        assert g.difference_to_rest.ci_high == pytest.approx(hi, rel=1e-9)


def test_the_planted_groups_are_found():
    scan = audit.audit(_data(), sensitive_features=["a", "b", "c"], label="y").worst_off
    names = {g.name for g in scan.top}
    assert "a = a2" in names
    assert any("b = b1" in n and "c = c1" in n for n in names)


@pytest.mark.filterwarnings("ignore::audit.SmallGroupWarning")
def test_small_and_missing_groups_are_not_tested():
    df = _data()
    df.loc[:40, "c"] = None  # 41 rows with a missing value: a (missing) group, never listed
    df.loc[41:45, "y"] = 0
    result = audit.audit(df, sensitive_features=["a", "b", "c"], label="y", min_group_size=200)
    scan = result.worst_off
    assert all("(missing)" not in g.name for g in scan.top)
    assert all(g.n_labeled >= 200 for g in scan.top)
    counted = 0
    for size in (1, 2, 3):
        for combo in itertools.combinations("abc", size):
            sizes = df.dropna(subset=list(combo)).groupby(list(combo)).size()
            counted += int((sizes >= 200).sum())
    assert scan.tested == counted


def test_nothing_significant_gives_an_empty_list():
    df = pd.DataFrame({"g": np.repeat(["x", "y"], 200), "y": np.tile([0, 1], 200)})
    scan = audit.audit(df, sensitive_features="g", label="y").worst_off
    assert scan.tested == 2
    assert scan.top == ()
    assert scan.significant == 0


def test_round_trip_and_old_results():
    result = audit.audit(_data(), sensitive_features=["a", "b", "c"], label="y")
    again = audit.AuditResult.from_json(result.to_json())
    assert again.worst_off == result.worst_off
    data = result.to_dict()
    del data["worst_off"]  # a result written before the scan existed
    assert audit.AuditResult.from_dict(data).worst_off is None


def test_a_published_result_leaves_hidden_groups_out():
    from audit.privacy.publish import publish
    from audit.privacy.suppression import suppress

    result = audit.audit(_data(), sensitive_features=["a", "b", "c"], label="y")
    listed = result.worst_off.top
    target = listed[0]
    sup = suppress(result, k=target.n_labeled + 1)
    shown = publish(result, sup).worst_off.top
    assert target.name not in {g.name for g in shown}
    assert all(not sup.hidden(g.attributes, g.key) for g in shown)
