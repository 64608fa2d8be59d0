"""Small tables computed by hand; expected values written as fractions."""

from __future__ import annotations

import math
from fractions import Fraction as Fr

import pandas as pd
import pytest

import audit
from audit import AuditWarning, DataError, SmallGroupWarning


def frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def expand(spec: list[tuple[tuple, int]]) -> list[tuple]:
    """[(row, count), ...] -> rows repeated count times."""
    return [row for row, count in spec for _ in range(count)]


@pytest.fixture
def two_groups() -> pd.DataFrame:
    # F: 10 rows, 3 favourable; M: 20 rows, 10 favourable.
    rows = expand([(("F", 1), 3), (("F", 0), 7), (("M", 1), 10), (("M", 0), 10)])
    return frame(rows, ["sex", "y"])


def test_base_rates_di_spd(two_groups):
    r = audit.audit(two_groups, sensitive_features="sex", label="y", favorable=1, min_group_size=1)
    d = r.dimension("sex")
    f, m = d.group("F"), d.group("M")
    assert f.base_rate.value == pytest.approx(float(Fr(3, 10)), abs=1e-15)
    assert m.base_rate.value == pytest.approx(float(Fr(1, 2)), abs=1e-15)
    assert d.reference == ("M",)
    assert d.reference_rule == "most_favoured"
    assert f.disparate_impact_ratio.value == pytest.approx(float(Fr(3, 5)), abs=1e-15)
    assert f.statistical_parity_difference.value == pytest.approx(float(Fr(-1, 5)), abs=1e-15)
    assert d.demographic_parity_ratio.value == pytest.approx(float(Fr(3, 5)), abs=1e-15)
    assert d.demographic_parity_difference.value == pytest.approx(float(Fr(1, 5)), abs=1e-15)
    assert f.share.value == pytest.approx(float(Fr(1, 3)), abs=1e-15)
    assert (f.n, m.n, f.n_labeled) == (10, 20, 10)
    assert m.is_reference
    assert not f.is_reference


def test_given_reference_changes_direction(two_groups):
    r = audit.audit(
        two_groups,
        sensitive_features="sex",
        label="y",
        favorable=1,
        reference={"sex": "F"},
        min_group_size=1,
    )
    d = r.dimension("sex")
    assert d.reference_rule == "given"
    assert d.group("M").disparate_impact_ratio.value == pytest.approx(float(Fr(5, 3)))
    assert d.group("M").statistical_parity_difference.value == pytest.approx(float(Fr(1, 5)))
    # The summary does not depend on the reference: min / max stays 3/5.
    assert d.demographic_parity_ratio.value == pytest.approx(float(Fr(3, 5)))


def test_weighted_rates_and_kish():
    # F rows: (y=1, w=2), (y=0, w=1), (y=0, w=1); M rows: (y=1, w=1), (y=0, w=3)
    df = frame(
        [("F", 1, 2.0), ("F", 0, 1.0), ("F", 0, 1.0), ("M", 1, 1.0), ("M", 0, 3.0)],
        ["sex", "y", "w"],
    )
    r = audit.audit(
        df, sensitive_features="sex", label="y", favorable=1, sample_weight="w", min_group_size=1
    )
    d = r.dimension("sex")
    f, m = d.group("F"), d.group("M")
    assert f.base_rate.value == pytest.approx(float(Fr(2, 4)))
    assert m.base_rate.value == pytest.approx(float(Fr(1, 4)))
    assert f.share.value == pytest.approx(float(Fr(4, 8)))
    # Kish: (sum w)^2 / sum w^2 = 16 / 6 for F, 16 / 10 for M; whole data 64 / 16.
    assert f.n_effective == pytest.approx(float(Fr(16, 6)))
    assert m.n_effective == pytest.approx(float(Fr(16, 10)))
    assert r.n_effective == pytest.approx(4.0)
    assert f.weight == pytest.approx(4.0)
    assert m.disparate_impact_ratio.value == pytest.approx(float(Fr(1, 2)))


