"""The worst-off subgroup scan next to AIF360's MDSS bias scan on the bundled UCI Adult data.

Run from the repository root::

    python benchmarks/compare_mdss.py --out benchmarks/results/mdss.md

Both look for the group whose favourable rate (income >50K) falls furthest below what the
rest of the data would predict, over sex, race, age (4 bands) and marital status:

* biasaudit: ``audit.audit(..., max_depth=4).worst_off``: every group of every combination of
  up to 4 attributes with at least 30 rows, tested against the rest (chi-square, Holm over all
  groups tested); the top 5 by the upper end of the Newcombe interval of the difference.
* AIF360: ``aif360.detectors.mdss_detector.bias_scan(data, observations, expectations=None,
  favorable_value="high", overpredicted=True, scoring="Bernoulli")``: with no expectations it
  compares each record with the overall mean, and searches subsets that may join several
  values of an attribute (e.g. race in {Black, Other}); it returns one subset and its score.

Times are medians of ``--repeats`` runs in this process after one warm-up; the COMPAS data
the issue also names is not shipped (no download at run time), so only Adult is compared.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import warnings
from pathlib import Path

import pandas as pd

import audit
from audit.datasets import adult_path

ROOT = Path(__file__).resolve().parents[1]
ATTRIBUTES = ["sex", "race", "age", "marital_status"]


def _data() -> pd.DataFrame:
    df = pd.read_csv(adult_path("train"))
    df["age"] = pd.cut(df["age"], [0, 25, 45, 65, 200], right=False,
                       labels=["<25", "[25, 45)", "[45, 65)", ">=65"]).astype(str)  # fmt: skip
    return df[[*ATTRIBUTES, "income"]]


def _timed(fn, repeats: int):  # type: ignore[no-untyped-def]
    fn()
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/mdss.md")
    args = parser.parse_args()
    df = _data()
    y = (df["income"] == ">50K").astype(int)

    def ours():  # type: ignore[no-untyped-def]
        return audit.audit(df, sensitive_features=ATTRIBUTES, label="income",
                           favorable=">50K", max_depth=4).worst_off  # fmt: skip

    logging.getLogger().setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from aif360.detectors.mdss_detector import bias_scan

        def theirs():  # type: ignore[no-untyped-def]
            return bias_scan(df[ATTRIBUTES], y, favorable_value="high", overpredicted=True,
                             scoring="Bernoulli")  # fmt: skip

        scan, t_ours = _timed(ours, args.repeats)
        (subset, score), t_theirs = _timed(theirs, args.repeats)
    mask = pd.Series(True, index=df.index)
    for column, values in subset.items():
        mask &= df[column].isin(values)
    lines = [
        "# Worst-off subgroups: biasaudit's scan and AIF360's MDSS bias scan (UCI Adult)",
        "",
        f"`python benchmarks/compare_mdss.py --repeats {args.repeats}`; attributes "
        f"{', '.join(ATTRIBUTES)} (age in 4 bands); favourable: income >50K; "
        f"{len(df):,} rows, overall rate {y.mean():.3f}.",
        "",
        f"biasaudit: {scan.tested:,} groups tested over {scan.combinations} combinations "
        f"(depth <= {scan.depth}), {scan.significant:,} significantly below the rest after "
        f"Holm; median {t_ours:.3f} s for the whole audit.",
        "",
        "| rank | group | rows | rate | rest | difference [Holm-level CI] | p (Holm) |",
        "|---:|---|---:|---:|---:|---|---:|",
    ]
    for i, g in enumerate(scan.top[:5], 1):
        d = g.difference_to_rest
        lines.append(
            f"| {i} | {g.name} | {g.n_labeled:,} | {g.rate.value:.3f} | {g.rest_rate:.3f} | "
            f"{d.value:.3f} [{d.ci_low:.3f}, {d.ci_high:.3f}] | "
            f"{f'{g.p_adjusted:.2g}' if g.p_adjusted > 0 else '< 1e-300'} |"
        )
    described = "; ".join(f"{k} in {sorted(map(str, v))}" for k, v in subset.items())
    lines += [
        "",
        f"AIF360 MDSS (Bernoulli, overpredicted): one subset, score {score:.1f}, median "
        f"{t_theirs:.3f} s: {described or 'the whole data'}; {int(mask.sum()):,} rows, "
        f"rate {y[mask].mean():.3f} against {y[~mask].mean():.3f} for the rest.",
    ]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
