"""The edges of the differentially private report (epsilon=).

Each test states what a private report must do independently of how it is implemented:
neighbouring datasets (one row added) must not be told apart with certainty, a setting that
the exact audit accepts must not fail at random, a bad epsilon is a ConfigError, and the
delta stated is the real probability that a value held by one row is published.
"""

from __future__ import annotations

import base64
import json
import re
import textwrap

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from audit import audit
from audit.cli import cli
from audit.exceptions import ConfigError
from audit.privacy.dp import privatize
from audit.report.render import render_html

FIXED = "2026-01-01T00:00:00+00:00"

# the one-row groups these tests add are small on purpose
pytestmark = pytest.mark.filterwarnings("ignore::audit.exceptions.AuditWarning")


def base_frame(n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame(
        {
            "race": rng.choice(["A", "B"], n),
            "age": rng.integers(20, 60, n),  # nobody 65 or older
            "y": rng.integers(0, 2, n),
        }
    )


def plus_one(df: pd.DataFrame, **row: object) -> pd.DataFrame:
    return pd.concat([df, pd.DataFrame({k: [v] for k, v in row.items()})], ignore_index=True)


def published_groups(df: pd.DataFrame) -> dict[str, list[str]]:
    exact = audit(
        df, sensitive_features=["race", "age"], bins={"age": [30, 65]}, label="y", created_at=FIXED
    )
    private, _ = privatize(exact, 1.0)
    return {d.name: [g.name for g in d.groups] for d in private.dimensions}


def test_a_bin_declared_in_the_spec_is_published_whether_or_not_a_row_falls_in_it():
    # The bins are the spec's (public); whether a '>=65' group is published must not depend
    # on whether one person aged 90 is in the data, or the report is not epsilon-DP: the two
    # neighbouring datasets would be told apart with certainty by the list of groups.
    d = base_frame()
    assert published_groups(d) == published_groups(plus_one(d, race="A", age=90, y=1))


def test_the_missing_group_does_not_reveal_one_row_with_a_missing_value():
    # Under missing="group", one row with a missing race must not make a '(missing)' group
    # appear in the private report that its neighbour without that row lacks.
    d = base_frame()
    assert published_groups(d) == published_groups(plus_one(d, race=None, age=40, y=1))


def test_a_given_reference_group_never_makes_the_private_report_fail_at_random():
    # The exact audit accepts reference z (one labelled row); the noisy count of z is 0 in
    # roughly a quarter of the draws at epsilon 1 (scale 2), which must not raise.
    df = pd.DataFrame({"g": ["a"] * 500 + ["b"] * 500 + ["z"], "y": [0, 1] * 500 + [1]})
    exact = audit(df, sensitive_features="g", label="y", reference={"g": "z"}, created_at=FIXED)
    for _ in range(30):
        private, _ = privatize(exact, 1.0)
        assert private.dimensions[0].reference == ("z",)


def test_a_value_held_by_one_row_is_published_with_the_stated_delta():
    # The discrete Laplace law P(k) ∝ q^|k| summed directly: a value with one row is
    # published when 1 + noise >= threshold. At scale 1 and threshold 3 that is
    # P(noise >= 2) = 0.0989; measured over 20,000 draws of OpenDP's mechanism.
    import math

    import opendp.prelude as dp

    from audit.privacy.dp import threshold_delta

    k = np.arange(-200, 201)
    pmf = np.exp(-np.abs(k) / 1.0)
    pmf /= pmf.sum()
    by_hand = float(pmf[k >= 2].sum())
    assert threshold_delta(1.0, 3) == pytest.approx(by_hand, rel=1e-9)
    dp.enable_features("contrib")
    space = (
        dp.map_domain(dp.atom_domain(T=str), dp.atom_domain(T=int)),
        dp.l01inf_distance(dp.absolute_distance(T=int)),
    )
    m = dp.m.make_laplace_threshold(*space, scale=1.0, threshold=3)
    rate = sum("a" in m({"a": 1}) for _ in range(20_000)) / 20_000
    assert rate == pytest.approx(by_hand, abs=4 * math.sqrt(by_hand / 20_000))
    # and the report's own threshold keeps that probability at most 1e-9 per attribute
    exact = audit(base_frame(), sensitive_features="race", label="y", created_at=FIXED)
    _, privacy = privatize(exact, 1.0)
    assert privacy.releases == 3  # race, the total, the choice of race's values
    assert privacy.delta == pytest.approx(threshold_delta(3.0, privacy.threshold))
    assert privacy.delta <= 1e-9 < threshold_delta(3.0, privacy.threshold - 1)


def test_rare_values_are_merged_not_dropped_and_named_values_stay():
    # 'rare' has 5 rows, far below the threshold at epsilon 1 (about 62 rows at scale 3):
    # its rows are counted in '(other values)'; 'z' (2 rows) is the given reference and is
    # published whatever its count.
    from audit.spec import OTHER_LABEL

    d = base_frame(3000)
    d = pd.concat(
        [
            d,
            pd.DataFrame({"race": ["rare"] * 5 + ["z"] * 2, "age": 40, "y": [1, 0, 1, 1, 0, 1, 1]}),
        ],
        ignore_index=True,
    )
    exact = audit(
        d, sensitive_features="race", label="y", reference={"race": "z"}, created_at=FIXED
    )
    for _ in range(5):
        private, _ = privatize(exact, 1.0)
        names = [g.name for g in private.dimensions[0].groups]
        assert names == ["A", "B", "z", OTHER_LABEL]
        assert private.dimensions[0].reference == ("z",)


def test_markdown_and_junit_of_a_private_gate_hold_no_count_or_value(tmp_path):
    n = 3456
    rng = np.random.default_rng(8)
    pd.DataFrame({"sex": rng.choice(["F", "M"], n), "y": (rng.random(n) < 0.4).astype(int)}).to_csv(
        tmp_path / "train.csv", index=False
    )
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.biasaudit.thresholds]
            disparate_impact_ratio.min = 0.99

            [tool.biasaudit.report]
            epsilon = 1.0

            [[tool.biasaudit.datasets]]
            name = "training"
            path = "train.csv"
            sensitive = ["sex"]
            label = "y"
            favorable = 1
            """
        )
    )
    exact = audit(pd.read_csv(tmp_path / "train.csv"), sensitive_features="sex", label="y")
    ratio = exact.dimension("sex").groups
    shown = [f"{g.disparate_impact_ratio.value:.3f}" for g in ratio if not g.is_reference]
    run = CliRunner().invoke(
        cli,
        ["check", "--config", str(tmp_path / "pyproject.toml"), "--markdown",
         str(tmp_path / "pr.md"), "--junit-xml", str(tmp_path / "j.xml")],
    )  # fmt: skip
    text = (tmp_path / "pr.md").read_text() + (tmp_path / "j.xml").read_text() + run.output
    assert "differentially private" in text
    assert f"{n:,}" not in text
    assert str(n) not in text
    assert shown
    assert all(v not in text for v in shown)


@pytest.mark.parametrize(
    "epsilon",
    [1e-300, 1e-320, 5e-324, 10**400, 1e-6, 1e3],
    ids=["1e-300", "1e-320", "5e-324", "10**400", "1e-6", "1e3"],
)
def test_an_extreme_epsilon_is_a_config_error_or_a_report(epsilon):
    exact = audit(base_frame(400), sensitive_features="race", label="y", created_at=FIXED)
    try:
        html = render_html(exact, epsilon=epsilon, generated_at=FIXED)
    except ConfigError:
        return
    assert html.startswith("<!DOCTYPE html>")


def test_cli_tiny_epsilon_is_a_usage_error_without_traceback(tmp_path):
    data = tmp_path / "d.csv"
    base_frame(400).to_csv(data, index=False)
    run = CliRunner().invoke(
        cli,
        ["audit", str(data), "-s", "race", "-l", "y", "--html", str(tmp_path / "r.html"),
         "--epsilon", "1e-300", "-q"],
    )  # fmt: skip
    assert run.exit_code in (0, 2), run.output
    assert run.exception is None or isinstance(run.exception, SystemExit)


def test_the_embedded_json_of_a_private_report_does_not_claim_suppression():
    exact = audit(base_frame(), sensitive_features="race", label="y", created_at=FIXED)
    html = render_html(exact, epsilon=1.0, generated_at=FIXED)
    href = re.search(r'href="data:application/json;base64,([^"]+)"', html).group(1)
    text = json.dumps(json.loads(base64.b64decode(href)))
    assert "groups with 1 to" not in text  # nothing is suppressed: every count is noisy


def test_report_folder_of_the_pytest_plugin_holds_no_exact_count_with_epsilon(pytester):
    n = 4321  # the exact row count, chosen here
    rng = np.random.default_rng(5)
    (pytester.path / "data").mkdir()
    pd.DataFrame({"sex": rng.choice(["F", "M"], n), "y": (rng.random(n) < 0.4).astype(int)}).to_csv(
        pytester.path / "data" / "train.csv", index=False
    )
    pytester.makefile(
        ".toml",
        pyproject=textwrap.dedent(
            """
            [tool.biasaudit.thresholds]
            disparate_impact_ratio.min = 0.8
            min_group_size = 30

            [tool.biasaudit.report]
            epsilon = 0.01

            [[tool.biasaudit.datasets]]
            name = "training"
            path = "data/train.csv"
            sensitive = ["sex"]
            label = "y"
            favorable = 1
            """
        ),
    )
    pytester.makepyfile("def test_nothing():\n    pass\n")
    pytester.runpytest_subprocess(
        "--biasaudit", "--biasaudit-report", "out", "-p", "no:cacheprovider"
    )
    html = (pytester.path / "out" / "training.html").read_text(encoding="utf-8")
    summary = (pytester.path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "epsilon = 0.01" in html
    # scale 200 per count: a noisy total equal to the exact one has probability well below 1 %
    assert f"{n:,} rows" not in summary


def private_structure(df: pd.DataFrame, **spec) -> tuple:
    """What a private report publishes without noise: the favourable values, the spec's,
    and each dimension's group names in order."""
    exact = audit(df, label="y", created_at=FIXED, **spec)
    private, _ = privatize(exact, 1.0)
    return (
        private.favorable_values,
        private.label_values,
        private.spec.favorable,
        [[g.name for g in d.groups] for d in private.dimensions],
    )


