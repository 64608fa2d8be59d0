"""Cross-check biasaudit's numbers against independent implementations on real UCI Adult data.

Every expected value here comes from fairlearn, AIF360, scikit-learn or scipy (or a published
figure), never from biasaudit itself: when the two disagree, the test keeps asserting the
independent value.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from scipy import stats
from scipy.stats.contingency import relative_risk

import audit

# Cross-checks run fairlearn and AIF360 on the whole Adult data.
pytestmark = pytest.mark.slow

TOL = 1e-12
LABEL = "income"
FAVORABLE = ">50K"
UNFAVORABLE = "<=50K"
REFERENCE = {"sex": "Male", "race": "White"}
MIN_GROUP_SIZE = 30  # biasaudit's default min_group_size
ATTRIBUTES = ("sex", "race")
NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
CATEGORICAL = [
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native_country",
]


def _check_against_aif360(failures: list[str], where: str, g: Any, m: Any) -> None:
    """A group's DI, SPD and base rate against AIF360's BinaryLabelDatasetMetric ``m``."""
    _check(failures, f"disparate_impact[{where}]", g.disparate_impact_ratio.value,
           m.disparate_impact())  # fmt: skip
    _check(failures, f"statistical_parity_difference[{where}]",
           g.statistical_parity_difference.value, m.statistical_parity_difference())  # fmt: skip
    _check(failures, f"base_rate[{where}]", g.base_rate.value, m.base_rate(privileged=False))


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def y_train(train: pd.DataFrame) -> pd.Series:
    return (train[LABEL] == FAVORABLE).astype(int)


@pytest.fixture(scope="module")
def result(train: pd.DataFrame) -> audit.AuditResult:
    return audit.audit(
        train,
        sensitive_features=list(ATTRIBUTES),
        label=LABEL,
        favorable=FAVORABLE,
        reference=REFERENCE,
    )


@pytest.fixture(scope="module")
def results(train: pd.DataFrame, result: audit.AuditResult) -> dict[bool, audit.AuditResult]:
    """The audit of the training data, keyed by weighted (``sample_weight="fnlwgt"``) or not."""
    weighted = audit.audit(
        train,
        sensitive_features=list(ATTRIBUTES),
        label=LABEL,
        favorable=FAVORABLE,
        reference=REFERENCE,
        sample_weight="fnlwgt",
    )
    return {False: result, True: weighted}


def _close(ours: float, theirs: float, tol: float = TOL) -> bool:
    """Equal within ``tol``, or both NaN (an undefined value on both sides)."""
    if math.isnan(theirs) or math.isnan(ours):
        return math.isnan(theirs) and math.isnan(ours)
    return abs(ours - theirs) <= tol


def _check(failures: list[str], what: str, ours: float, theirs: float, tol: float = TOL) -> None:
    """Collect a disagreement (so one run reports all of them, with both values)."""
    if not _close(float(ours), float(theirs), tol):
        failures.append(
            f"{what}: ours={ours!r} independent={theirs!r} (diff={float(ours) - float(theirs):.3e})"
        )


def _assert_none(failures: list[str]) -> None:
    assert not failures, "disagreements with the independent implementation:\n" + "\n".join(
        failures
    )


def _key(k: object) -> tuple[str, ...]:
    return tuple(str(v) for v in k) if isinstance(k, tuple) else (str(k),)


# -- 1. base rates and demographic parity vs fairlearn -------------------------------------------
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "fnlwgt"])
@pytest.mark.parametrize("attribute", ATTRIBUTES)
def test_base_rates_and_demographic_parity_match_fairlearn(
    train, y_train, results, attribute, weighted
):
    r = results[weighted]
    weight = train["fnlwgt"].to_numpy(dtype=float) if weighted else None
    sf = train[attribute]
    frame = MetricFrame(
        metrics=selection_rate,
        y_true=y_train,
        y_pred=y_train,
        sensitive_features=sf,
        sample_params={"sample_weight": weight} if weighted else None,
    )
    d = r.dimension(attribute)
    failures: list[str] = []
    assert {g.key for g in d.groups} == {_key(k) for k in frame.by_group.index}
    for k, rate in frame.by_group.items():
        g = d.group(*_key(k))
        _check(failures, f"base_rate[{k}]", g.base_rate.value, rate)
        assert g.n == int((sf == k).sum())
    # Every sex / race group of Adult has >= 30 rows, so fairlearn's groups are ours.
    assert min(sf.value_counts()) >= MIN_GROUP_SIZE
    assert d.excluded_from_summary == ()
    _check(
        failures,
        "demographic_parity_ratio",
        d.demographic_parity_ratio.value,
        demographic_parity_ratio(y_train, y_train, sensitive_features=sf, sample_weight=weight),
    )
    _check(
        failures,
        "demographic_parity_difference",
        d.demographic_parity_difference.value,
        demographic_parity_difference(
            y_train, y_train, sensitive_features=sf, sample_weight=weight
        ),
    )
    _assert_none(failures)


def test_intersection_base_rates_and_demographic_parity_match_fairlearn(train, y_train, result):
    sf = train[["sex", "race"]]
    frame = MetricFrame(
        metrics=selection_rate, y_true=y_train, y_pred=y_train, sensitive_features=sf
    )
    d = result.dimension("sex", "race")
    failures: list[str] = []
    observed = {_key(k) for k in frame.by_group.index}
    assert observed <= {g.key for g in d.groups}
    for k, rate in frame.by_group.items():
        _check(failures, f"base_rate[{k}]", d.group(*_key(k)).base_rate.value, rate)
    # Groups with no rows (none on Adult) would exist only on our side, with n = 0.
    assert all(g.n == 0 for g in d.groups if g.key not in observed)

    # Our summary leaves out groups with n < 30: give fairlearn only the rows of larger groups.
    sizes = sf.assign(_n=1).groupby(["sex", "race"])["_n"].transform("size")
    big = (sizes >= MIN_GROUP_SIZE).to_numpy()
    small_groups = {_key(k) for k, n in sf.value_counts().items() if n < MIN_GROUP_SIZE}
    assert {tuple(name.split(" & ")) for name in d.excluded_from_summary} == small_groups
    y_big, sf_big = y_train[big], sf[big]
    _check(
        failures,
        "demographic_parity_ratio",
        d.demographic_parity_ratio.value,
        demographic_parity_ratio(y_big, y_big, sensitive_features=sf_big),
    )
    _check(
        failures,
        "demographic_parity_difference",
        d.demographic_parity_difference.value,
        demographic_parity_difference(y_big, y_big, sensitive_features=sf_big),
    )
    _assert_none(failures)


# -- 2. disparate impact / statistical parity vs AIF360 ------------------------------------------
@pytest.fixture(scope="module")
def aif360_metric_cls():
    # AIF360 reports missing optional packages (tensorflow, inFairness...) on import; keep any
    # warning it raises there from failing the run (pytest runs with filterwarnings=error).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pytest.importorskip("aif360")
        from aif360.datasets import BinaryLabelDataset
        from aif360.metrics import BinaryLabelDatasetMetric
    return BinaryLabelDataset, BinaryLabelDatasetMetric


@pytest.fixture(scope="module")
def codes(train: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Integer codes for each sensitive attribute's values (AIF360 needs numeric columns)."""
    return {a: {v: i for i, v in enumerate(sorted(train[a].unique()))} for a in ATTRIBUTES}


