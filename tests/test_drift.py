"""drift(): shares, base rates and their changes per period, the population stability index by
hand, the composition test against scipy, the Newcombe changes against statsmodels, the
disparate-impact trend against statsmodels' WLS; UCI Adult's train and test splits, and
periods built here whose composition and outcome move by known amounts."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import chi2_contingency
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from audit.drift_periods import drift
from audit.drift_result import DriftResult
from audit.exceptions import AuditWarning, ConfigError, DataError
from audit.metrics.drift import EMPTY_SHARE, di_trend, psi


def run(data, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)
        return drift(data, **options)


# -- the pure functions ----------------------------------------------------------------------


def test_psi_by_hand():
    value, smoothed = psi([0.4, 0.3, 0.3], [0.5, 0.3, 0.2])
    assert value == pytest.approx((0.4 - 0.5) * math.log(0.4 / 0.5) + 0.1 * math.log(0.3 / 0.2))
    assert not smoothed
    assert psi([0.5, 0.5], [0.5, 0.5]) == (0.0, False)
    # an empty group takes a share of 0.0001; a group absent from both periods adds nothing
    value, smoothed = psi([0.5, 0.5, 0.0, 0.0], [0.6, 0.3, 0.1, 0.0])
    expected = (-0.1 * math.log(0.5 / 0.6) + 0.2 * math.log(0.5 / 0.3)
                + (EMPTY_SHARE - 0.1) * math.log(EMPTY_SHARE / 0.1))  # fmt: skip
    assert (value, smoothed) == (pytest.approx(expected), True)


def test_the_trend_is_statsmodels_wls_with_known_variances():
    x, n = np.array([30.0, 26, 21, 17]), np.array([100.0, 110, 95, 105])
    xr, nr = np.array([40.0, 44, 41, 39]), np.array([100.0, 100, 98, 97])
    t = di_trend(x, n, xr, nr, 1.959963984540054)
    y = np.log((x / n) / (xr / nr))
    var = (1 - x / n) / x + (1 - xr / nr) / xr
    fit = sm.WLS(y, sm.add_constant(np.arange(4.0)), weights=1 / var).fit(
        cov_type="fixed scale", cov_kwds={"scale": 1.0}
    )
    assert t.slope.value == pytest.approx(fit.params[1], rel=1e-12)
    lo, hi = fit.conf_int()[1]
    assert (t.slope.ci_low, t.slope.ci_high) == (pytest.approx(lo), pytest.approx(hi))
    assert t.p_value == pytest.approx(fit.pvalues[1], rel=1e-9)
    assert t.factor.value == pytest.approx(math.exp(fit.params[1]))
    assert (t.periods, t.left_out) == (4, 0)


def test_a_trend_leaves_out_periods_without_a_favourable_row_and_says_so():
    t = di_trend([0, 5, 6], [10, 10, 10], [5, 5, 5], [10, 10, 10], 1.96)
    assert (t.periods, t.left_out) == (2, 1)
    t = di_trend([0, 5], [10, 10], [5, 5], [10, 10], 1.96)
    assert np.isnan(t.slope.value)
    assert "fewer than two periods" in t.reason


# -- built periods: one group moves ----------------------------------------------------------


def _period(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """(sex, region, rows, favourable rows) -> a frame with those counts exactly."""
    out = []
    for sex, region, n, fav in rows:
        out += [(sex, region, 1)] * fav + [(sex, region, 0)] * (n - fav)
    return pd.DataFrame(out, columns=["sex", "region", "hired"])


@pytest.fixture(scope="module")
def moving():
    """Three years: south grows from 20% to 40% of the rows in 2017 (every region half
    women); men's rate is 32% throughout, women's falls from 30% to 15% in 2017."""
    years = []
    for year, south, women_rate in ((2015, 200, 0.3), (2016, 200, 0.3), (2017, 400, 0.15)):
        north = 1000 - south
        cells = [("F", "south", south // 2, round(south / 2 * women_rate)),
                 ("M", "south", south // 2, round(south / 2 * 0.32)),
                 ("F", "north", north // 2, round(north / 2 * women_rate)),
                 ("M", "north", north // 2, round(north / 2 * 0.32))]  # fmt: skip
        years.append(_period(cells).assign(date=f"{year}-06-30"))
    return pd.concat(years, ignore_index=True)


def test_the_moved_group_and_only_it(moving):
    r = run(moving, time="date", freq="year", sensitive_features=["sex", "region"],
            label="hired", favorable=[1])  # fmt: skip
    assert r.periods == ("2015", "2016", "2017")
    assert r.baseline == "2015"
    assert r.period_rows == (1000, 1000, 1000)
    region, sex = r.dimension("region"), r.dimension("sex")
    # composition: south 0.2 -> 0.4, north 0.8 -> 0.6
    expected = (0.6 - 0.8) * math.log(0.6 / 0.8) + (0.4 - 0.2) * math.log(0.4 / 0.2)
    assert region.period("2017").psi == pytest.approx(expected, rel=1e-12)
    assert region.period("2016").psi == 0.0
    assert sex.period("2017").psi == 0.0
    chi2, p, _, _ = chi2_contingency([[800, 600], [200, 400]], correction=False)
    test = region.period("2017").composition_test
    assert (test.statistic, test.p_value) == (pytest.approx(chi2), pytest.approx(p))
    assert sex.period("2017").composition_test.statistic == pytest.approx(0.0)
    south = next(g for g in region.period("2017").groups if g.name == "south")
    assert south.share.value == pytest.approx(0.4)
    assert south.share_change.ci_low > 0  # the moved group
    # outcome: women 0.3 -> 0.15; men unchanged
    women = next(g for g in sex.period("2017").groups if g.name == "F")
    men = next(g for g in sex.period("2017").groups if g.name == "M")
    assert women.base_rate.value == pytest.approx(0.15)
    assert women.base_rate_change.value == pytest.approx(-0.15)
    assert women.base_rate_change.ci_high < 0
    assert men.base_rate_change.value == 0.0
    assert men.base_rate_change.ci_low < 0
    assert sex.reference == "M"  # 0.32 against 0.30 in the baseline
    (trend,) = sex.trends
    assert trend.name == "F"
    assert trend.trend.factor.value < 1
    assert trend.trend.p_value < 0.01
    for g in sex.period("2016").groups:
        assert g.base_rate_change.value == 0.0


def test_quarters_months_and_a_named_baseline(moving):
    df = moving.assign(date=pd.to_datetime(moving.date))
    r = run(df, time="date", freq="quarter", baseline="2016-Q2", sensitive_features="sex",
            label="hired", favorable=[1])  # fmt: skip
    assert r.periods == ("2015-Q2", "2016-Q2", "2017-Q2")
    assert r.baseline == "2016-Q2"
    assert r.dimension("sex").period("2016-Q2").groups[0].base_rate_change.value == 0.0
    r = run(df, time="date", freq="month", sensitive_features="sex", label="hired",
            favorable=[1])  # fmt: skip
    assert r.periods == ("2015-06", "2016-06", "2017-06")


@pytest.mark.parametrize(
    "as_dates",
    [
        pytest.param(lambda d: pd.to_datetime(d).dt.date, id="datetime.date objects"),
        pytest.param(lambda d: pd.to_datetime(d).astype(object), id="Timestamp objects"),
        pytest.param(lambda d: d.astype("category"), id="category of ISO text"),
        pytest.param(lambda d: pd.to_datetime(d).dt.tz_localize("UTC"), id="aware timestamps"),
    ],
)
def test_date_columns_of_every_pandas_kind_give_the_same_periods(moving, as_dates):
    holed = moving.assign(date=moving.date.where(moving.index % 7 != 0, None))
    frame = holed.assign(date=as_dates(holed.date))
    before = frame.copy()
    r = run(frame, time="date", freq="quarter", sensitive_features="sex", label="hired",
            favorable=[1])  # fmt: skip
    pd.testing.assert_frame_equal(frame, before)  # the user's frame is not changed
    dated = pd.to_datetime(holed.date)
    quarters = (
        dated.dt.year.astype("Int64").astype(str)
        + "-Q"
        + dated.dt.quarter.astype("Int64").astype(str)
    )
    counts = quarters[dated.notna()].value_counts().sort_index()
    assert r.periods == tuple(counts.index)
    assert r.period_rows == tuple(int(c) for c in counts)
    assert r.rows_without_time == int(dated.isna().sum())


def test_an_instant_has_the_same_period_on_every_engine(moving, tmp_path):
    import duckdb
    import polars as pl

    # 00:30 and 03:00 on New Year's Day in Berlin: 23:30 on 31 December and 02:00 in UTC
    local = np.where(moving.index % 3 == 0, "2020-01-01 00:30", "2020-01-01 03:00")
    frame = moving.assign(date=pd.to_datetime(local).tz_localize("Europe/Berlin"))
    utc = frame.date.dt.tz_convert("UTC")
    expected = tuple(int(n) for n in utc.dt.strftime("%Y-%m").value_counts().sort_index())
    assert len(expected) == 2
    path = tmp_path / "instants.parquet"
    frame.to_parquet(path)
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    options = {"time": "date", "freq": "month", "sensitive_features": "sex", "label": "hired",
               "favorable": [1]}  # fmt: skip
    for data in (frame, pl.from_pandas(frame), pl.from_pandas(frame).lazy(), str(path),
                 connection.sql(f"SELECT * FROM '{path}'")):  # fmt: skip
        r = run(data, **options)
        assert r.periods == ("2019-12", "2020-01")
        assert r.period_rows == expected
    connection.execute("SET TimeZone = 'America/New_York'")
    with pytest.raises(ConfigError, match="SET TimeZone = 'UTC'"):
        run(connection.sql(f"SELECT * FROM '{path}'"), **options)


def test_an_object_column_that_is_not_dates_is_a_typed_error(moving):
    frame = moving.assign(date=[object()] * len(moving))
    with pytest.raises(DataError, match="could not be read as dates"):
        run(frame, time="date", sensitive_features="sex", label="hired", favorable=[1])


# -- real data: Adult's train and test splits ------------------------------------------------


def test_adult_train_against_test_equals_pandas_scipy_and_statsmodels(adult, adult_test):
    r = run([adult, adult_test], names=["train", "test"], sensitive_features=["sex", "race"],
            label="income", favorable=">50K")  # fmt: skip
    assert r.periods == ("train", "test")
    assert r.period_rows == (len(adult), len(adult_test))
    race = r.dimension("race")
    p = adult_test.race.value_counts(normalize=True)
    q = adult.race.value_counts(normalize=True)
    expected = float(((p - q) * np.log(p / q)).sum())
    assert race.period("test").psi == pytest.approx(expected, rel=1e-9)
    table = pd.concat([adult.race.value_counts(), adult_test.race.value_counts()], axis=1)
    _chi2, pvalue, _, _ = chi2_contingency(table.to_numpy(), correction=False)
    assert race.period("test").composition_test.p_value == pytest.approx(pvalue, rel=1e-9)
    for name in ("Black", "White", "Other"):
        g = next(x for x in race.period("test").groups if x.name == name)
        a = adult_test.income[adult_test.race == name] == ">50K"
        b = adult.income[adult.race == name] == ">50K"
        lo, hi = confint_proportions_2indep(a.sum(), len(a), b.sum(), len(b), method="newcomb")
        assert g.base_rate_change.value == pytest.approx(a.mean() - b.mean(), rel=1e-12)
        assert (g.base_rate_change.ci_low, g.base_rate_change.ci_high) == (
            pytest.approx(lo, rel=1e-9), pytest.approx(hi, rel=1e-9))  # fmt: skip
        share = (adult_test.race == name).mean()
        low, high = proportion_confint((adult_test.race == name).sum(), len(adult_test),
                                       method="wilson")  # fmt: skip
        assert (g.share.value, g.share.ci_low, g.share.ci_high) == (
            pytest.approx(share), pytest.approx(low), pytest.approx(high))  # fmt: skip
    # the intersection sex x race is there too, and the result round-trips through JSON
    assert r.dimension("sex", "race").period("test").groups
    again = DriftResult.from_json(r.to_json())
    assert again.to_json() == r.to_json()


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({}, ConfigError, "needs a column of dates"),
        ({"time": "date", "freq": "week"}, ConfigError, "freq must be one of"),
        ({"time": "dat"}, ConfigError, "time column 'dat' not found"),
        ({"time": "sex"}, ConfigError, "a column with a role"),
        ({"time": "region"}, DataError, "could not be read as dates"),
        ({"time": "date", "baseline": "1999"}, ConfigError, "baseline '1999' is not a period"),
    ],
)
def test_bad_drift_settings_are_typed_errors(moving, options, error, match):
    with pytest.raises(error, match=match):
        run(moving, sensitive_features="sex", label="hired", favorable=[1], **options)


def test_rows_without_a_date_are_counted_and_one_period_is_an_error(moving):
    holed = moving.assign(date=moving.date.where(moving.index % 10 != 0, None))
    r = run(holed, time="date", sensitive_features="sex", label="hired", favorable=[1])
    assert r.rows_without_time == int(holed.date.isna().sum()) == 300
    assert sum(r.period_rows) == 2700
    assert "300 rows have no value" in r.notes[0]
    # rows dropped by missing="drop" are left out of both kinds of period alike
    gaps = moving.assign(sex=moving.sex.where(moving.index % 20 != 0, None))
    by_time = run(gaps, time="date", sensitive_features="sex", label="hired", favorable=[1],
                  missing="drop")  # fmt: skip
    parts = [gaps[gaps.date.str.startswith(y)] for y in ("2015", "2016", "2017")]
    by_list = run(parts, sensitive_features="sex", label="hired", favorable=[1],
                  missing="drop")  # fmt: skip
    kept = tuple(int(p.sex.notna().sum()) for p in parts)
    assert by_time.period_rows == by_list.period_rows == kept
    with pytest.raises(DataError, match="The time column 'date' has rows without a date"):
        run(holed, time="date", sensitive_features="sex", label="hired", favorable=[1],
            missing="error")  # fmt: skip
    one = moving[moving.date.str.startswith("2015")]
    with pytest.raises(DataError, match="spans a single year"):
        run(one, time="date", sensitive_features="sex", label="hired", favorable=[1])


# -- the command line and the report ---------------------------------------------------------


def embedded(html: str) -> dict:
    """The report's downloadable JSON."""
    import base64
    import json
    import re

    match = re.search(r'href="data:application/json;base64,([A-Za-z0-9+/=]+)"', html)
    assert match is not None
    return json.loads(base64.b64decode(match.group(1)))