def test_intersection_is_a_marginalisation_with_empty_cells():
    # race x sex with one combination (B, M) absent.
    rows = expand(
        [
            (("A", "F", 1), 2),
            (("A", "F", 0), 2),
            (("A", "M", 1), 3),
            (("A", "M", 0), 1),
            (("B", "F", 1), 1),
            (("B", "F", 0), 3),
        ]
    )
    df = frame(rows, ["race", "sex", "y"])
    r = audit.audit(
        df, sensitive_features=["race", "sex"], label="y", favorable=1, min_group_size=1
    )
    d = r.dimension("race", "sex")
    assert [g.key for g in d.groups] == [("A", "F"), ("A", "M"), ("B", "F"), ("B", "M")]
    assert d.group("A", "M").base_rate.value == pytest.approx(float(Fr(3, 4)))
    empty = d.group("B", "M")
    assert empty.n == 0
    assert math.isnan(empty.base_rate.value)
    assert empty.base_rate.reason == "empty intersection"
    assert math.isnan(empty.disparate_impact_ratio.value)
    # Marginals agree with the one-attribute dimensions.
    assert r.dimension("race").group("B").base_rate.value == pytest.approx(float(Fr(1, 4)))
    assert r.dimension("sex").group("F").base_rate.value == pytest.approx(float(Fr(3, 8)))
    # Summary over non-empty groups: max 3/4 (A,M), min 1/4 (B,F).
    assert d.demographic_parity_ratio.value == pytest.approx(float(Fr(1, 3)))
    assert d.highest_group == "A & M"
    assert d.lowest_group == "B & F"


def test_group_without_favourable_outcomes_is_explicit():
    rows = expand([(("F", 0), 40), (("M", 1), 20), (("M", 0), 20)])
    r = audit.audit(frame(rows, ["sex", "y"]), sensitive_features="sex", label="y", favorable=1)
    f = r.dimension("sex").group("F")
    assert f.base_rate.value == 0.0
    assert f.disparate_impact_ratio.value == 0.0
    assert math.isnan(f.disparate_impact_ratio.ci_low)
    assert "Katz" in f.disparate_impact_ratio.reason


def test_reference_without_favourable_outcomes_gives_nan_with_reason():
    rows = expand([(("F", 0), 40), (("M", 1), 20), (("M", 0), 20)])
    r = audit.audit(
        frame(rows, ["sex", "y"]),
        sensitive_features="sex",
        label="y",
        favorable=1,
        reference={"sex": "F"},
    )
    m = r.dimension("sex").group("M")
    assert math.isnan(m.disparate_impact_ratio.value)
    assert "rate of 0" in m.disparate_impact_ratio.reason
    assert m.statistical_parity_difference.value == pytest.approx(0.5)


def test_min_group_size_flags_and_excludes_from_summary():
    rows = expand(
        [
            (("A", 1), 5),
            (("A", 0), 45),
            (("B", 1), 25),
            (("B", 0), 25),
            (("C", 1), 1),
            (("C", 0), 4),
        ]
    )
    with pytest.warns(SmallGroupWarning, match="min_group_size=30"):
        r = audit.audit(frame(rows, ["g", "y"]), sensitive_features="g", label="y", favorable=1)
    d = r.dimension("g")
    assert d.group("C").small
    assert not d.group("A").small
    assert d.excluded_from_summary == ("C",)
    # C (rate 1/5) is left out: min / max = (1/10) / (1/2) = 1/5.
    assert d.demographic_parity_ratio.value == pytest.approx(float(Fr(1, 5)))
    assert d.group("C").base_rate.value == pytest.approx(float(Fr(1, 5)))


