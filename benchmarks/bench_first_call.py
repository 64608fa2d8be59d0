"""The first audit call in a fresh process, and in-memory frames, against the engine's own
GROUP BY measured in the same run.

Run from the repository root::

    python benchmarks/bench_first_call.py                         # 10M rows, 5 processes each
    python benchmarks/bench_first_call.py --rows 1000000 --repeats 3 --out /tmp/x.md

What is measured (every number is the median over ``--repeats`` fresh Python processes)
-------------------------------------------------------------------------------------
* **Small CSV** (the first 200 rows of the bundled UCI Adult training file, 15 columns):
  ``biasaudit --help`` (the CLI's start-up), ``biasaudit audit small.csv -s sex -s race -l
  income -f '>50K'`` (wall clock of the whole command), and in Python: the time from process
  start to the end of the first ``audit.audit(path, ...)`` (imports included) against the time
  from process start to the end of DuckDB's own ``GROUP BY sex, race, income`` of the same file
  (``import duckdb`` included). The difference is what the audit costs beyond the grouped
  count on a first call.
* **10M in-memory rows** (the synthetic data of ``bench_audit.py``, read into the frame before
  timing starts): the full audit of 3 attributes (age binned into 4 bands) and their 4
  intersections with label and prediction metrics on a pandas frame, a pyarrow Table and a
  polars DataFrame; first call (the tool's imports included: ``import audit`` or ``import
  duckdb``) and the median of 3 warm calls in each process. Floors in
  the same run, also in fresh processes on the same frame: DuckDB's ``GROUP BY`` of the same
  keys on the pandas frame (scanned in place) and polars' own ``group_by``. Peak memory is the
  process's RSS high-water mark minus its RSS once the frame is loaded.
* The imports of ``biasaudit audit small.csv``, from ``python -X importtime``: the slowest
  top-level packages.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_START = time.perf_counter()  # a child's clock starts before its first import

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
MARK = "BENCH-RESULT "
SMALL_ARGS = ["-s", "sex", "-s", "race", "-l", "income", "-f", ">50K"]


# -- children ----------------------------------------------------------------------------------
def child(case: str, path: str) -> dict[str, Any]:
    if case == "small-audit":
        import audit

        audit.audit(path, sensitive_features=["sex", "race"], label="income", favorable=">50K")
        return {"first": time.perf_counter() - _START}
    if case == "small-duckdb":
        import duckdb

        duckdb.sql(
            f"SELECT sex, race, income, count(*) FROM read_csv('{path}') GROUP BY ALL"
        ).fetchall()
        return {"first": time.perf_counter() - _START}
    from bench_audit import AUDIT_KWARGS

    engine, tool = case.split("-", 1)
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    if engine == "pandas":
        frame: Any = table.to_pandas()
    elif engine == "pyarrow":
        frame = table
    else:
        import polars as pl

        frame = pl.from_arrow(table)
    del table
    from bench_audit import _reset_peak_rss, _status_kb

    base = _status_kb("VmRSS")
    _reset_peak_rss()
    start = time.perf_counter()  # the first call includes the tool's imports, for every tool
    if tool == "audit":
        import audit

        def run() -> Any:
            return audit.audit(frame, **AUDIT_KWARGS)
    elif tool == "duckdb":
        import duckdb

        def run() -> Any:
            connection = duckdb.connect()
            connection.register("frame", frame)  # a view of the pandas frame: no copy
            return connection.sql(
                "SELECT sex, race, CASE WHEN age < 25 THEN 0 WHEN age < 45 THEN 1 "
                "WHEN age < 65 THEN 2 ELSE 3 END AS band, label, pred, count(*) "
                "FROM frame GROUP BY ALL"
            ).fetchall()
    else:
        import polars as pl

        def run() -> Any:
            band = pl.col("age").cut([25, 45, 65], left_closed=True)
            return frame.group_by("sex", "race", band, "label", "pred").len()

    run()
    first = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        run()
        warm.append(time.perf_counter() - start)
    return {
        "first": first,
        "warm": statistics.median(warm),
        "extra_mb": (_status_kb("VmHWM") - base) / 1024,
        "frame_mb": base / 1024,
    }


def _spawn(case: str, path: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith(MARK))
    return dict(json.loads(line[len(MARK) :]))


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - start


def _imports(csv: str, top: int = 8) -> list[tuple[str, float]]:
    code = "from audit.cli import main; main()"
    args = [sys.executable, "-X", "importtime", "-c", code, "audit", csv, *SMALL_ARGS]
    err = subprocess.run(args, capture_output=True, text=True, check=True).stderr
    totals: dict[str, float] = {}
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if name.startswith("  ") or not cumulative.strip().isdigit():
            continue  # only top-level imports (their time includes their children)
        totals[name.strip()] = int(cumulative) / 1e6
    return sorted(totals.items(), key=lambda kv: -kv[1])[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/first_call.md")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(MARK + json.dumps(child(*args.child)))
        return 0

    import gzip

    from bench_audit import DEFAULT_DATA_DIR, ensure_parquet, machine_info

    from audit.datasets import adult_path

    tmp = Path(tempfile.mkdtemp(prefix="bench-first-"))
    csv = tmp / "small.csv"
    with gzip.open(adult_path("train"), "rt", encoding="utf-8") as handle:
        csv.write_text("".join(next(handle) for _ in range(201)), encoding="utf-8")
    biasaudit = str(Path(sys.executable).with_name("biasaudit"))
    reps = args.repeats
    rows: list[str] = []

    def med(values: list[float]) -> float:
        return statistics.median(values)

    help_s = med([_wall([biasaudit, "--help"]) for _ in range(reps)])
    cli_s = med([_wall([biasaudit, "audit", str(csv), *SMALL_ARGS]) for _ in range(reps)])
    ours = med([_spawn("small-audit", str(csv))["first"] for _ in range(reps)])
    floor = med([_spawn("small-duckdb", str(csv))["first"] for _ in range(reps)])
    rows += [
        "| case | biasaudit | floor in the same run | beyond the floor |",
        "|---|---:|---:|---:|",
        f"| `biasaudit audit` of a 200-row CSV, wall | {cli_s:.3f} s | `biasaudit --help` "
        f"{help_s:.3f} s | {cli_s - help_s:+.3f} s |",
        f"| process start to first `audit.audit(csv)` done | {ours:.3f} s | process start to "
        f"DuckDB `GROUP BY` done {floor:.3f} s | {ours - floor:+.3f} s |",
    ]
    path, _ = ensure_parquet(args.rows, 0, DEFAULT_DATA_DIR, reuse=True)
    big: dict[str, dict[str, float]] = {}
    for case in ("pandas-audit", "pandas-duckdb", "pyarrow-audit", "polars-audit", "polars-own"):
        runs = [_spawn(case, str(path)) for _ in range(reps)]
        big[case] = {k: med([r[k] for r in runs]) for k in runs[0]}
    n = f"{args.rows / 1e6:g}M"
    floor_first, floor_warm = big["pandas-duckdb"]["first"], big["pandas-duckdb"]["warm"]
    rows += [
        "",
        f"| {n} rows in memory | first call s | warm s | first / DuckDB GROUP BY first | "
        "peak beyond the frame MB | frame MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "pandas-audit": "biasaudit, pandas frame",
        "pyarrow-audit": "biasaudit, pyarrow Table",
        "polars-audit": "biasaudit, polars DataFrame",
        "pandas-duckdb": "floor: DuckDB GROUP BY on the pandas frame",
        "polars-own": "floor: polars group_by",
    }
    for case, label in labels.items():
        m = big[case]
        rows.append(
            f"| {label} | {m['first']:.3f} | {m['warm']:.3f} | {m['first'] / floor_first:.2f}x "
            f"(warm {m['warm'] / floor_warm:.2f}x) | {m['extra_mb']:.0f} | {m['frame_mb']:.0f} |"
        )
    rows += ["", "| slowest top-level imports of `biasaudit audit small.csv` | s |", "|---|---:|"]
    rows += [f"| {name} | {seconds:.3f} |" for name, seconds in _imports(str(csv))]
    from bench_audit import busy_processes

    header = [
        "# First call and in-memory frames",
        "",
        f"`python benchmarks/bench_first_call.py --rows {args.rows} --repeats {reps}`; medians "
        f"of {reps} fresh processes.",
        "",
        *[f"- {k}: {v}" for k, v in machine_info().items()],
        f"- other processes busy at the end: {busy_processes() or 'none'}",
        "",
    ]
    text = "\n".join(header + rows) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
