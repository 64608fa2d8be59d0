"""audit(..., health=True): the data-health checks in the result, equal to the functions called
on their own; bad input as typed errors or NaN with a reason; the CLI's --health."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from audit import AuditResult, audit
from audit.cli import cli
from audit.exceptions import AuditWarning, ConfigError
from audit.missingness import missingness
from audit.proxies import proxies
from audit.reconstruction import reconstruction

SPEC = {"sensitive_features": ["sex", "race"], "label": "income", "favorable": ">50K"}


@pytest.fixture(scope="module")
def healthy(marked) -> AuditResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)
        return audit(marked, na_values=["?"], health=True, **SPEC)


def test_the_result_holds_what_the_functions_give_on_their_own(healthy, marked, adult):
    h = healthy.health
    assert h is not None
    assert h.notes == ()
    assert h.missingness == missingness(marked, na_values=["?"], **SPEC)
    assert h.proxies == proxies(marked, na_values=["?"], **SPEC)
    assert h.reconstruction == reconstruction(marked, na_values=["?"], **SPEC)
    assert h.sample_rows == len(adult)  # fewer rows than proxy_sample: all of them
    # by hand: occupation is missing for 7.8 % of women and 4.6 % of men
    t = h.missingness.table("occupation", "sex")
    rates = adult["occupation"].isna().groupby(adult["sex"]).mean()
    got = {g.key[0]: g.rate.value for g in t.groups}
    assert got == pytest.approx(rates.to_dict(), rel=1e-12)
    assert got["Female"] > got["Male"]
    assert [(i.feature, i.target) for i in h.proxies.flagged()] == [("relationship", "sex")]


def test_health_round_trips_through_json(healthy):
    again = AuditResult.from_json(healthy.to_json())
    assert again.health == healthy.health
    assert json.loads(healthy.to_json())["schema_version"] == "2.2"
    plain = json.loads(audit(pd.DataFrame({"s": ["a", "b"] * 40, "y": [0, 1, 1, 0] * 20}),
                             sensitive_features="s", label="y").to_json())  # fmt: skip
    assert plain["health"] is None


def frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "y": rng.integers(0, 2, n),
            "age": rng.integers(18, 80, n),
            "city": rng.choice(list("abc"), n),
        }
    )


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"features": ["agee"]}, ConfigError, "Did you mean 'age'"),
        ({"features": ["sex"]}, ConfigError, "features names 'sex', a column with a role"),
        ({"features": ["y"]}, ConfigError, "features names 'y', a column with a role"),
        ({"features": []}, ConfigError, "features is empty"),
        ({"na_values": 5}, ConfigError, "na_values must be a list of strings"),
        ({"na_values": [5]}, ConfigError, "na_values must hold strings"),
        ({"proxy_sample": 10}, ConfigError, "proxy_sample must be an integer of at least 50"),
        ({"proxy_cramers_v": 0}, ConfigError, "proxy_cramers_v must be a number above 0"),
        ({"leakage_auc": 0.4}, ConfigError, "leakage_auc must be a number above 0.5"),
        ({"health": "yes"}, ConfigError, "health must be True or False"),
    ],
)
def test_bad_input_is_a_typed_error_naming_the_setting(options, error, message):
    with pytest.raises(error, match=message):
        audit(frame(), sensitive_features="sex", label="y", **{"health": True, **options})


def test_features_without_health_are_refused():
    with pytest.raises(ConfigError, match="health is off"):
        audit(frame(), sensitive_features="sex", label="y", features=["age"])


def test_groups_too_small_for_the_folds_are_counted_and_a_check_that_cannot_run_says_why():
    df = frame(200)
    df.loc[:2, "sex"] = "X"  # 3 rows: fewer than the 5 folds
    df.loc[:, "y"] = 0
    df.loc[:3, "y"] = 1  # 4 favourable rows: too few for 5 stratified folds
    with pytest.warns(AuditWarning, match="Label quality was not computed: Too few labelled"):
        out = audit(df, sensitive_features="sex", label="y", health=True, min_group_size=1)
    h = out.health
    sex = h.reconstruction_for("sex")
    assert (sex.left_out, sex.rows) == (3, 197)
    label = h.reconstruction_for("y")
    assert math.isnan(label.together)
    assert label.reason == "fewer than two groups with at least 5 rows in the sample"
    assert h.label_quality == ()
    assert len(h.notes) == 1
    assert h.missingness.table("age", "sex").groups  # the count-based checks still ran


def test_the_data_is_not_changed():
    df = frame(2000)
    df.loc[::7, "city"] = None
    before = df.copy()
    audit(df, sensitive_features="sex", label="y", health=True)
    pd.testing.assert_frame_equal(df, before)


def test_cli_health_writes_it_to_the_json_and_the_report_shows_it(marked, tmp_path):
    out, page = tmp_path / "r.json", tmp_path / "r.html"
    args = ["audit", marked, "-s", "sex", "-l", "income", "-f", ">50K", "--na-values", "?",
            "--health", "--features", "relationship", "--features", "occupation",
            "--json", str(out), "--html", str(page)]  # fmt: skip
    run = CliRunner().invoke(cli, args, env={"COLUMNS": "160"})
    assert run.exit_code == 0, run.output
    line = next(x for x in run.output.splitlines() if "relationship" in x and "sex" in x)
    assert "0.649" in line
    assert "proxy" in line
    data = json.loads(out.read_text())
    assert data["health"]["features"] == ["relationship", "occupation"]
    assert data["spec"]["health"] is True
    assert "Data health" in page.read_text()
    plain = CliRunner().invoke(cli, [*args[:9], "-q"])
    assert plain.exit_code == 0, plain.output


def test_columns_of_every_kind_are_examined_or_left_out_with_a_reason():
    import decimal

    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "y": rng.integers(0, 2, n),
            "text": pd.array(rng.choice(["a", "b", None], n), dtype="string"),
            "inf": np.where(rng.random(n) < 0.05, np.inf, rng.random(n)),
            "duration": pd.to_timedelta(rng.integers(0, 100, n), unit="s"),
            "when": pd.date_range("2020-01-01", periods=n, freq="h", tz="UTC"),
            "decimal": [decimal.Decimal(i % 7) for i in range(n)],
            "mixed": [[1, "a", 2.5, None][i % 4] for i in range(n)],
            1: rng.random(n),
        }
    )
    before = df.copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = audit(df, sensitive_features="sex", label="y", health=True).health
    assert [str(w.message) for w in caught if issubclass(w.category, AuditWarning)] == list(h.notes)
    pd.testing.assert_frame_equal(df, before)
    assert "1 column(s) whose names are not text were left out" in h.notes[0]
    assert [f for f, _ in h.missingness.skipped] == ["mixed"]
    assert any("'mixed' was left out" in note for note in h.notes)
    aucs = dict(h.reconstruction_for("sex").by_feature)
    assert set(aucs) == {"text", "inf", "duration", "when", "decimal", "mixed"}
    assert all(0.3 < auc < 0.7 for auc in aucs.values())  # no feature depends on sex
    assert len(h.label_quality) == 1


def test_the_same_rows_give_the_same_aucs_from_every_engine(adult, tmp_path):
    import polars as pl

    rows = adult.sample(3000, random_state=1).reset_index(drop=True)
    rows.to_csv(tmp_path / "s.csv", index=False)
    rows.to_parquet(tmp_path / "s.parquet")
    sources = (
        rows,
        str(tmp_path / "s.csv"),
        str(tmp_path / "s.parquet"),
        pl.from_pandas(rows).lazy(),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)
        found = [audit(s, health=True, **SPEC).health for s in sources]
    for h in found[1:]:  # the folds follow the rows' values, not the order an engine gives
        assert h.reconstruction == found[0].reconstruction
        assert h.label_quality == found[0].label_quality