def test_the_command_writes_json_and_a_report(tmp_path):
    from click.testing import CliRunner

    from audit.cli import cli
    from audit.datasets import adult_path
    from tests.report.test_render import row

    out, html = tmp_path / "drift.json", tmp_path / "drift.html"
    args = ["drift", str(adult_path("train")), str(adult_path("test")), "-s", "sex", "-l", "income",
            "-f", ">50K", "--names", "train,test",
            "--json", str(out), "--html", str(html)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "sex: each period against train" in result.output
    back = DriftResult.from_json(out)
    assert back.periods == ("train", "test")
    text = html.read_text(encoding="utf-8")
    women = row(text, "sex: each period against train; disparate impact against Male (the "
                "baseline's reference group)", "test")  # fmt: skip
    assert women[1] == "Female"
    assert embedded(text)["kind"] == "drift"
    bad = CliRunner().invoke(cli, [*args[:3], "--time", "date", *args[3:9]])
    assert bad.exit_code == 2
    assert "--time takes one DATA" in bad.output
    # a drift report has no private form: --epsilon is refused, not ignored with exact counts
    private = tmp_path / "private.html"
    noisy = CliRunner().invoke(cli, ["report", str(out), "-o", str(private), "--epsilon", "1"])
    assert noisy.exit_code == 2
    assert "no differentially private form" in noisy.output
    assert not private.exists()


def test_the_report_withholds_a_small_group_and_its_complement(moving):
    from audit.report.render import render_html

    few = pd.DataFrame({"sex": ["X"] * 4, "region": "north", "hired": [1, 0, 0, 1],
                        "date": "2017-06-30"})  # fmt: skip
    r = run(pd.concat([moving, few]), time="date", sensitive_features="sex", label="hired",
            favorable=[1])  # fmt: skip
    html = render_html(r, k=10, generated_at="2026-01-01T00:00:00+00:00")
    x = next(g for g in r.dimension("sex").period("2017").groups if g.name == "X")
    assert x.n == 4  # the result keeps it; the report does not
    shown = embedded(html)["dimensions"]
    sex = next(d for d in shown if d["name"] == "sex")
    names_2017 = next(p for p in sex["periods"] if p["period"] == "2017")["groups"]["name"]
    assert "X" not in names_2017
    assert "F" not in names_2017  # the next smallest group of that period, 500 rows
    assert next(p for p in sex["periods"] if p["period"] == "2017")["psi"] is None
    assert "withheld" in html
    from audit.privacy.drift import publish_drift

    two = run(pd.concat([moving, few]), time="date", sensitive_features=["sex", "region"],
              label="hired", favorable=[1])  # fmt: skip
    shown = publish_drift(two, 10)
    assert [d.name for d in shown.dimensions] == ["sex", "region"]  # no intersection cells
    x_trend = next(t for t in shown.dimension("sex").trends if t.name == "X").trend
    assert (x_trend.periods, x_trend.left_out) == (0, 0)  # not "1 period without a success"
    assert str(x_trend.reason).startswith("withheld")
    # hidden in the baseline: its change in a later period would give the baseline's rate away
    later = pd.concat([few] * 10)  # 40 rows of X in 2017: shown there
    early = pd.concat([moving, few.assign(date="2015-06-30"), later])
    r = run(early, time="date", sensitive_features="sex", label="hired", favorable=[1])
    from audit.privacy.drift import publish_drift

    shown = publish_drift(r, 10).dimension("sex")
    x_2017 = next(g for g in shown.period("2017").groups if g.name == "X")
    assert x_2017.n == 40
    assert x_2017.base_rate.defined
    assert not x_2017.base_rate_change.defined
    assert r.dimension("sex").period("2017").groups[2].base_rate_change.defined
    assert all(math.isnan(p.psi) for p in shown.periods)


def test_with_weights_the_composition_test_counts_kish_effective_rows(moving):
    rng = np.random.default_rng(8)
    data = moving.assign(w=rng.uniform(0.5, 2.0, len(moving)), thousand=1000.0)
    spec = {"time": "date", "sensitive_features": "region", "label": "hired", "favorable": [1]}
    plain = run(data, **spec).dimension("region").period("2017").composition_test
    constant = run(data, sample_weight="thousand", **spec).dimension("region").period("2017")
    assert constant.composition_test.statistic == pytest.approx(plain.statistic)
    weighted = run(data, sample_weight="w", **spec).dimension("region").period("2017")
    table = []
    for year in ("2015", "2017"):
        part = data[data.date.str.startswith(year)]
        kish = part.w.sum() / (part.w**2).sum()  # the period's weights as effective rows
        table.append(part.groupby("region").w.sum() * kish)
    chi2, p, _, _ = chi2_contingency(np.array(table), correction=False)
    test = weighted.composition_test
    assert (test.statistic, test.p_value) == (pytest.approx(chi2), pytest.approx(p))


def test_two_small_groups_are_withheld_with_enough_rows_to_hide_them(moving):
    from audit.privacy.drift import publish_drift

    # X and Y hold 1 row each in 2017: withheld, their 2 rows would pin both, so the next
    # smallest group goes with them
    few = pd.DataFrame({"sex": ["X", "Y"], "region": "north", "hired": [1, 0],
                        "date": "2017-06-30"})  # fmt: skip
    data = pd.concat([moving, few])
    r = run(data, time="date", sensitive_features="sex", label="hired", favorable=[1])
    period = publish_drift(r, 10).dimension("sex").period("2017")
    rows = data[data.date.str.startswith("2017")].sex.value_counts()
    shown = {g.name for g in period.groups if g.n > 0}
    assert {"X", "Y"}.isdisjoint(shown)
    assert rows.sum() - rows[sorted(shown)].sum() >= 10  # what the total leaves to the rest


@pytest.mark.browser
@pytest.mark.slow
def test_the_drift_report_draws_in_chromium(chromium, moving, tmp_path):
    from audit.report.render import write_report

    r = run(moving, time="date", sensitive_features=["sex", "region"], label="hired",
            favorable=[1])  # fmt: skip
    path = write_report(r, tmp_path / "drift.html")
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length > 0")
    traces = page.evaluate(
        "Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => "
        "d.querySelectorAll('.trace').length)"
    )
    assert traces == [2, 2, 2, 2]  # rate and share charts for sex and region, two groups each
    assert errors == []
    page.close()


def test_messages_name_the_dataset_and_the_periods(moving):
    from audit.exceptions import ColumnNotFoundError

    with pytest.raises(ColumnNotFoundError, match=r"^Dataset 2 of 2: Column 'hired'"):
        run([moving, moving.drop(columns="hired")], sensitive_features="sex", label="hired",
            favorable=[1])  # fmt: skip
    many = moving.assign(t=np.arange(len(moving)))
    with pytest.raises(ConfigError, match="The time column 't' makes more than 100 periods"):
        run(many, time="t", freq=None, sensitive_features="sex", label="hired", favorable=[1],
            max_categories=100)  # fmt: skip


def test_findings_hold_over_many_periods(moving, adult, adult_test):
    from audit.drift_result import drift_findings

    r = run(moving, time="date", sensitive_features=["sex", "region"], label="hired",
            favorable=[1])  # fmt: skip
    found = drift_findings(r)
    assert any(line.startswith("sex = F: base rate -15.0 pp in 2017") for line in found)
    assert not any(line.startswith("sex = M:") for line in found)
    # 36 months of Adult dated at random: 95% intervals exclude 0 somewhere by chance alone;
    # the findings are Holm-adjusted over each attribute's groups and periods
    rng = np.random.default_rng(0)
    days = pd.to_timedelta(rng.integers(0, 3 * 365, len(adult)), unit="D")
    dated = adult.assign(date=pd.Timestamp("2022-01-01") + days)
    months = run(dated, time="date", freq="month", sensitive_features=["sex", "race"],
                 label="income", favorable=">50K")  # fmt: skip
    changes = [g.base_rate_change for d in months.dimensions if len(d.attributes) == 1
               for p in d.periods[1:] for g in p.groups]  # fmt: skip
    loose = [c for c in changes if c.ci_low > 0 or c.ci_high < 0]
    assert loose  # what an unadjusted reading would report
    assert drift_findings(months) == []
    # the change test is the 2x2 chi-square of the group's rows in the two periods
    r = run([adult, adult_test], sensitive_features="race", label="income", favorable=">50K")
    other = next(g for g in r.dimension("race").periods[1].groups if g.name == "Other")
    from scipy.stats import chi2_contingency

    rows = [d.income[d.race == "Other"] == ">50K" for d in (adult_test, adult)]
    table = [[x.sum(), (~x).sum()] for x in rows]
    assert other.change_test.p_value == pytest.approx(
        chi2_contingency(table, correction=False)[1], rel=1e-9
    )