@pytest.mark.parametrize(
    ("frame", "row", "spec"),
    [
        # a favourable value the user named, held by one row
        (
            pd.DataFrame({"sex": ["F", "M"] * 300, "y": ["yes", "no"] * 300}),
            {"sex": "F", "y": "maybe"},
            {"sensitive_features": "sex", "favorable": ["yes", "maybe"]},
        ),
        # one row spelling the inferred favourable value 'true'
        (
            pd.DataFrame({"g": ["a", "b"] * 300, "y": ["True", "False"] * 300}),
            {"g": "a", "y": "true"},
            {"sensitive_features": "g"},
        ),
        # one missing label turns the label column into floats
        (
            pd.DataFrame({"g": ["a", "b"] * 300, "y": [0, 1, 1, 0] * 150}),
            {"g": "a", "y": np.nan},
            {"sensitive_features": "g", "favorable": 1},
        ),
        # a group the reference population names, with or without a row
        (
            pd.DataFrame({"race": ["B"] * 300 + ["C"] * 300, "y": [0, 1] * 300}),
            {"race": "A", "y": 1},
            {
                "sensitive_features": "race",
                "reference_population": {"race": {"A": 0.2, "B": 0.4, "C": 0.4}},
            },
        ),
        # a value written like the group of rare values
        (
            pd.DataFrame({"race": ["B"] * 300 + ["C"] * 300, "y": [0, 1] * 300}),
            {"race": "(other values)", "y": 1},
            {"sensitive_features": "race"},
        ),
    ],
    ids=["named-favourable", "inferred-spelling", "float-label", "population-group", "other"],
)
def test_one_row_does_not_change_what_a_private_report_names(frame, row, spec):
    assert private_structure(frame, **spec) == private_structure(plus_one(frame, **row), **spec)


