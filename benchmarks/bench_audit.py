"""Benchmark the full biasaudit audit against fairlearn and AIF360 on synthetic data.

Run from the repository root::

    python benchmarks/bench_audit.py                       # 1M and 10M rows, the full run
    python benchmarks/bench_audit.py --rows 100000 --repeats 2      # a quick smoke run
    python benchmarks/bench_audit.py --out benchmarks/results/latest.md

What is measured
----------------
For every row count N (default 1,000,000 and 10,000,000) a seeded synthetic dataset is built
with numpy: ``sex`` (2 string values), ``race`` (5 string values), ``age`` (integer 17-90,
binned by the audit into 4 bands), five numeric features ``x1``..``x5``, a binary ``label``
and a binary ``pred`` that both depend on sex, race, age and the features, so the disparities
are real. It is written to ``benchmarks/data/`` as Parquet (setup, never timed).

Every tool is then timed in its own fresh Python process, so that one tool's memory (fairlearn
needs ~6 GB at 10M rows) never affects another's time or peak RSS:

* ``biasaudit`` on a pandas frame: ``audit.audit(df, sensitive_features=["sex", "race",
  "age"], label="label", favorable=1, prediction="pred", bins={"age": [25, 45, 65]})`` -- all
  7 dimensions (3 attributes, 3 pairs, 1 triple): shares, base rates, disparate impact,
  parity differences, Wilson / Newcombe / Katz intervals, tests with Holm adjustment, and
  selection rate / TPR / FPR / FNR / PPV per group.
* ``biasaudit`` on the Parquet path (opened lazily by DuckDB); the process never holds the
  data, so its peak RSS is the whole-process high-water mark (VmHWM; not ``ru_maxrss``,
  which a subprocess inherits from its parent on Linux).
* fairlearn: ``MetricFrame(metrics={"selection_rate": ..., "count": ...}, y_true=label,
  y_pred=pred, sensitive_features=df[["sex", "race"]]).by_group``.
* AIF360: ``BinaryLabelDataset(df=..., label_names=["label"], protected_attribute_names=
  ["sex", "race"])`` + ``BinaryLabelDatasetMetric(privileged_groups=[{"sex": 1}],
  unprivileged_groups=[{"sex": 0}])`` with ``disparate_impact()`` and
  ``statistical_parity_difference()``. AIF360 needs numeric columns: the string columns are
  encoded to integers before timing starts (a user has to do that anyway); the encoding time
  is reported separately and not counted.

fairlearn and AIF360 compute far less than the audit (2 metrics over 10 groups; 2 numbers for
one attribute). Frame-based tools read the Parquet file into pandas before timing (not
timed). Each tool gets one untimed warm-up call on the full data first (imports, DuckDB
start-up, caches); when a slow competitor runs only once at a large N (see
``--single-run-above``) its warm-up uses a 10,000-row slice instead. Reported: median and min
of the timed runs, the ratio competitor median / biasaudit-on-pandas median at the same N, and
peak RSS of the tool's process (for frame-based tools the high-water mark is reset after the
frame is loaded, so the peak includes the frame, whose size is shown too). Ratios come from the
same invocation. Results of the three tools are cross-checked for agreement.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import logging
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = ROOT / "benchmarks" / "data"

SENSITIVE = ["sex", "race", "age"]
AGE_BINS = [25, 45, 65]
AUDIT_KWARGS: dict[str, Any] = {
    "sensitive_features": SENSITIVE,
    "label": "label",
    "favorable": 1,
    "prediction": "pred",
    "bins": {"age": AGE_BINS},
}
SEXES = ("female", "male")
RACES = ("A", "B", "C", "D", "E")
RACE_SHARES = (0.60, 0.13, 0.06, 0.16, 0.05)
FEATURES = ("x1", "x2", "x3", "x4", "x5")
GENERATOR_VERSION = 1
METADATA_KEY = b"biasaudit-bench"
WARMUP_SLICE = 10_000
RESULT_MARKER = "BENCH-RESULT "

TOOLS = ("ours-pandas", "ours-parquet", "fairlearn", "aif360")
TOOL_LABELS = {
    "ours-pandas": ("biasaudit", "pandas frame"),
    "ours-parquet": ("biasaudit", "Parquet path (DuckDB)"),
    "fairlearn": ("fairlearn MetricFrame", "pandas frame"),
    "aif360": ("AIF360 BinaryLabelDatasetMetric", "pandas frame (numeric)"),
}
TOOL_WORK = {
    "ours-pandas": "full audit: 7 dimensions, label + prediction metrics, intervals, tests",
    "ours-parquet": "full audit: 7 dimensions, label + prediction metrics, intervals, tests",
    "fairlearn": "selection_rate + count of pred by sex x race",
    "aif360": "disparate impact + statistical parity difference of label, sex only",
}


# -- synthetic data --------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def generate(n: int, seed: int) -> Any:
    """A seeded synthetic dataset as a pyarrow Table (strings for sex and race)."""
    import pyarrow as pa

    rng = np.random.default_rng([seed, n])
    male = rng.random(n) < 0.52
    race = rng.choice(len(RACES), size=n, p=RACE_SHARES).astype(np.int8)
    age = np.clip(np.rint(rng.normal(41.0, 14.0, n)), 17, 90).astype(np.int64)
    x = rng.standard_normal((len(FEATURES), n))
    # x1 is a proxy of the sensitive attributes, as income or zip code often is.
    x[0] += 0.5 * male - 0.4 * np.isin(race, (1, 3))
    race_effect = np.array([0.0, -0.55, 0.15, -0.35, -0.25])[race]
    centred_age = (age - 45.0) / 15.0
    logit = (
        -0.9
        + 0.45 * male
        + race_effect
        + 0.3 * centred_age
        - 0.25 * centred_age**2
        + 0.8 * x[0]
        + 0.5 * x[1]
        - 0.3 * x[2]
    )
    label = (rng.random(n) < _sigmoid(logit)).astype(np.int64)
    # The model learns the label imperfectly and leans further towards men and race A.
    score = 0.9 * logit + 0.25 * male + 0.2 * (race == 0) + rng.normal(0.0, 0.8, n)
    pred = (score > -0.2).astype(np.int64)

    def strings(codes: np.ndarray, names: Sequence[str]) -> Any:
        dictionary = pa.array(list(names), type=pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), dictionary).cast(
            pa.string()
        )

    columns: dict[str, Any] = {
        "sex": strings(male.astype(np.int8), SEXES),
        "race": strings(race, RACES),
        "age": pa.array(age),
    }
    for name, values in zip(FEATURES, x, strict=True):
        columns[name] = pa.array(values)
    columns["label"] = pa.array(label)
    columns["pred"] = pa.array(pred)
    return pa.table(columns)


def ensure_parquet(n: int, seed: int, data_dir: Path, *, reuse: bool) -> tuple[Path, float]:
    """Write (or, with ``reuse``, keep a matching) Parquet file; return it and setup seconds."""
    import pyarrow.parquet as pq

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"synthetic_{n}_seed{seed}.parquet"
    tag = json.dumps({"rows": n, "seed": seed, "generator": GENERATOR_VERSION}).encode()
    if reuse and path.exists():
        with contextlib.suppress(Exception):
            meta = pq.read_schema(path).metadata or {}
            if meta.get(METADATA_KEY) == tag and pq.read_metadata(path).num_rows == n:
                return path, 0.0
    start = time.perf_counter()
    table = generate(n, seed)
    table = table.replace_schema_metadata({METADATA_KEY: tag})
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=data_dir)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path, time.perf_counter() - start


# -- memory ----------------------------------------------------------------------------------


def _status_kb(field_name: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark of this process (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def _peak_rss_kb() -> int:
    """Peak RSS of this process in KB: VmHWM, else ``ru_maxrss``.

    ``ru_maxrss`` is not used on Linux because a subprocess inherits its parent's high-water
    mark: exec records the replaced address space's peak (that of the parent, which has just
    generated the data) in the process's ``maxrss``. VmHWM belongs to the process's own
    address space only.
    """
    hwm = _status_kb("VmHWM")
    if hwm is not None:
        return hwm
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _current_rss_kb() -> int:
    rss = _status_kb("VmRSS")
    if rss is not None:
        return rss
    import psutil

    return int(psutil.Process().memory_info().rss // 1024)


# -- the child process: one tool, one dataset ------------------------------------------------


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence a competitor's warnings and root-logger chatter (never used around ours)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def _summary_ours(result: Any) -> dict[str, Any]:
    sex = result.dimension("sex")
    female = sex.group("female").base_rate.value
    male = sex.group("male").base_rate.value
    pair = result.dimension("sex", "race")
    return {
        "dimensions": len(result.dimensions),
        "selection_rate": {
            " & ".join(g.key): g.classification.selection_rate.value for g in pair.groups
        },
        "count": {" & ".join(g.key): g.n for g in pair.groups},
        "disparate_impact": female / male,
        "statistical_parity_difference": female - male,
    }


def child_main(spec: dict[str, Any]) -> dict[str, Any]:
    """Time one tool on one dataset in this (fresh) process and measure its peak RSS."""
    tool: str = spec["tool"]
    path: str = spec["path"]
    repeats: int = spec["repeats"]
    warmup: str = spec["warmup"]
    out: dict[str, Any] = {"tool": tool}
    run: Callable[[], Any]
    summarise: Callable[[Any], dict[str, Any]]
    warm: Callable[[], Any]

    if tool == "ours-parquet":
        import audit

        def run() -> Any:
            return audit.audit(path, **AUDIT_KWARGS)

        warm = run
        summarise = _summary_ours
        out["baseline_rss_kb"] = _current_rss_kb()
        out["peak_reset"] = False
    else:
        import pandas as pd

        if tool == "ours-pandas":
            import audit
        elif tool == "fairlearn":
            with _quiet():
                from fairlearn.metrics import MetricFrame, count, selection_rate
        elif tool == "aif360":
            with _quiet():
                from aif360.datasets import BinaryLabelDataset
                from aif360.metrics import BinaryLabelDatasetMetric
        else:
            raise ValueError(f"unknown tool {tool!r}")

        df = pd.read_parquet(path)
        if tool == "aif360":
            start = time.perf_counter()
            encoded = df.assign(
                sex=(df["sex"] == "male").astype("int64"),
                race=df["race"].map({r: i for i, r in enumerate(RACES)}).astype("int64"),
            )
            out["encode_s"] = time.perf_counter() - start
            del df
            df = encoded
        small = df.head(WARMUP_SLICE).copy()

        def on(frame: pd.DataFrame) -> Callable[[], Any]:
            if tool == "ours-pandas":
                return lambda: audit.audit(frame, **AUDIT_KWARGS)
            if tool == "fairlearn":

                def fairlearn_run() -> Any:
                    with _quiet():
                        frame_ = MetricFrame(
                            metrics={"selection_rate": selection_rate, "count": count},
                            y_true=frame["label"],
                            y_pred=frame["pred"],
                            sensitive_features=frame[["sex", "race"]],
                        )
                        return frame_.by_group

                return fairlearn_run

            def aif360_run() -> Any:
                with _quiet():
                    dataset = BinaryLabelDataset(
                        df=frame,
                        label_names=["label"],
                        protected_attribute_names=["sex", "race"],
                        favorable_label=1,
                        unfavorable_label=0,
                    )
                    metric = BinaryLabelDatasetMetric(
                        dataset,
                        privileged_groups=[{"sex": 1}],
                        unprivileged_groups=[{"sex": 0}],
                    )
                    return metric.disparate_impact(), metric.statistical_parity_difference()

            return aif360_run

        run = on(df)
        warm = run if warmup == "full" else on(small)
        if tool == "ours-pandas":
            summarise = _summary_ours
        elif tool == "fairlearn":

            def summarise(by_group: Any) -> dict[str, Any]:
                return {
                    "selection_rate": {
                        f"{s} & {r}": float(v) for (s, r), v in by_group["selection_rate"].items()
                    },
                    "count": {f"{s} & {r}": int(v) for (s, r), v in by_group["count"].items()},
                }
        else:

            def summarise(pair: Any) -> dict[str, Any]:
                return {
                    "disparate_impact": float(pair[0]),
                    "statistical_parity_difference": float(pair[1]),
                }

        out["frame_mb"] = float(df.memory_usage(deep=True).sum()) / 2**20
        gc.collect()
        out["baseline_rss_kb"] = _current_rss_kb()
        out["peak_reset"] = _reset_peak_rss()

    start = time.perf_counter()
    warm()
    out["warmup_s"] = time.perf_counter() - start
    times: list[float] = []
    value: Any = None
    for _ in range(repeats):
        value = None
        gc.collect()
        start = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - start)
    out["times"] = times
    out["peak_rss_kb"] = _peak_rss_kb()
    out["summary"] = summarise(value)
    return out


# -- the parent: orchestration and report ----------------------------------------------------


@dataclass
class Measurement:
    rows: int
    tool: str
    repeats: int
    warmup: str
    times: list[float] = field(default_factory=list)
    peak_rss_mb: float | None = None
    baseline_rss_mb: float | None = None
    frame_mb: float | None = None
    encode_s: float | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)


def run_child(tool: str, path: Path, rows: int, repeats: int, warmup: str) -> Measurement:
    spec = {"tool": tool, "path": str(path), "repeats": repeats, "warmup": warmup}
    m = Measurement(rows=rows, tool=tool, repeats=repeats, warmup=warmup)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
    proc = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_MARKER)]
    if proc.returncode != 0 or not lines:
        m.error = f"child exited with status {proc.returncode}"
        return m
    data = json.loads(lines[-1][len(RESULT_MARKER) :])
    m.times = data["times"]
    m.peak_rss_mb = data["peak_rss_kb"] / 1024
    m.baseline_rss_mb = data["baseline_rss_kb"] / 1024
    m.frame_mb = data.get("frame_mb")
    m.encode_s = data.get("encode_s")
    m.summary = data["summary"]
    return m


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _source_digest() -> str:
    """sha1 of the files under audit/ (paths and contents), independent of commits."""
    digest = hashlib.sha1()
    for path in sorted((ROOT / "audit").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def _git_head() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "audit"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes in audit/" if dirty else "")


def busy_processes(seconds: float = 1.0, threshold: float = 20.0) -> str:
    """Other processes using more than ``threshold`` % of a CPU over ``seconds`` (noise)."""
    import psutil

    me = os.getpid()
    procs = [p for p in psutil.process_iter(["name"]) if p.pid != me]
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.cpu_percent(None)
    time.sleep(seconds)
    busy = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            usage = proc.cpu_percent(None)
            if usage >= threshold:
                busy.append(f"{proc.info['name']} ({usage:.0f}%)")
    return ", ".join(busy) or "none"


def machine_info() -> dict[str, str]:
    import psutil

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    try:
        import duckdb

        relation = duckdb.sql("SELECT current_setting('threads')")
        threads = str(relation.fetchall()[0][0]) if relation is not None else "unknown"
    except Exception:
        threads = "unknown"
    return {
        "CPU": f"{_cpu_model()}; nproc {usable} (os.cpu_count {os.cpu_count()})",
        "RAM": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "biasaudit": f"{_version('biasaudit')} (git {_git_head()}; audit/ sha1 {_source_digest()})",
        "duckdb": f"{_version('duckdb')} (threads {threads})",
        "pandas": _version("pandas"),
        "numpy": _version("numpy"),
        "pyarrow": _version("pyarrow"),
        "narwhals": _version("narwhals"),
        "fairlearn": _version("fairlearn"),
        "aif360": _version("aif360"),
    }


def _fmt_rows(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def cross_check(results: Sequence[Measurement]) -> list[str]:
    """Compare the numbers that the tools have in common."""
    lines: list[str] = []
    by_key = {(m.rows, m.tool): m for m in results if m.summary}
    for rows in sorted({m.rows for m in results}):
        ours = by_key.get((rows, "ours-pandas")) or by_key.get((rows, "ours-parquet"))
        if ours is None:
            continue
        for other in (by_key.get((rows, "ours-parquet")), by_key.get((rows, "fairlearn"))):
            if other is None or other is ours:
                continue
            rates = other.summary["selection_rate"]
            diff = max(abs(ours.summary["selection_rate"][k] - v) for k, v in rates.items())
            counts_equal = all(
                ours.summary["count"][k] == v for k, v in other.summary["count"].items()
            )
            lines.append(
                f"{_fmt_rows(rows)}: {other.tool} vs {ours.tool}, selection rate and count by "
                f"sex & race ({len(rates)} groups): max |diff| = {diff:.1e}, counts "
                f"{'equal' if counts_equal else 'DIFFER'}"
            )
        aif = by_key.get((rows, "aif360"))
        if aif is not None:
            di = abs(aif.summary["disparate_impact"] - ours.summary["disparate_impact"])
            spd = abs(
                aif.summary["statistical_parity_difference"]
                - ours.summary["statistical_parity_difference"]
            )
            lines.append(
                f"{_fmt_rows(rows)}: aif360 vs {ours.tool}, disparate impact female/male "
                f"{aif.summary['disparate_impact']:.6f} (|diff| {di:.1e}), statistical parity "
                f"difference {aif.summary['statistical_parity_difference']:.6f} "
                f"(|diff| {spd:.1e})"
            )
    return lines


def targets(results: Sequence[Measurement]) -> list[str]:
    by_key = {(m.rows, m.tool): m for m in results if m.times}
    lines = []
    ours = by_key.get((1_000_000, "ours-pandas"))
    for tool, goal in (("fairlearn", 50.0), ("aif360", 5.0)):
        other = by_key.get((1_000_000, tool))
        if ours is None or other is None:
            lines.append(f"1M rows, >= {goal:g}x faster than {tool}: not measured in this run")
            continue
        ratio = other.median / ours.median
        verdict = "PASS" if ratio >= goal else "FAIL"
        lines.append(
            f"1M rows, >= {goal:g}x faster than {tool} (pandas frame, medians): "
            f"{ratio:.1f}x -> **{verdict}**"
        )
    parquet = by_key.get((10_000_000, "ours-parquet"))
    if parquet is None:
        lines.append("10M-row Parquet, median <= 3 s and peak RSS <= 1 GB: not measured")
    else:
        peak = parquet.peak_rss_mb or float("nan")
        ok_t = parquet.median <= 3.0
        ok_m = peak <= 1024.0
        lines.append(
            f"10M-row Parquet, median <= 3 s: {parquet.median:.2f} s -> "
            f"**{'PASS' if ok_t else 'FAIL'}**; peak RSS <= 1 GB (1024 MiB): {peak:.0f} MiB "
            f"-> **{'PASS' if ok_m else 'FAIL'}**"
        )
    return lines


def render(
    results: Sequence[Measurement],
    *,
    info: dict[str, str],
    command: str,
    notes: Sequence[str],
    load: tuple[tuple[float, ...], tuple[float, ...]],
    started: str,
    elapsed: float,
) -> str:
    ours_median = {m.rows: m.median for m in results if m.tool == "ours-pandas" and m.times}
    out = [
        "# biasaudit benchmark: full audit vs fairlearn and AIF360",
        "",
        f"Command: `{command}`  ",
        f"Started {started}; took {elapsed / 60:.1f} min.",
        "",
        "| rows | tool | input | computes | runs | median s | min s "
        "| median / biasaudit (pandas) | peak RSS MiB | RSS before MiB |",
        "|---:|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in results:
        tool, source = TOOL_LABELS[m.tool]
        head = f"| {_fmt_rows(m.rows)} | {tool} | {source} | {TOOL_WORK[m.tool]} "
        if m.skipped or m.error:
            out.append(head + f"| {m.skipped or m.error} | - | - | - | - | - |")
            continue
        base = ours_median.get(m.rows)
        ratio = f"{m.median / base:.1f}x" if base else "-"
        if m.tool == "ours-pandas":
            ratio = "1.0x (baseline)"
        rss = "-" if m.peak_rss_mb is None else f"{m.peak_rss_mb:,.0f}"
        if m.baseline_rss_mb is None:
            before = "-"
        elif m.frame_mb is None:
            before = f"{m.baseline_rss_mb:,.0f} (after imports)"
        else:
            before = f"{m.baseline_rss_mb:,.0f} (frame of {m.frame_mb:,.0f} loaded)"
        runs = f"{m.repeats}" + ("" if m.warmup == "full" else " (warm-up on 10k rows)")
        out.append(
            head + f"| {runs} | {m.median:.3f} | {m.best:.3f} | {ratio} | {rss} | {before} |"
        )
    out += ["", "## Targets", ""]
    out += [f"- {line}" for line in targets(results)]
    out += ["", "## Agreement between tools", ""]
    out += [f"- {line}" for line in cross_check(results)] or ["- nothing to compare"]
    out += ["", "## Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in info.items()]
    load_start, load_end = load
    out.append(
        "| load average (1/5/15 min) | start "
        + " / ".join(f"{x:.2f}" for x in load_start)
        + ", end "
        + " / ".join(f"{x:.2f}" for x in load_end)
        + " |"
    )
    out += ["", "## How it is measured", ""]
    out += [
        "- Each tool runs in its own fresh Python process; the parent only generates the data.",
        "- Synthetic data (numpy, seeded): sex (2 string values), race (5), age (integer "
        "17-90; the audit bins it with edges [25, 45, 65] into 4 bands), 5 numeric "
        "features, binary label and prediction depending on sex, race, age and the features. "
        "Generation, writing Parquet and reading it into pandas are setup, not timed.",
        "- biasaudit computes the full audit: 3 attributes and their 4 intersections (7 "
        "dimensions), shares, base rates, disparate impact and parity differences with "
        "intervals, tests (Holm-adjusted), and selection rate / TPR / FPR / FNR / PPV per "
        "group with intervals. fairlearn computes selection rate and count of the "
        "prediction over sex x race (10 groups); AIF360 computes disparate impact and "
        "statistical parity difference of the label for sex. The competitors do much less "
        "work than the audit.",
        "- AIF360 needs numeric columns: sex and race are encoded to integers before timing "
        "(not counted; a user has to do it anyway). Timed: building `BinaryLabelDataset` "
        "+ `BinaryLabelDatasetMetric` + both metrics. fairlearn timed: building `MetricFrame` "
        "+ `.by_group`.",
        "- One untimed warm-up call on the full data precedes the timed runs of every tool "
        "(imports, DuckDB start-up, caches), except where marked 'warm-up on 10k rows' (a "
        "slow competitor run once at a large N). `gc.collect()` runs before every timed call. "
        "The Parquet file was just written, so it is in the OS page cache (warm read).",
        "- Ratio = tool median / biasaudit median on the same pandas frame at the same N, from "
        "this run.",
        "- Peak RSS (MiB) of the tool's process, read from VmHWM in /proc/self/status. "
        "(`ru_maxrss` is not used: on Linux a subprocess inherits its parent's high-water "
        "mark through exec, so it would report the parent's data generation.) For the "
        "Parquet audit it is the whole process's high-water mark (interpreter, imports, "
        "DuckDB, warm-up and timed runs). For frame tools the high-water mark is reset "
        "(`/proc/self/clear_refs`) once the frame is loaded (and, for AIF360, encoded), so "
        "the peak covers the warm-up and timed runs and includes the resident frame; 'RSS "
        "before' is the resident size just before the first call (frame size per "
        "`memory_usage(deep=True)` in parentheses; the rest is the interpreter, imports and "
        "memory kept by pyarrow's allocator after reading the Parquet file).",
        "- The machine is shared; other processes may add noise (see the load average). "
        "Raw times are listed below.",
    ]
    out += list(notes)
    out += ["", "## Raw times (s)", ""]
    for m in results:
        if m.times:
            extra = f"; encoding to numeric {m.encode_s:.3f} s (not counted)" if m.encode_s else ""
            out.append(
                f"- {_fmt_rows(m.rows)} {m.tool}: " + ", ".join(f"{t:.3f}" for t in m.times) + extra
            )
    return "\n".join(out) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the full biasaudit audit against fairlearn and AIF360.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=[1_000_000, 10_000_000],
        help="row counts to benchmark",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of biasaudit")
    parser.add_argument(
        "--competitor-repeats", type=int, default=3, help="timed runs of fairlearn and AIF360"
    )
    parser.add_argument(
        "--single-run-above",
        type=int,
        default=5_000_000,
        help="above this many rows, fairlearn and AIF360 run once (warm-up on 10k rows)",
    )
    parser.add_argument(
        "--skip-fairlearn-above",
        type=int,
        default=None,
        metavar="N",
        help="skip fairlearn above N rows (over a minute and ~6 GB per run at 10M rows)",
    )
    parser.add_argument(
        "--skip-aif360-above", type=int, default=None, metavar="N", help="skip AIF360 above N rows"
    )
    parser.add_argument(
        "--tools", nargs="+", choices=TOOLS, default=list(TOOLS), help="tools to run"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="where the Parquet files are written",
    )
    parser.add_argument(
        "--reuse-data",
        action="store_true",
        help="keep an existing Parquet file written with the same rows, seed "
        "and generator version instead of rewriting it",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the markdown here")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is None:
        if min(args.rows) < WARMUP_SLICE:
            parser.error(f"--rows must be at least {WARMUP_SLICE}")
        if args.repeats < 1 or args.competitor_repeats < 1:
            parser.error("--repeats and --competitor-repeats must be at least 1")
    return args


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        result = child_main(json.loads(args.child))
        print(RESULT_MARKER + json.dumps(result), flush=True)
        return 0

    started_at = datetime.now(UTC)
    started = time.perf_counter()
    load_before = os.getloadavg()
    command = "python benchmarks/bench_audit.py" + (
        " " + shlex.join(sys.argv[1:]) if len(sys.argv) > 1 else ""
    )
    info = machine_info()
    busy_before = busy_processes()
    notes: list[str] = []
    skip_above = {"fairlearn": args.skip_fairlearn_above, "aif360": args.skip_aif360_above}
    results: list[Measurement] = []
    for rows in args.rows:
        path, setup_s = ensure_parquet(rows, args.seed, args.data_dir, reuse=args.reuse_data)
        size_mb = path.stat().st_size / 2**20
        _log(
            f"[{_fmt_rows(rows)}] data {path} ({size_mb:,.0f} MiB"
            + (f", written in {setup_s:.1f} s)" if setup_s else ", reused)")
        )
        notes.append(
            f"- {_fmt_rows(rows)} rows: Parquet file {size_mb:,.0f} MiB "
            f"(pyarrow defaults: snappy, row groups of up to 1Mi rows)."
        )
        for tool in args.tools:
            ours = tool.startswith("ours")
            limit = skip_above.get(tool)
            if limit is not None and rows > limit:
                results.append(
                    Measurement(rows, tool, 0, "none", skipped=f"skipped (above {limit:,} rows)")
                )
                _log(f"[{_fmt_rows(rows)}] {tool}: skipped")
                continue
            if ours:
                repeats, warmup = args.repeats, "full"
            elif rows > args.single_run_above:
                repeats, warmup = 1, "slice"
            else:
                repeats, warmup = args.competitor_repeats, "full"
            _log(f"[{_fmt_rows(rows)}] {tool}: {repeats} timed run(s), warm-up {warmup} ...")
            m = run_child(tool, path, rows, repeats, warmup)
            results.append(m)
            if m.times:
                _log(
                    f"[{_fmt_rows(rows)}] {tool}: median {m.median:.3f} s, min {m.best:.3f} s, "
                    f"peak RSS {m.peak_rss_mb:,.0f} MiB"
                )
            else:
                _log(f"[{_fmt_rows(rows)}] {tool}: {m.error}")
    info["other busy processes (>= 20% CPU over 1 s)"] = (
        f"start: {busy_before}; end: {busy_processes()}"
    )
    digest_after = _source_digest()
    if digest_after not in info["biasaudit"]:
        info["biasaudit"] += (
            f"; WARNING: audit/ changed during the run (sha1 {digest_after} at the end, "
            f"git {_git_head()}), so the rows may mix code versions"
        )
        _log("WARNING: the files under audit/ changed during the run")
    text = render(
        results,
        info=info,
        command=command,
        notes=notes,
        load=(load_before, os.getloadavg()),
        started=started_at.isoformat(timespec="seconds"),
        elapsed=time.perf_counter() - started,
    )
    print(text, end="")
    if args.out is not None:
        from audit._io import write_text_atomic

        write_text_atomic(args.out, text)
        _log(f"written to {args.out}")
    return 0 if all(m.error is None for m in results) else 1


if __name__ == "__main__":
    sys.exit(main())
