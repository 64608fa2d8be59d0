"""Reports with differential privacy: the noise has the mechanism's scale, and no exact count
is published."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from audit import audit, mitigate
from audit.exceptions import ConfigError
from audit.privacy.dp import privatize
from audit.report.render import render_html
from audit.spec import OTHER_LABEL
from tests.report.test_render import embedded

FIXED = "2026-01-01T00:00:00+00:00"


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 6000
    return pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "race": rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2]),
            "y": (rng.random(n) < 0.4).astype(int),
        }
    )


def cells(result) -> dict:
    """Every (dimension, group, outcome) count a result implies."""
    out = {}
    for d in result.dimensions:
        for g in d.groups:
            fav = round(g.base_rate.value * g.n_labeled) if g.n_labeled else 0
            out[(d.name, g.key, 1)] = fav
            out[(d.name, g.key, 0)] = g.n_labeled - fav
    return out


def test_noise_has_the_scale_of_the_discrete_laplace_mechanism_for_epsilon():
    exact = audit(frame(), sensitive_features=["sex", "race"], label="y", created_at=FIXED)
    truth = cells(exact)
    epsilon = 1.0
    # the margins sex, race, sex & race and the total, and the release of the values of sex
    # and of race (taken from the data, so chosen privately)
    releases = len(exact.dimensions) + 1 + 2
    scale = releases / epsilon
    # The variance of the discrete Laplace law P(k) ∝ exp(-|k|/scale), summed directly.
    k = np.arange(-2000, 2001)
    pmf = np.exp(-np.abs(k) / scale)
    pmf /= pmf.sum()
    expected_var = float((pmf * k**2).sum())
    noise = []
    for _ in range(400):
        noisy, privacy = privatize(exact, epsilon)
        assert privacy.scale == pytest.approx(scale)
        for key, value in cells(noisy).items():
            if OTHER_LABEL not in key[1]:  # no row has another value: its cells are empty
                noise.append(value - truth[key])
    noise = np.array(noise, dtype=float)  # every cell has >= 200 rows: no clipping at 0
    assert len(noise) == 400 * 2 * (2 + 3 + 6)
    assert abs(noise.mean()) < 4 * math.sqrt(expected_var / len(noise))  # 4 standard errors
    # the sample variance of 8,800 Laplace draws has a relative sd of sqrt(5 / 8800) = 2.4 %
    assert noise.var() == pytest.approx(expected_var, rel=0.1)
    # and the law's shape: P(noise = 0) = (1 - q) / (1 + q), q = exp(-1/scale)
    q = math.exp(-1 / scale)
    assert (noise == 0).mean() == pytest.approx((1 - q) / (1 + q), abs=0.02)


def test_no_exact_count_is_in_a_private_report(adult):
    exact = audit(
        adult,
        sensitive_features=["sex", "race"],
        label="income",
        favorable=">50K",
        created_at=FIXED,
    )
    html = render_html(exact, epsilon=0.1, generated_at=FIXED)
    data = embedded(html)
    true_n = {(tuple(d.attributes), g.key): g.n for d in exact.dimensions for g in d.groups}
    published = [
        (tuple(d["attributes"]), tuple(g["key"]), g["n"], g["n_labeled"])
        for d in data["dimensions"]
        for g in d["groups"]
    ]
    # a cell the data does not have (a sex of "(other values)") is published as its noisy
    # count clamped at 0, which is 0 about half the time: that is noise, not an exact count
    same = [p for p in published if (p[0], p[1]) in true_n and true_n[p[0], p[1]] == p[2]]
    totals = [data["n_rows"] == exact.n_rows, data["n_rows_audited"] == exact.n_rows_audited]
    # scale 60 per count: a group's n (two noisy cells) is exact with probability < 1 %
    values = {a: [g[1][0] for g in published if g[0] == (a,)] for a in ("sex", "race")}
    assert {"Female", "Male", OTHER_LABEL} <= set(values["sex"])
    assert {"White", "Black", OTHER_LABEL} <= set(values["race"])  # > 20 scales above 1,203
    combos = {g[1] for g in published if g[0] == ("sex", "race")}
    assert combos == {(s, r) for s in values["sex"] for r in values["race"]}  # empty or not
    assert len(same) + sum(totals) <= 3
    assert f"{exact.n_rows:,}" not in html
    assert "Differential privacy instead of suppression: epsilon = 0.1" in html
    assert "suppressed (n<" not in html


def test_private_report_refuses_what_it_cannot_cover():
    df = frame().assign(w=1.5)
    weighted = audit(df, sensitive_features=["sex"], label="y", sample_weight="w")
    with pytest.raises(ConfigError, match="sample weights"):
        render_html(weighted, epsilon=1.0)
    plain = audit(frame(), sensitive_features=["sex"], label="y")
    with pytest.raises(ConfigError, match="epsilon must be a number from"):
        render_html(plain, epsilon=0)
    mitigated = mitigate(frame(), sensitive_features=["sex"], label="y")
    with pytest.raises(ConfigError, match="mitigation reports"):
        render_html(mitigated, epsilon=1.0)


def test_cli_and_pyproject_take_epsilon(tmp_path):
    from click.testing import CliRunner

    from audit.cli import cli
    from audit.gate.config import load_config

    data = tmp_path / "d.csv"
    frame().to_csv(data, index=False)
    out = tmp_path / "r.html"
    run = CliRunner().invoke(
        cli,
        ["audit", str(data), "-s", "sex", "-l", "y", "--html", str(out), "--epsilon", "2", "-q"],
    )
    assert run.exit_code == 0, run.output
    assert "epsilon = 2" in out.read_text(encoding="utf-8")
    toml = tmp_path / "pyproject.toml"
    toml.write_text("[tool.biasaudit.report]\nepsilon = 0.5\n", encoding="utf-8")
    assert load_config(toml).epsilon == 0.5
    toml.write_text("[tool.biasaudit.report]\nepsilon = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"report\.epsilon"):
        load_config(toml)