def _aif_dataset(train, codes, aif360_metric_cls, *, weighted: bool):
    binary_label_dataset, _ = aif360_metric_cls
    numeric = pd.DataFrame(
        {
            "sex": train["sex"].map(codes["sex"]).astype(float),
            "race": train["race"].map(codes["race"]).astype(float),
            "label": (train[LABEL] == FAVORABLE).astype(float),
            "fnlwgt": train["fnlwgt"].astype(float),
        }
    )
    return binary_label_dataset(
        df=numeric,
        label_names=["label"],
        protected_attribute_names=["sex", "race"],
        favorable_label=1.0,
        unfavorable_label=0.0,
        instance_weights_name="fnlwgt" if weighted else None,
    )


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "fnlwgt"])
def test_disparities_match_aif360(train, codes, aif360_metric_cls, results, weighted):
    _, metric_cls = aif360_metric_cls
    ds = _aif_dataset(train, codes, aif360_metric_cls, weighted=weighted)
    if weighted:
        assert np.array_equal(ds.instance_weights, train["fnlwgt"].to_numpy(dtype=float))
    else:
        assert np.all(ds.instance_weights == 1.0)
    r = results[weighted]
    failures: list[str] = []
    checked = 0
    for attribute in ATTRIBUTES:
        d = r.dimension(attribute)
        ref = REFERENCE[attribute]
        assert d.reference == (ref,)
        assert d.reference_rule == "given"
        for value, code in codes[attribute].items():
            if value == ref:
                continue
            m = metric_cls(
                ds,
                unprivileged_groups=[{attribute: code}],
                privileged_groups=[{attribute: codes[attribute][ref]}],
            )
            g = d.group(value)
            where = f"{attribute}={value}"
            _check_against_aif360(failures, where, g, m)
            _check(
                failures,
                f"base_rate[{attribute}={ref}]",
                d.group(ref).base_rate.value,
                m.base_rate(privileged=True),
            )
            checked += 1
    assert checked == (len(codes["sex"]) - 1) + (len(codes["race"]) - 1)
    _assert_none(failures)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "fnlwgt"])