def test_missing_policies():
    rows = expand([(("F", 1), 1), (("F", 0), 1), ((None, 1), 2), (("M", 0), 2)])
    df = frame(rows, ["sex", "y"])
    r = audit.audit(df, sensitive_features="sex", label="y", favorable=1, min_group_size=1)
    d = r.dimension("sex")
    assert [g.name for g in d.groups] == ["F", "M", "(missing)"]
    assert d.group("(missing)").n == 2
    assert r.missing_by_attribute == {"sex": 2}

    dropped = audit.audit(
        df, sensitive_features="sex", label="y", favorable=1, missing="drop", min_group_size=1
    )
    assert dropped.n_dropped_missing == 2
    assert dropped.n_rows == 6
    assert dropped.n_rows_audited == 4
    assert [g.name for g in dropped.dimension("sex").groups] == ["F", "M"]

    with pytest.raises(audit.DataError, match="'sex' \\(2 rows\\)"):
        audit.audit(df, sensitive_features="sex", label="y", favorable=1, missing="error")


def test_missing_label_rows_are_counted_not_used_for_rates():
    df = frame([("F", 1), ("F", None), ("F", 0), ("M", 1)], ["sex", "y"])
    r = audit.audit(df, sensitive_features="sex", label="y", favorable=1, min_group_size=1)
    f = r.dimension("sex").group("F")
    assert r.n_label_missing == 1
    assert (f.n, f.n_labeled) == (3, 2)
    assert f.base_rate.value == pytest.approx(0.5)
    assert f.share.value == pytest.approx(0.75)


def test_bins_are_right_open_and_keep_missing():
    ages = [18, 24, 25, 44, 45, 90, None]
    df = pd.DataFrame({"age": ages, "y": [1, 0, 1, 0, 1, 1, 0]})
    r = audit.audit(
        df,
        sensitive_features="age",
        label="y",
        favorable=1,
        bins={"age": [25, 45]},
        min_group_size=1,
    )
    groups = {g.name: g.n for g in r.dimension("age").groups}
    assert groups == {"<25": 2, "[25, 45)": 2, ">=45": 2, "(missing)": 1}


def test_prediction_rates_by_hand():
    # group F: TP 3, FN 1, FP 2, TN 4;  group M: TP 6, FN 2, FP 1, TN 11
    def cells(g, tp, fn, fp, tn):
        return [((g, 1, 1), tp), ((g, 1, 0), fn), ((g, 0, 1), fp), ((g, 0, 0), tn)]

    rows = expand(cells("F", 3, 1, 2, 4) + cells("M", 6, 2, 1, 11))
    df = frame(rows, ["sex", "y", "p"])
    r = audit.audit(
        df, sensitive_features="sex", label="y", favorable=1, prediction="p", min_group_size=1
    )
    d = r.dimension("sex")
    f, m = d.group("F").classification, d.group("M").classification
    assert f.true_positive_rate.value == pytest.approx(float(Fr(3, 4)))
    assert f.false_positive_rate.value == pytest.approx(float(Fr(2, 6)))
    assert f.false_negative_rate.value == pytest.approx(float(Fr(1, 4)))
    assert f.positive_predictive_value.value == pytest.approx(float(Fr(3, 5)))
    assert f.selection_rate.value == pytest.approx(float(Fr(5, 10)))
    assert m.true_positive_rate.value == pytest.approx(float(Fr(6, 8)))
    assert m.false_positive_rate.value == pytest.approx(float(Fr(1, 12)))
    assert m.selection_rate.value == pytest.approx(float(Fr(7, 20)))
    s = d.classification
    # TPR equal (3/4 both): equal opportunity difference 0, ratio 1.
    assert s.equal_opportunity_difference.value == pytest.approx(0.0)
    assert s.equal_opportunity_ratio.value == pytest.approx(1.0)
    # FPR 1/3 vs 1/12: difference 1/4, ratio 1/4 -> equalized odds takes the worse.
    assert s.equalized_odds_difference.value == pytest.approx(float(Fr(1, 4)))
    assert s.equalized_odds_ratio.value == pytest.approx(float(Fr(1, 4)))
    assert s.demographic_parity_difference.value == pytest.approx(float(Fr(1, 2) - Fr(7, 20)))
    # PPV 3/5 vs 6/7.
    assert s.predictive_parity_difference.value == pytest.approx(float(Fr(6, 7) - Fr(3, 5)))


