"""Mitigations against their floors, each in fresh processes: reweighing an in-memory frame
against the audit itself and AIF360, reweighing a Parquet file into Parquet against DuckDB's
own COPY with the same weight expression, and uniform resampling of a Parquet file.

Run from the repository root::

    python benchmarks/bench_mitigation_floors.py --frame-rows 10000000 --file-rows 50000000

The data are those of ``bench_audit.py`` (sex 2 values, race 5, age, five features, label,
prediction), written to ``benchmarks/data/`` as Parquet (setup, never timed). Every case runs
``--repeats`` times, each in a new process; reported are medians of the first call in the
process (imports included) and, for the in-memory cases, of the second (warm) call.

* ``audit``: ``audit.audit(df, sensitive_features=["sex", "race"], label="label",
  favorable=1)`` on the pandas frame (read before timing).
* ``reweigh``: ``audit.mitigate(df, ..., method="reweighing")`` with the same spec: the
  audit before, the weight column, and the audit after (computed from the count table).
* ``aif360``: ``Reweighing(unprivileged_groups=[{"sex": 0}], privileged_groups=[{"sex":
  1}]).fit_transform(BinaryLabelDataset(...))`` (the dataset's construction not timed; sex
  and race encoded as integers first, not timed). One run per process.
* ``file-reweigh``: ``audit.mitigate(path, ..., method="reweighing", output=out.parquet)``.
* ``file-copy`` (floor): DuckDB ``COPY (SELECT *, CASE ... END AS mitigation_weight FROM
  read_parquet(path)) TO out.parquet``, the CASE holding the same 20 weights (computed before
  timing from a GROUP BY).
* ``file-uniform``: ``audit.mitigate(path, ..., method="uniform", output=out.parquet)``.

Peak memory is the process's RSS high-water mark (VmHWM); for the frame cases minus the RSS
once the frame is loaded.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
MARK = "BENCH-RESULT "
SPEC: dict[str, Any] = {"sensitive_features": ["sex", "race"], "label": "label", "favorable": 1}


def child(case: str, path: str, out: str) -> dict[str, Any]:
    from bench_audit import _reset_peak_rss, _status_kb  # the peak-RSS readers

    base = 0
    if case in ("audit", "reweigh", "aif360"):
        import pandas as pd

        df = pd.read_parquet(path)
        if case == "aif360":
            import logging
            import warnings

            logging.getLogger().setLevel(logging.ERROR)
            warnings.simplefilter("ignore")
            from aif360.algorithms.preprocessing import Reweighing
            from aif360.datasets import BinaryLabelDataset

            encoded = df.assign(
                sex=(df["sex"] == "male").astype("int64"),
                race=df["race"].astype("category").cat.codes.astype("int64"),
            )
            dataset = BinaryLabelDataset(df=encoded, label_names=["label"],
                                         protected_attribute_names=["sex", "race"])  # fmt: skip
            del df, encoded
        base = _status_kb("VmRSS")
        _reset_peak_rss()
    times = []
    for _ in range(1 if case in ("aif360",) or case.startswith("file") else 2):
        start = time.perf_counter()
        if case == "audit":
            import audit

            audit.audit(df, **SPEC)
        elif case == "reweigh":
            import audit

            audit.mitigate(df, method="reweighing", **SPEC)
        elif case == "aif360":
            Reweighing(unprivileged_groups=[{"sex": 0}],
                       privileged_groups=[{"sex": 1}]).fit_transform(dataset)  # fmt: skip
        elif case in ("file-reweigh", "file-uniform"):
            import audit

            method = "reweighing" if case == "file-reweigh" else "uniform"
            audit.mitigate(path, method=method, output=out, overwrite=True, **SPEC)
        else:
            import duckdb

            connection = duckdb.connect()
            source = f"read_parquet('{path}')"
            cells = connection.sql(f"SELECT sex, race, label, count(*) FROM {source} "
                                   "GROUP BY ALL").fetchall()  # fmt: skip
            total = sum(c[3] for c in cells)
            groups: dict[tuple[str, str], int] = {}
            labels: dict[int, int] = {}
            for s, r, y, n in cells:
                groups[(s, r)] = groups.get((s, r), 0) + n
                labels[y] = labels.get(y, 0) + n
            case_sql = " ".join(
                f"WHEN sex = '{s}' AND race = '{r}' AND label = {y} THEN "
                f"{groups[(s, r)] * labels[y] / (total * n)!r}"
                for s, r, y, n in cells
            )
            start = time.perf_counter()  # the weights above are not timed
            connection.sql(f"COPY (SELECT *, CASE {case_sql} ELSE 1.0 END AS mitigation_weight "
                           f"FROM {source}) TO '{out}' (FORMAT parquet)")  # fmt: skip
        times.append(time.perf_counter() - start)
    return {
        "first": times[0],
        "warm": times[-1] if len(times) > 1 else None,
        "peak_mb": (_status_kb("VmHWM") - base) / 1024,
    }


def _run(case: str, path: Path, out: Path) -> dict[str, Any]:
    text = subprocess.run([sys.executable, __file__, "--child", case, str(path), str(out)],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    line = next(x for x in text.splitlines() if x.startswith(MARK))
    return dict(json.loads(line[len(MARK) :]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frame-rows", type=int, default=10_000_000)
    parser.add_argument("--file-rows", type=int, default=50_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks/results/mitigation_floors.md"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(MARK + json.dumps(child(*args.child)))
        return 0
    from bench_audit import DEFAULT_DATA_DIR, busy_processes, ensure_parquet

    frame_path, _ = ensure_parquet(args.frame_rows, 0, DEFAULT_DATA_DIR, reuse=True)
    file_path, _ = ensure_parquet(args.file_rows, 0, DEFAULT_DATA_DIR, reuse=True)
    out = Path(tempfile.mkdtemp(prefix="bench-mit-")) / "out.parquet"
    res: dict[str, dict[str, Any]] = {}
    for case in ("audit", "reweigh", "aif360", "file-reweigh", "file-copy", "file-uniform"):
        path = frame_path if case in ("audit", "reweigh", "aif360") else file_path
        runs = [_run(case, path, out) for _ in range(args.repeats if case != "aif360" else 1)]
        res[case] = {
            k: statistics.median(r[k] for r in runs) if runs[0][k] is not None else None
            for k in runs[0]
        }
    a, r, f = res["audit"], res["reweigh"], res["aif360"]
    c, u = res["file-copy"], res["file-reweigh"]
    fr, fi = f"{args.frame_rows / 1e6:g}M", f"{args.file_rows / 1e6:g}M"
    lines = [
        "# Mitigations against their floors",
        "",
        f"`python benchmarks/bench_mitigation_floors.py --frame-rows {args.frame_rows} "
        f"--file-rows {args.file_rows} --repeats {args.repeats}`; medians of fresh processes; "
        f"busy at the end: {busy_processes() or 'none'}.",
        "",
        "| case | first call s | warm s | against | peak MB |",
        "|---|---:|---:|---|---:|",
        f"| audit, {fr} pandas rows (sex x race) | {a['first']:.2f} | {a['warm']:.2f} | | "
        f"{a['peak_mb']:.0f} beyond the frame |",
        f"| reweighing, {fr} pandas rows | {r['first']:.2f} | {r['warm']:.2f} | "
        f"{r['first'] / a['first']:.2f}x the audit first, {r['warm'] / a['warm']:.2f}x warm; "
        f"AIF360 {f['first'] / r['first']:.1f}x slower than the first call, "
        f"{f['first'] / r['warm']:.1f}x than warm | {r['peak_mb']:.0f} beyond the frame |",
        f"| AIF360 Reweighing.fit_transform, {fr} rows | {f['first']:.2f} | | | "
        f"{f['peak_mb']:.0f} beyond the dataset |",
        f"| reweighing {fi}-row Parquet -> Parquet | {u['first']:.2f} | | "
        f"{u['first'] / c['first']:.2f}x DuckDB COPY | {u['peak_mb']:.0f} |",
        f"| floor: DuckDB COPY with the weight CASE, {fi} rows | {c['first']:.2f} | | | "
        f"{c['peak_mb']:.0f} |",
        f"| uniform resampling {fi}-row Parquet -> Parquet | {res['file-uniform']['first']:.2f} "
        f"| | | {res['file-uniform']['peak_mb']:.0f} |",
    ]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
