"""Benchmark the HTML report: render the Adult before/after report, time it, weigh the file.

Run from the repository root::

    python benchmarks/bench_report.py --out benchmarks/results/report.md
    python benchmarks/bench_report.py --repeats 2  # smoke

What is measured
----------------
Setup (never timed): the demo's mitigation result is made once, as ``biasaudit demo`` makes
it (the bundled Adult training split, reweighing over sex & race, the fixed-model check with a
logistic regression), and saved as JSON.

* ``warm``: ``audit.write_report(MitigationResult, path)`` in one process, repeated (the suppression
  pattern cache is cleared before each run); the first call (which imports plotly, Jinja2
  and scipy.optimize) is reported apart as ``first call``.
* ``cold``: ``biasaudit report adult-demo-mitigation.json -o PATH`` in a fresh process each
  time: interpreter start, imports, reading the JSON, rendering and writing: what a user
  waits for.
* ``size``: the bytes of the HTML file, and how they split between the inlined plotly.js and
  the rest.
* ``--attributes 4 5`` (the default): the report of 200,000 rows with 4 and 5 sensitive
  attributes at depth 3, each in a fresh process: audit, suppression, report time, peak
  memory and file size (the cases of ``bench_report_scale.py``; a case that raises, or runs
  past its time limit, is reported as such).

Medians of ``--repeats`` runs; the machine is shared, so single runs vary.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import audit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--attributes",
        type=int,
        nargs="*",
        default=[4, 5],
        help="also the report of 200k rows with this many sensitive attributes, each in a "
        "fresh process (bench_report_scale.py's cases); none to skip",
    )
    args = parser.parse_args()

    import pandas as pd

    from audit.auditor import Auditor
    from audit.datasets import adult_path

    folder = Path(tempfile.mkdtemp(prefix="bench-report-"))
    auditor = Auditor(
        sensitive_features=["sex", "race", "age"],
        label="income",
        favorable=">50K",
        bins={"age": [25, 45, 65]},
        reference={"sex": "Male", "race": "White"},
    )
    frame = pd.read_csv(adult_path("train"))
    result = audit.mitigate(
        spec=auditor.spec,
        data=frame,
        method="reweighing",
        over=["sex", "race"],
        model_check=True,
        random_state=0,
    )
    saved = folder / "adult-demo-mitigation.json"
    result.to_json(saved)

    target = folder / "warm.html"
    start = time.perf_counter()
    audit.write_report(result, target, overwrite=True)
    first = time.perf_counter() - start
    from audit.privacy.suppression import _suppress

    warm = []
    for _ in range(args.repeats):
        _suppress.cache_clear()  # every run solves the suppression again
        start = time.perf_counter()
        audit.write_report(result, target, overwrite=True)
        warm.append(time.perf_counter() - start)

    cold = []
    cold_target = folder / "cold.html"
    command = [sys.executable, "-m", "audit.cli", "report", str(saved), "-o", str(cold_target),
               "--overwrite"]  # fmt: skip
    for _ in range(args.repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        cold.append(time.perf_counter() - start)

    size = target.stat().st_size
    js = (ROOT / "audit" / "report" / "assets" / "plotly-cartesian.min.js").stat().st_size
    rows = [
        ("render + write, warm (median)", f"{statistics.median(warm):.3f} s"),
        ("render + write, first call in a process", f"{first:.3f} s"),
        ("`biasaudit report` in a fresh process (median)", f"{statistics.median(cold):.3f} s"),
        ("file size", f"{size / 1e6:.2f} MB"),
        ("of which plotly.js (inlined once)", f"{js / 1e6:.2f} MB"),
        ("of which report, figures and embedded JSON", f"{(size - js) / 1e6:.2f} MB"),
    ]
    lines = [
        "# HTML report benchmark",
        "",
        f"Adult before/after reweighing report with the fixed-model check; {args.repeats} "
        f"repeats; Python {platform.python_version()}, {platform.machine()}.",
        "",
        "| measure | value |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in rows],
        "",
        "Runs (s): warm " + ", ".join(f"{t:.3f}" for t in warm),
        "cold " + ", ".join(f"{t:.3f}" for t in cold),
        "",
    ]
    if args.attributes:
        from bench_report_scale import HEAD, case

        lines += ["## Thousands of groups", "", *HEAD]
        lines += [case(a, folder / "scale.html") for a in args.attributes]
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