def test_reference_population_ratio_and_goodness_of_fit():
    rows = expand([(("F", 1), 30), (("M", 1), 35), (("M", 0), 35)])
    r = audit.audit(
        frame(rows, ["sex", "y"]),
        sensitive_features="sex",
        label="y",
        favorable=1,
        reference_population={"sex": {"F": 0.5, "M": 0.5}},
    )
    d = r.dimension("sex")
    f = d.group("F")
    assert f.expected_share == 0.5
    assert f.representation_ratio.value == pytest.approx(float(Fr(3, 10) / Fr(1, 2)))
    # chi2 = (30 - 50)^2 / 50 + (70 - 50)^2 / 50 = 16, 1 dof
    assert d.goodness_of_fit.statistic == pytest.approx(16.0)
    assert d.goodness_of_fit.dof == 1


def test_favorable_inferred_for_boolean_and_01_labels():
    df = pd.DataFrame({"g": ["a", "b"] * 20, "y": [True, False, True, True] * 10})
    r = audit.audit(df, sensitive_features="g", label="y", min_group_size=1)
    assert r.favorable_values == ("True",)
    assert r.dimension("g").group("b").base_rate.value == pytest.approx(0.5)
    df01 = pd.DataFrame({"g": ["a", "b"] * 20, "y": [1, 0, 1, 1] * 10})
    r01 = audit.audit(df01, sensitive_features="g", label="y", min_group_size=1)
    assert r01.favorable_values == ("1",)


def test_several_favourable_values():
    df = pd.DataFrame({"g": ["a"] * 40 + ["b"] * 40, "y": ["x", "y", "z", "z"] * 20})
    r = audit.audit(df, sensitive_features="g", label="y", favorable=["x", "y"])
    assert r.dimension("g").group("a").base_rate.value == pytest.approx(0.5)


def test_reference_population_from_csv(tmp_path):
    path = tmp_path / "census.csv"
    path.write_text("attribute,group,share\nsex,F,0.5\nsex,M,0.5\n", encoding="utf-8")
    rows = expand([(("F", 1), 30), (("M", 1), 35), (("M", 0), 35)])
    r = audit.audit(
        frame(rows, ["sex", "y"]),
        sensitive_features="sex",
        label="y",
        favorable=1,
        reference_population=str(path),
    )
    assert r.spec.reference_population == {"sex": {"F": 0.5, "M": 0.5}}
    assert r.dimension("sex").goodness_of_fit.statistic == pytest.approx(16.0)
    bad = tmp_path / "bad.csv"
    bad.write_text("attr,group,share\n", encoding="utf-8")
    with pytest.raises(audit.ConfigError, match="expected attribute, group, share"):
        audit.AuditSpec(sensitive_features="sex", label="y", reference_population=bad)


def test_summaries_need_labelled_rows_not_just_rows():
    # a: 100 rows but only 2 labelled (both favourable); b: 100 labelled rows at 0.5.
    df = pd.DataFrame({"g": ["a"] * 100 + ["b"] * 100, "y": [1, 1] + [None] * 98 + [1, 0] * 50})
    r = audit.audit(df, sensitive_features="g", label="y", favorable=1)
    d = r.dimension("g")
    assert d.reference == ("b",)
    assert d.excluded_from_summary == ("a",)
    assert math.isnan(d.demographic_parity_ratio.value)


def test_intersection_reference_falls_back_with_a_warning():
    df = pd.DataFrame(
        {"s": ["a"] * 40 + ["b"] * 80, "t": ["x"] * 40 + ["x", "y"] * 40, "y": [1, 0] * 60}
    )
    with pytest.warns(AuditWarning, match="most favoured group is its reference instead"):
        r = audit.audit(
            df, sensitive_features=["s", "t"], label="y", reference={"s": "a", "t": "y"}
        )
    assert r.dimension("s").reference == ("a",)
    assert r.dimension("s", "t").reference_rule == "most_favoured"