def test_the_refusal_of_too_many_combinations_rests_on_the_values_drawn():
    # 700 x 700 values of one row each (490,000 combinations, above the 100,000 allowed):
    # the threshold (about 82 rows at scale 4) publishes none of them, so the private report
    # has '(other values)' alone in each dimension and is drawn.
    rng = np.random.default_rng(2)
    n = 700
    df = pd.DataFrame(
        {"a": [f"a{i}" for i in range(n)], "b": [f"b{i}" for i in rng.permutation(n)],
         "y": rng.integers(0, 2, n)}
    )  # fmt: skip
    exact = audit(
        df, sensitive_features=["a", "b"], label="y", allow_high_cardinality=True, created_at=FIXED
    )
    private, privacy = privatize(exact, 1.0)
    assert privacy.threshold > 30
    assert [len(d.groups) for d in private.dimensions] == [1, 1, 1]  # '(other values)' only


def test_a_compared_pair_states_the_delta_of_both_audits():
    from audit.comparison import compare
    from audit.report.subject import Subject, private_subject

    a = audit(base_frame(), sensitive_features="race", label="y", created_at=FIXED)
    b = audit(base_frame(3000), sensitive_features="race", label="y", created_at=FIXED)
    _, both = private_subject(Subject(a, b, compare(a, b)), 1.0)
    _, one = privatize(a, 0.5)
    assert both.epsilon == 1.0
    assert both.delta == pytest.approx(2 * one.delta)


def test_tiny_noisy_counts_at_a_small_epsilon_do_not_overflow_an_interval():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.integers(0, 100, 2000), "y": [0, 1] * 1000})
    exact = audit(
        df, sensitive_features="a", label="y", bins={"a": list(range(5, 100, 5))},
        min_group_size=1, created_at=FIXED,
    )  # fmt: skip
    for _ in range(10):
        privatize(exact, 0.001)  # a log interval's upper end beyond e^709 is infinite


def test_representation_ratio_interval_carries_the_noise():
    df = pd.DataFrame({"race": ["A"] * 500 + ["B"] * 500, "y": [0, 1] * 500})
    pop = {"race": {"A": 0.5, "B": 0.5}}
    exact = audit(df, sensitive_features="race", label="y", reference_population=pop)
    private, _ = privatize(exact, 0.05)  # scale 60: a share's noise is several points
    checked = 0
    for e, p in zip(exact.dimensions[0].groups, private.dimensions[0].groups, strict=False):
        if p.representation_ratio is not None and p.representation_ratio.defined:
            exact_width = e.representation_ratio.ci_high - e.representation_ratio.ci_low
            width = p.representation_ratio.ci_high - p.representation_ratio.ci_low
            assert width > 1.2 * exact_width
            checked += 1
    assert checked == 2  # A and B