def test_intersection_disparities_match_aif360(train, codes, aif360_metric_cls, results, weighted):
    _, metric_cls = aif360_metric_cls
    ds = _aif_dataset(train, codes, aif360_metric_cls, weighted=weighted)
    d = results[weighted].dimension("sex", "race")
    assert d.reference == ("Male", "White")
    privileged = [{"sex": codes["sex"]["Male"], "race": codes["race"]["White"]}]
    failures: list[str] = []
    for sex, sex_code in codes["sex"].items():
        for race, race_code in codes["race"].items():
            if (sex, race) == ("Male", "White"):
                continue
            m = metric_cls(
                ds,
                unprivileged_groups=[{"sex": sex_code, "race": race_code}],
                privileged_groups=privileged,
            )
            g = d.group(sex, race)
            where = f"{sex} & {race}"
            _check_against_aif360(failures, where, g, m)
    _assert_none(failures)


# -- 3. the published Adult figure ---------------------------------------------------------------
def test_published_adult_sex_disparity(train, result):
    # Adult training file, Female vs Male: 1,179 of 10,771 women and 6,662 of 21,790 men earn
    # >50K, giving DI 0.35802 and SPD -0.19628 (published rounded to 5 decimals, hence 5e-6).
    counts = pd.crosstab(train["sex"], train[LABEL])
    assert counts.loc["Female", FAVORABLE] == 1179
    assert counts.loc["Female"].sum() == 10771
    assert counts.loc["Male", FAVORABLE] == 6662
    assert counts.loc["Male"].sum() == 21790
    g = result.dimension("sex").group("Female")
    assert g.n == 10771
    assert g.disparate_impact_ratio.value == pytest.approx(0.35802, abs=5e-6)
    assert g.statistical_parity_difference.value == pytest.approx(-0.19628, abs=5e-6)


