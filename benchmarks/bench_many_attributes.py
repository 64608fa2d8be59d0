"""Many sensitive attributes: 10 attributes of 3 values at 1M rows, in fresh processes.

Run from the repository root::

    python benchmarks/bench_many_attributes.py --out benchmarks/results/many_attributes.md

A seeded pandas frame of ``--rows`` rows with ten sensitive columns ``s0``..``s9`` (3 string
values each) and a binary label that depends on three of them is built in each child
process (not timed). Timed: ``audit.audit(df, sensitive_features=[...], label="y")`` with the
default ``max_depth`` (3: 175 dimensions, 3,675 groups) and with ``max_depth=4`` (385
dimensions, 20,685 groups); the floor is DuckDB's GROUP BY of all ten columns and the label on
the same frame (3^10 x 2 = 118,098 cells at most), first call in the same kind of fresh
process. Peak memory is the process's RSS high-water mark minus its RSS once the frame exists.
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

ROOT = Path(__file__).resolve().parents[1]
MARK = "BENCH-RESULT "
COLUMNS = [f"s{i}" for i in range(10)]


def child(case: str, rows: int) -> dict[str, Any]:
    import numpy as np
    import pandas as pd
    from bench_audit import _reset_peak_rss, _status_kb  # the peak-RSS readers

    rng = np.random.default_rng(0)
    codes = rng.integers(0, 3, size=(rows, len(COLUMNS)))
    df = pd.DataFrame({c: np.array(["a", "b", "c"])[codes[:, i]] for i, c in enumerate(COLUMNS)})
    logit = -0.5 + 0.6 * (codes[:, 0] == 1) - 0.8 * ((codes[:, 1] == 2) & (codes[:, 2] == 0))
    df["y"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    del codes
    base = _status_kb("VmRSS")
    _reset_peak_rss()
    start = time.perf_counter()
    if case == "duckdb":
        import duckdb

        connection = duckdb.connect()
        connection.register("frame", df)
        cells = len(connection.sql(f"SELECT {', '.join(COLUMNS)}, y, count(*) FROM frame "
                                   "GROUP BY ALL").fetchall())  # fmt: skip
        out: dict[str, Any] = {"cells": cells}
    else:
        import audit

        depth: Any = {"default": 3, "depth4": 4}[case]
        result = audit.audit(df, sensitive_features=COLUMNS, label="y",
                             **({} if case == "default" else {"max_depth": depth}))  # fmt: skip
        out = {
            "dimensions": len(result.dimensions),
            "groups": sum(len(d.groups) for d in result.dimensions),
            "worst_off_tested": result.worst_off.tested if result.worst_off else 0,
        }
    out["seconds"] = time.perf_counter() - start
    out["extra_mb"] = (_status_kb("VmHWM") - base) / 1024
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/many_attributes.md")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(MARK + json.dumps(child(args.child[0], int(args.child[1]))))
        return 0
    results = {}
    for case in ("duckdb", "default", "depth4"):
        runs = []
        for _ in range(args.repeats):
            out = subprocess.run([sys.executable, __file__, "--child", case, str(args.rows)],
                                 capture_output=True, text=True, check=True).stdout  # fmt: skip
            runs.append(
                json.loads(next(x for x in out.splitlines() if x.startswith(MARK))[len(MARK) :])
            )
        results[case] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    floor = results["duckdb"]["seconds"]
    lines = [
        "# Ten sensitive attributes of three values",
        "",
        f"`python benchmarks/bench_many_attributes.py --rows {args.rows} --repeats "
        f"{args.repeats}`; medians of fresh processes (first call: imports included).",
        "",
        "| case | dimensions | groups | s | vs DuckDB GROUP BY | peak beyond the frame MB |",
        "|---|---:|---:|---:|---:|---:|",
        f"| floor: DuckDB GROUP BY of the 10 columns and the label "
        f"({results['duckdb']['cells']:,.0f} cells) | | | {floor:.2f} | 1.0x | "
        f"{results['duckdb']['extra_mb']:.0f} |",
    ]
    for case, label in (("default", "audit, default max_depth=3"), ("depth4", "max_depth=4")):
        r = results[case]
        lines.append(
            f"| {label} | {r['dimensions']:,.0f} | {r['groups']:,.0f} | {r['seconds']:.2f} | "
            f"{r['seconds'] / floor:.1f}x | {r['extra_mb']:.0f} |"
        )
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
