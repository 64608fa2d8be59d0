"""Benchmark a continuous-label audit against the binary audit of the same Parquet file.

Run from the repository root::

    python benchmarks/bench_continuous.py                  # 50M rows (3 GB of Parquet)
    python benchmarks/bench_continuous.py --rows 1000000   # a quick run

The data (setup, never timed) is written by DuckDB to ``benchmarks/data/``: ``sex`` (2
values), ``race`` (5), a binary ``label`` and a continuous ``income`` (log-normal, shifted by
group), seeded. Each measurement runs in a fresh Python process: the first call (imports,
DuckDB start-up) and the median of ``--reps`` warm calls, with the process's peak RSS:

* ``binary``: ``audit.audit(path, sensitive_features=["sex", "race"], label="label")``;
* ``continuous``: the same with ``label="income", label_type="continuous"``: above 2M
  labelled rows one binned scan (``GROUP BY sex, race, bin`` of a 4096-bin histogram with
  each cell's sums, keeping the rows of the bins about the median) gives the exact median,
  the grouped count of "above the median" and each group's histogram and moments;
* ``floor``: DuckDB's own queries for the same tables: ``GROUP BY sex, race, label``, and the
  median with ``GROUP BY sex, race, bin`` (sums of the centred values and their squares).

The ratio continuous / binary is the one the issue bounds (3x).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_health import _peak_mb  # the process's high-water mark (VmHWM)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results"
KINDS = ("binary", "continuous", "floor")


def ensure_data(rows: int) -> Path:
    import duckdb

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"continuous_{rows}.parquet"
    if path.exists():
        return path
    con = duckdb.connect()
    con.execute("SELECT setseed(0.42)")
    con.execute(
        f"""
        COPY (
          SELECT sex, race,
                 CAST(random() < 0.2 + 0.15 * CAST(sex = 'M' AS INTEGER) AS INTEGER) AS label,
                 exp(10.5 + 0.25 * CAST(sex = 'M' AS INTEGER) - 0.1 * CAST(race = 'B' AS INTEGER)
                     + 0.8 * x) AS income
          FROM (
            SELECT CASE WHEN random() < 0.45 THEN 'F' ELSE 'M' END AS sex,
                   ['A', 'B', 'C', 'D', 'E'][1 + CAST(floor(random() * 5) AS INTEGER)] AS race,
                   sqrt(-2 * ln(random() + 1e-12)) * cos(2 * pi() * random()) AS x
            FROM range({rows})
          )
        ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
        """
    )
    return path


def _run(kind: str, path: str) -> Any:
    if kind == "floor":
        import duckdb

        con = duckdb.connect()
        src = f"read_parquet('{path}')"
        con.execute(f"SELECT sex, race, label, count(*) FROM {src} GROUP BY ALL").fetchall()
        med, lo, hi = con.execute(
            f"SELECT median(income), min(income), max(income) FROM {src}"
        ).fetchone()
        width = (hi - lo) / 4096
        return con.execute(
            f"""SELECT sex, race, least(floor((income - {lo}) / {width}), 4095) AS b, count(*),
                       sum(income - {med}), sum((income - {med}) ^ 2)
                FROM {src} GROUP BY ALL"""
        ).fetchall()
    import warnings

    import audit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "binary":
            return audit.audit(path, sensitive_features=["sex", "race"], label="label")
        return audit.audit(
            path, sensitive_features=["sex", "race"], label="income", label_type="continuous"
        )


def child(kind: str, path: str, reps: int) -> None:
    start = time.perf_counter()
    _run(kind, path)
    first = time.perf_counter() - start
    warm = []
    for _ in range(reps):
        start = time.perf_counter()
        _run(kind, path)
        warm.append(time.perf_counter() - start)
    out = {"kind": kind, "first": first, "warm": warm, "peak_mb": _peak_mb()}
    print("BENCH " + json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.reps)
        return
    path = ensure_data(args.rows)
    results = {}
    for kind in KINDS:
        run = subprocess.run(
            [sys.executable, __file__, "--reps", str(args.reps), "--child", kind, str(path)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        line = next(x for x in run.stdout.splitlines() if x.startswith("BENCH "))
        results[kind] = json.loads(line[6:])
    for kind, r in results.items():
        print(f"{kind:>10}: first {r['first']:.2f} s, warm median "
              f"{statistics.median(r['warm']):.2f} s, peak {r['peak_mb']:.0f} MB")  # fmt: skip
    ratio = statistics.median(results["continuous"]["warm"]) / statistics.median(
        results["binary"]["warm"]
    )
    print(f"continuous / binary (warm medians): {ratio:.2f}x")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"continuous_{args.rows}.json"
    out.write_text(json.dumps({"rows": args.rows, "results": results, "ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()