# -- 4. classification rates of a real model vs fairlearn / scikit-learn -------------------------
@pytest.fixture(scope="module")
def predicted(train: pd.DataFrame, test_split: pd.DataFrame) -> pd.DataFrame:
    """The test split with a ``pred`` column from a logistic regression fitted on train."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    def features(df: pd.DataFrame) -> pd.DataFrame:
        # Missing categoricals (UCI "?") as NaN in plain object columns for the imputer.
        out = df[NUMERIC + CATEGORICAL].copy()
        for c in CATEGORICAL:
            out[c] = out[c].astype(object).where(out[c].notna(), np.nan)
        return out

    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                CATEGORICAL,
            ),
        ]
    )
    model = make_pipeline(pre, LogisticRegression(max_iter=1000, random_state=0))
    model.fit(features(train), (train[LABEL] == FAVORABLE).astype(int))
    pred = model.predict(features(test_split))
    out = test_split.copy()
    out["pred"] = np.where(pred == 1, FAVORABLE, UNFAVORABLE)
    assert len(out) == 16281  # no rows dropped
    return out


@pytest.fixture(scope="module")
def prediction_results(predicted: pd.DataFrame) -> dict[bool, audit.AuditResult]:
    common = {
        "sensitive_features": list(ATTRIBUTES),
        "label": LABEL,
        "favorable": FAVORABLE,
        "reference": REFERENCE,
        "prediction": "pred",
    }
    return {
        False: audit.audit(predicted, **common),
        True: audit.audit(predicted, **common, sample_weight="fnlwgt"),
    }


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "fnlwgt"])
@pytest.mark.parametrize("attribute", ATTRIBUTES)
def test_classification_rates_match_fairlearn(predicted, prediction_results, attribute, weighted):
    from sklearn.metrics import precision_score

    y = (predicted[LABEL] == FAVORABLE).astype(int).to_numpy()
    p = (predicted["pred"] == FAVORABLE).astype(int).to_numpy()
    w = predicted["fnlwgt"].to_numpy(dtype=float) if weighted else None
    sf = predicted[attribute]
    metrics = {
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "false_negative_rate": false_negative_rate,
    }
    frame = MetricFrame(
        metrics=metrics,
        y_true=y,
        y_pred=p,
        sensitive_features=sf,
        sample_params={name: {"sample_weight": w} for name in metrics} if weighted else None,
    )
    d = prediction_results[weighted].dimension(attribute)
    assert min(sf.value_counts()) >= MIN_GROUP_SIZE  # fairlearn's groups are our summary's
    failures: list[str] = []
    for k, row in frame.by_group.iterrows():
        c = d.group(*_key(k)).classification
        assert c is not None
        for name in metrics:
            _check(failures, f"{name}[{k}]", getattr(c, name).value, row[name])
        mask = (sf == k).to_numpy()
        if p[mask].sum() > 0:
            ppv = precision_score(y[mask], p[mask], sample_weight=None if w is None else w[mask])
        else:
            ppv = math.nan
        _check(failures, f"positive_predictive_value[{k}]", c.positive_predictive_value.value, ppv)

    s = d.classification
    assert s is not None
    kw = {"sensitive_features": sf, "sample_weight": w}
    expected = {
        "demographic_parity_difference": demographic_parity_difference(y, p, **kw),
        "demographic_parity_ratio": demographic_parity_ratio(y, p, **kw),
        "equal_opportunity_difference": equal_opportunity_difference(y, p, **kw),
        "equal_opportunity_ratio": equal_opportunity_ratio(y, p, **kw),
        "equalized_odds_difference": equalized_odds_difference(y, p, agg="worst_case", **kw),
        "equalized_odds_ratio": equalized_odds_ratio(y, p, agg="worst_case", **kw),
    }
    for name, value in expected.items():
        _check(failures, name, getattr(s, name).value, value)
    # Predictive parity difference: max - min of the per-group precision.
    ppvs = [
        precision_score(
            y[(sf == k).to_numpy()],
            p[(sf == k).to_numpy()],
            sample_weight=None if w is None else w[(sf == k).to_numpy()],
        )
        for k in frame.by_group.index
    ]
    _check(
        failures,
        "predictive_parity_difference",
        s.predictive_parity_difference.value,
        max(ppvs) - min(ppvs),
    )
    _assert_none(failures)


# -- 5. intervals vs scipy -----------------------------------------------------------------------
def _non_reference_groups():
    return [("sex", "Female")] + [
        ("race", r) for r in ("Amer-Indian-Eskimo", "Asian-Pac-Islander", "Black", "Other")
    ]


@pytest.mark.parametrize(("attribute", "value"), _non_reference_groups())
def test_wilson_and_katz_intervals_match_scipy(train, result, attribute, value):
    fav = train[LABEL] == FAVORABLE
    in_group = train[attribute] == value
    in_ref = train[attribute] == REFERENCE[attribute]
    x1, n1 = int((fav & in_group).sum()), int(in_group.sum())
    x2, n2 = int((fav & in_ref).sum()), int(in_ref.sum())
    g = result.dimension(attribute).group(value)
    failures: list[str] = []

    wilson = stats.binomtest(x1, n1).proportion_ci(0.95, method="wilson")
    _check(failures, "base_rate.ci_low", g.base_rate.ci_low, wilson.low, 1e-9)
    _check(failures, "base_rate.ci_high", g.base_rate.ci_high, wilson.high, 1e-9)

    rr = relative_risk(x1, n1, x2, n2)
    katz = rr.confidence_interval(0.95)
    _check(
        failures, "disparate_impact.value", g.disparate_impact_ratio.value, rr.relative_risk, 1e-12
    )
    _check(failures, "disparate_impact.ci_low", g.disparate_impact_ratio.ci_low, katz.low, 1e-9)
    _check(failures, "disparate_impact.ci_high", g.disparate_impact_ratio.ci_high, katz.high, 1e-9)
    _assert_none(failures)