def test_representation_ratio_ignores_missing_and_unlisted_groups():
    df = pd.DataFrame({"sex": ["F"] * 400 + ["M"] * 400 + [None] * 200, "y": [1, 0] * 500})
    r = audit.audit(
        df, sensitive_features="sex", label="y", reference_population={"sex": {"F": 0.5, "M": 0.5}}
    )
    d = r.dimension("sex")
    assert d.group("F").representation_ratio.value == pytest.approx(1.0)
    assert d.goodness_of_fit.statistic == pytest.approx(0.0)
    with (
        pytest.warns(AuditWarning, match="do not occur in the data"),
        pytest.warns(AuditWarning, match="not in its reference population"),
    ):
        audit.audit(
            df,
            sensitive_features="sex",
            label="y",
            reference_population={"sex": {"female": 0.5, "M": 0.5}},
        )


def test_missing_group_is_not_the_default_reference_nor_in_summaries():
    df = pd.DataFrame(
        {
            "g": ["a"] * 50 + ["b"] * 50 + [None] * 50,
            "y": [1, 0] * 25 + [1, 0, 0, 0, 0] * 10 + [1] * 50,
        }
    )
    r = audit.audit(df, sensitive_features="g", label="y")
    d = r.dimension("g")
    assert d.reference == ("a",)
    assert "(missing)" in d.excluded_from_summary
    assert d.demographic_parity_ratio.value == pytest.approx(0.2 / 0.5)


def test_reasons_say_what_is_wrong():
    df = pd.DataFrame(
        {
            "g": ["a"] * 40 + ["b"] * 40,
            "y": [1, 0] * 40,
            "w": [0.0] * 40 + [1.0] * 40,
            "p": [None] * 80,
        }
    )
    with pytest.warns(AuditWarning, match="'p' holds only missing values"):
        r = audit.audit(
            df,
            sensitive_features="g",
            label="y",
            sample_weight="w",
            prediction="p",
            min_group_size=1,
        )
    a = r.dimension("g").group("a")
    assert a.base_rate.reason == "the rows have zero total weight"
    assert a.classification.true_positive_rate.reason == "no rows with a prediction"
    with pytest.raises(DataError, match="'y' holds only missing values"):
        audit.audit(df.assign(y=None), sensitive_features="g", label="y", favorable=1)
    with pytest.raises(DataError, match="'y' holds only missing values"):
        audit.audit(df.assign(y=float("nan")), sensitive_features="g", label="y")


# -- how deep the intersections go -------------------------------------------------------------
def _four_attributes() -> pd.DataFrame:
    rows = [
        (a, b, c, d, (a + b + c + d) % 2)
        for a in range(2)
        for b in range(2)
        for c in range(2)
        for d in range(2)
        for _ in range(5)
    ]
    return pd.DataFrame(rows, columns=["a", "b", "c", "d", "y"]).astype(dict.fromkeys("abcd", str))


@pytest.mark.parametrize(
    ("max_depth", "n_dimensions", "deepest"),
    # k attributes: sum of C(k, j) for j <= depth; 4 attributes: 4 + 6 + 4 (+ 1 at depth 4)
    [({}, 14, 3), ({"max_depth": 3}, 14, 3), ({"max_depth": None}, 15, 4),
     ({"max_depth": "all"}, 15, 4), ({"max_depth": 1}, 4, 1), ({"max_depth": 2}, 10, 2),
     ({"max_depth": 9}, 15, 4)],
)  # fmt: skip
def test_default_depth_is_three(max_depth, n_dimensions, deepest):
    r = audit.audit(
        _four_attributes(), sensitive_features=list("abcd"), label="y", favorable=1, **max_depth
    )
    assert len(r.dimensions) == n_dimensions
    assert max(len(d.attributes) for d in r.dimensions) == deepest


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "deep", "3"])
def test_bad_depth_is_refused(bad):
    with pytest.raises(audit.ConfigError, match="max_depth must be a positive integer"):
        audit.audit(_four_attributes(), sensitive_features=list("abcd"), label="y", max_depth=bad)
