"""Benchmark biasaudit on a PySpark DataFrame in local mode, with Spark's own floors.

Run from the repository root::

    python benchmarks/bench_spark.py --reuse-data --out benchmarks/results/spark.md
    python benchmarks/bench_spark.py --rows 200000 --processes 1 --warm 1   # a smoke run

The data are those of ``bench_audit.py`` (its builder is imported, not copied): ``sex`` (2
string values), ``race`` (5), ``age``, five numeric features, a binary ``label`` and ``pred``,
written to ``benchmarks/data/`` as Parquet (setup, never timed) and read with
``spark.read.parquet`` by a ``local[2]`` session (``spark.sql.shuffle.partitions`` 4, driver
memory 4g).

Every task runs in ``--processes`` fresh Python processes, each with its own new Spark session
(session start-up is reported, never counted). In each process the task runs once (the first
call: JIT and Spark's caches cold) and then ``--warm`` more times; the table gives the median
of the first calls and the median of the warm calls over all processes.

Tasks:

* ``scan``: ``df.count()`` -- Spark's floor for touching the data.
* ``sum``: ``df.agg(F.sum("x1")).collect()`` -- a scan that reads one column.
* ``groupby``: Spark's own ``GROUP BY sex, race, age band, label, pred`` with ``count(*)``
  (the keys of the audit's grouped count), collected.
* ``audit``: ``audit.audit(df, sensitive_features=["sex", "race", "age"], label="label",
  favorable=1, prediction="pred", bins={"age": [25, 45, 65]})``.
* ``reweigh``: ``mitigate(df, sensitive_features=["sex", "race"], label="label",
  favorable=1, method="reweighing")`` (it audits the data; the audit after follows from the
  same count), then materialising the weight column with ``.agg(F.sum(weight)).collect()``.
* ``resample``: the same with ``method="uniform", random_state=0`` (the audit after reads
  the resampled frame), then ``.count()`` of the lazy result.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _load_bench_audit() -> Any:
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    return importlib.import_module("bench_audit")


base = _load_bench_audit()
ROOT = base.ROOT
MARKER = "SPARK-RESULT "
TASKS = ("scan", "sum", "groupby", "audit", "reweigh", "resample")
KWARGS: dict[str, Any] = {"sensitive_features": ["sex", "race"], "label": "label", "favorable": 1}
LABELS = {
    "scan": ("Spark `df.count()` (floor)", "scan"),
    "sum": ("Spark `df.agg(sum(x1))` (floor)", "one column"),
    "groupby": ("Spark GROUP BY sex, race, age band, label, pred (floor)", "count(*), collected"),
    "audit": ("biasaudit `audit()`: 3 attributes, 7 dimensions, prediction", "one grouped count"),
    "reweigh": ("biasaudit reweighing (sex x race) + materialise", "sum of the weight column"),
    "resample": ("biasaudit uniform resampling (sex x race) + count", "count of the lazy result"),
}


# -- the child process -----------------------------------------------------------------------


def _session() -> Any:
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("biasaudit-bench")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "4g")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _run(task: str, df: Any) -> dict[str, float]:
    """One call of ``task``; its phases in seconds."""
    from pyspark.sql import functions as F  # noqa: N812

    import audit

    start = time.perf_counter()
    if task == "scan":
        df.count()
    elif task == "sum":
        df.agg(F.sum("x1")).collect()
    elif task == "groupby":
        band = (
            (F.col("age") >= 25).cast("int")
            + (F.col("age") >= 45).cast("int")
            + (F.col("age") >= 65).cast("int")
        )
        df.groupBy("sex", "race", band.alias("band"), "label", "pred").count().collect()
    elif task == "audit":
        audit.audit(df, **base.AUDIT_KWARGS)
    elif task == "reweigh":
        result = audit.mitigate(df, method="reweighing", **KWARGS)
        mitigated = time.perf_counter()
        total = result.data.agg(F.sum("mitigation_weight")).collect()[0][0]
        end = time.perf_counter()
        assert abs(total - df.count()) < 1e-6 * total  # the weights keep the total
        return {"total": end - start, "mitigate": mitigated - start, "materialise": end - mitigated}
    elif task == "resample":
        result = audit.mitigate(df, method="uniform", random_state=0, **KWARGS)
        mitigated = time.perf_counter()
        n = result.data.count()
        end = time.perf_counter()
        assert n == result.plan.n_rows_after
        return {"total": end - start, "mitigate": mitigated - start, "materialise": end - mitigated}
    else:
        raise ValueError(task)
    return {"total": time.perf_counter() - start}


def child_main(spec: dict[str, Any]) -> dict[str, Any]:
    warnings.simplefilter("ignore")  # pyspark's notes on pandas 3
    start = time.perf_counter()
    spark = _session()
    df = spark.read.parquet(spec["path"])
    session_s = time.perf_counter() - start
    runs = [_run(spec["task"], df) for _ in range(1 + spec["warm"])]
    spark.stop()
    return {"session": session_s, "runs": runs}


# -- the parent ------------------------------------------------------------------------------


def run_child(task: str, path: Path, warm: int) -> dict[str, Any]:
    spec = json.dumps({"task": task, "path": str(path), "warm": warm})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, __file__, "--child", spec],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            result: dict[str, Any] = json.loads(line[len(MARKER) :])
            return result
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    raise RuntimeError(f"{task}: the child failed ({proc.returncode}): {' | '.join(tail)}")


def _median(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "-"


def render(rows: int, results: dict[str, list[dict[str, Any]]], info: dict[str, str]) -> str:
    n = base._fmt_rows(rows)
    lines = [
        f"# biasaudit on PySpark (local[2]), {n} rows",
        "",
        f"Run {info['started']} with `{info['command']}` ({info['wall']}). Medians in seconds over "
        f"{info['processes']} fresh process(es); first = the first call in the process, warm = "
        "the calls after it. For reweighing and resampling the time splits into the `mitigate()` "
        "call (which audits the data) and materialising its lazy result.",
        "",
        "| task | what is timed | first | warm | mitigate() warm | materialise warm |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for task, runs in results.items():
        first = [r["runs"][0]["total"] for r in runs]
        warm = [x["total"] for r in runs for x in r["runs"][1:]]
        split = [x for r in runs for x in r["runs"][1:]] or [r["runs"][0] for r in runs]
        mitigate = [x["mitigate"] for x in split if "mitigate" in x]
        materialise = [x["materialise"] for x in split if "materialise" in x]
        label, what = LABELS[task]
        lines.append(
            f"| {label} | {what} | {_median(first)} | {_median(warm)} | {_median(mitigate)} "
            f"| {_median(materialise)} |"
        )
    sessions = [r["session"] for runs in results.values() for r in runs]
    lines += [
        "",
        f"Spark session start-up plus opening the Parquet file: median {_median(sessions)} s "
        "(not counted above).",
        "",
        "## Machine",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in info.items() if key not in ("command",)]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of synthetic data")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    parser.add_argument("--processes", type=int, default=3, help="fresh processes per task")
    parser.add_argument("--warm", type=int, default=2, help="warm calls after the first one")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--data-dir", type=Path, default=base.DEFAULT_DATA_DIR)
    parser.add_argument("--reuse-data", action="store_true", help="keep a matching data file")
    parser.add_argument("--out", type=Path, default=None, help="Markdown file to write")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        print(MARKER + json.dumps(child_main(json.loads(args.child))), flush=True)
        return 0
    started = time.perf_counter()
    path, setup_s = base.ensure_parquet(args.rows, args.seed, args.data_dir, reuse=args.reuse_data)
    base._log(f"data {path} ({'reused' if not setup_s else f'written in {setup_s:.1f} s'})")
    busy_before = base.busy_processes()
    results: dict[str, list[dict[str, Any]]] = {}
    for task in args.tasks:
        results[task] = []
        for i in range(args.processes):
            result = run_child(task, path, args.warm)
            results[task].append(result)
            times = ", ".join(f"{r['total']:.2f}" for r in result["runs"])
            base._log(f"{task} [{i + 1}/{args.processes}]: {times} s")
    machine = base.machine_info()
    info = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python benchmarks/bench_spark.py " + shlex.join(sys.argv[1:]),
        "wall": f"{time.perf_counter() - started:.0f} s in all",
        "processes": str(args.processes),
        "CPU": machine["CPU"],
        "RAM": machine["RAM"],
        "Python": machine["Python"],
        "biasaudit": machine["biasaudit"],
        "pyspark": base._version("pyspark"),
        "narwhals": machine["narwhals"],
        "Java": _java_version(),
        "other busy processes (>= 20% CPU over 1 s)": (
            f"start: {busy_before}; end: {base.busy_processes()}"
        ),
    }
    text = render(args.rows, results, info)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


def _java_version() -> str:
    try:
        proc = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    except OSError:
        return "not found"
    lines = proc.stderr.strip().splitlines()
    return lines[0] if lines else "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
