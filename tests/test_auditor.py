"""Properties that must hold for any data: invariances and interval sanity."""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audit
from audit.metrics.inference import Estimate
from tests.conftest import FIXED_TIME

# Hypothesis properties over many generated datasets.
pytestmark = pytest.mark.slow

GROUPS = ["a", "b", "c"]
COLORS = ["x", "y"]

rows = st.lists(
    st.tuples(
        st.sampled_from(GROUPS),
        st.sampled_from(COLORS),
        st.integers(0, 1),
        st.integers(0, 1),
        st.floats(0.1, 10.0, allow_nan=False, allow_infinity=False),
    ),
    min_size=2,
    max_size=80,
).filter(lambda data: any(row[2] == 1 for row in data))  # a favourable label must occur

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(df: pd.DataFrame, **kw) -> audit.AuditResult:
    # Generated data often has a single group: that warning is expected here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", audit.AuditWarning)
        return audit.audit(
            df,
            sensitive_features=["g", "c"],
            label="y",
            favorable=1,
            prediction="p",
            min_group_size=1,
            created_at=FIXED_TIME,
            **kw,
        )


def to_frame(data) -> pd.DataFrame:
    return pd.DataFrame(data, columns=["g", "c", "y", "p", "w"])


def estimates(result: audit.AuditResult):
    for d in result.dimensions:
        yield d.demographic_parity_ratio
        yield d.demographic_parity_difference
        for g in d.groups:
            yield from (
                g.share,
                g.base_rate,
                g.disparate_impact_ratio,
                g.statistical_parity_difference,
            )
            if g.classification is not None:
                c = g.classification
                yield from (
                    c.selection_rate,
                    c.true_positive_rate,
                    c.false_positive_rate,
                    c.false_negative_rate,
                    c.positive_predictive_value,
                )
        if d.classification is not None:
            s = d.classification
            yield from (
                s.demographic_parity_ratio,
                s.equal_opportunity_ratio,
                s.equalized_odds_ratio,
                s.equalized_odds_difference,
                s.predictive_parity_difference,
            )


def close(a: dict | list | float, b: dict | list | float, tol: float = 1e-9) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    return a == b


def numbers(result: audit.AuditResult) -> dict:
    out = result.to_dict(layout="rows")
    for volatile in ("source", "versions", "created_at", "spec"):
        out.pop(volatile)
    return out


@SETTINGS
@given(rows, st.randoms(use_true_random=False))
def test_row_order_changes_nothing(data, rnd):
    df = to_frame(data)
    shuffled = df.sample(frac=1.0, random_state=rnd.randint(0, 2**31)).reset_index(drop=True)
    assert close(numbers(run(df)), numbers(run(shuffled)))


@SETTINGS
@given(rows)
def test_renaming_groups_changes_nothing_but_names(data):
    df = to_frame(data)
    # A bijection that also reverses the sort order of the names.
    renamed = df.assign(g=df["g"].map({"a": "zz", "b": "yy", "c": "xx"}))
    a, b = run(df), run(renamed)
    for da, db in zip(a.dimensions, b.dimensions, strict=True):

        def key(g):
            rate = g.base_rate.value
            return (g.n, -1.0 if math.isnan(rate) else rate, g.share.value)

        va = sorted(key(g) for g in da.groups)
        vb = sorted(key(g) for g in db.groups)
        assert close([list(x) for x in va], [list(x) for x in vb])
        for name in ("demographic_parity_ratio", "demographic_parity_difference"):
            ea, eb = getattr(da, name), getattr(db, name)
            assert close([ea.value, ea.ci_low, ea.ci_high], [eb.value, eb.ci_low, eb.ci_high])


@SETTINGS
@given(rows, st.floats(0.01, 1000.0))
def test_scaling_weights_changes_nothing(data, factor):
    df = to_frame(data)
    scaled = df.assign(w=df["w"] * factor)
    a = numbers(run(df, sample_weight="w"))
    b = numbers(run(scaled, sample_weight="w"))
    a.pop("total_weight"), b.pop("total_weight")
    for dim in a["dimensions"] + b["dimensions"]:
        for g in dim["groups"]:
            g.pop("weight")
    assert close(a, b, tol=1e-7)


@SETTINGS
@given(rows)
def test_summary_ratios_in_unit_interval(data):
    result = run(to_frame(data))
    for d in result.dimensions:
        ratios = [d.demographic_parity_ratio]
        if d.classification is not None:
            ratios += [
                d.classification.demographic_parity_ratio,
                d.classification.equal_opportunity_ratio,
                d.classification.equalized_odds_ratio,
            ]
        for r in ratios:
            assert math.isnan(r.value) or 0.0 <= r.value <= 1.0
        diff = d.demographic_parity_difference
        assert math.isnan(diff.value) or 0.0 <= diff.value <= 1.0


@SETTINGS
@given(rows, st.booleans())
def test_every_interval_contains_its_estimate(data, weighted):
    result = run(to_frame(data), sample_weight="w" if weighted else None)
    for e in estimates(result):
        assert isinstance(e, Estimate)
        if math.isnan(e.value):
            assert e.reason, "an undefined value must say why"
            continue
        if math.isnan(e.ci_low) or math.isnan(e.ci_high):
            assert e.reason, "an undefined interval must say why"
            continue
        assert e.ci_low <= e.value <= e.ci_high


@SETTINGS
@given(rows)
def test_intersections_marginalise_to_attributes(data):
    result = run(to_frame(data))
    joint = result.dimension("g", "c")
    single = result.dimension("g")
    for g in single.groups:
        parts = [j for j in joint.groups if j.key[0] == g.key[0]]
        assert sum(j.n for j in parts) == g.n
