"""Benchmark biasaudit's mitigations: reweighing against AIF360, and resampling a Parquet file.

Run from the repository root::

    python benchmarks/bench_mitigation.py --reuse-data --out benchmarks/results/mitigation.md
    python benchmarks/bench_mitigation.py --rows 100000 --repeats 2 --slow-repeats 1  # smoke

The synthetic data are those of ``bench_audit.py`` (imported from it, not copied): ``sex``
(2 string values), ``race`` (5), ``age``, five numeric features, a binary ``label`` and
``pred``, written to ``benchmarks/data/`` as Parquet (setup, never timed).

What is measured
----------------
Every tool runs in its own fresh Python process (peak RSS is the process's own VmHWM from
/proc/self/status, never ``ru_maxrss``, which a subprocess inherits from its parent on Linux):

* ``rw-sex``: ``Auditor(sensitive_features=["sex", "race"], label="label", favorable=1)
  .mitigate(df, method="reweighing", over=["sex"])`` on a pandas frame read from the
  Parquet file (read not timed). The call audits the frame, attaches a ``mitigation_weight``
  column and audits the weighted result (the audits are part of what the user gets, so they
  are timed).
* ``rw-inter``: the same with the default attributes (the sex x race intersection).
* ``aif360-rw``: AIF360's ``Reweighing(unprivileged_groups=[{"sex": 0}],
  privileged_groups=[{"sex": 1}]).fit_transform(dataset)`` on the same frame with sex and race
  encoded to integers (encoding not timed; a user has to do it anyway). Building the
  ``BinaryLabelDataset`` is timed separately and reported, but left out of the headline ratio:
  the ratio compares ``fit_transform`` alone with the whole of our call, which favours AIF360.
* ``rw-parquet``: ``mitigate(path, method="reweighing", output=..., overwrite=True)``: the
  Parquet file is read by DuckDB and the weighted data written to Parquet.
* ``uniform-parquet``: ``mitigate(path, method="uniform", output=..., overwrite=True,
  random_state=0)``: uniform resampling streamed through DuckDB into a Parquet file.
* ``uniform-parquet@LIMIT`` (optional, ``--memory-limits``): the same call with another
  DuckDB ``memory_limit`` than biasaudit's default of 512MB on the connection it opens for
  files (the child process patches ``audit.data._open_path``).

Each call is also split into phases (audit before, attaching weights or resampling, emitting
or writing Parquet, audit after) by thin timing wrappers installed in the child around
``Auditor.audit_dataset``, ``mitigation.run.attach_weights``, ``mitigation.run.resample`` and
``Dataset.emit``; the wrappers read and reset the RSS high-water mark, so each phase has its
own peak as well.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _load_bench_audit() -> Any:
    """``bench_audit.py`` from this folder: data generation, RSS helpers, machine info."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    return importlib.import_module("bench_audit")


base = _load_bench_audit()

ROOT = base.ROOT
RESULT_MARKER = "MITIGATION-RESULT "
SENSITIVE = ["sex", "race"]
AUDITOR_KWARGS: dict[str, Any] = {"sensitive_features": SENSITIVE, "label": "label", "favorable": 1}
WEIGHT = "mitigation_weight"
SPEEDUP_TARGET = 9.0
RSS_TARGET_MIB = 1024.0

TOOLS = ("rw-sex", "rw-inter", "aif360-rw", "rw-parquet", "uniform-parquet")
FRAME_TOOLS = ("rw-sex", "rw-inter", "aif360-rw")
LABELS = {
    "rw-sex": (
        "biasaudit reweighing, over=['sex']",
        "pandas frame -> pandas frame",
    ),
    "rw-inter": (
        "biasaudit reweighing, sex x race (default)",
        "pandas frame -> pandas frame",
    ),
    "aif360-rw": (
        "AIF360 Reweighing (sex) fit_transform",
        "BinaryLabelDataset (numeric frame)",
    ),
    "rw-parquet": ("biasaudit reweighing, sex x race (default)", "Parquet -> Parquet (DuckDB)"),
    "uniform-parquet": (
        "biasaudit uniform resampling, sex x race, random_state=0",
        "Parquet -> Parquet (DuckDB)",
    ),
}
PHASES = ("audit before", "attach weights", "resample", "emit / write", "audit after", "other")


# -- the child process -----------------------------------------------------------------------


class _Peaks:
    """RSS high-water marks per segment: read VmHWM, fold it into the maximum, reset it."""

    def __init__(self) -> None:
        self.max_kb = 0
        self.resettable = True

    def checkpoint(self) -> int:
        hwm = int(base._peak_rss_kb())
        self.max_kb = max(self.max_kb, hwm)
        self.resettable = bool(base._reset_peak_rss()) and self.resettable
        return hwm


class _PhaseClock:
    """Timing wrappers around the steps of ``mitigate`` (installed only in the child)."""

    def __init__(self, peaks: _Peaks) -> None:
        self.peaks = peaks
        self.times: dict[str, float] = {}
        self.peak_kb: dict[str, int] = {}
        self.audits = 0

    def start_call(self) -> None:
        self.times = {}
        self.audits = 0

    def wrap(self, owner: Any, attribute: str, phase: str | None) -> None:
        original = getattr(owner, attribute)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            name = phase
            if name is None:  # audit_dataset: first the data, then the mitigated data
                name = "audit before" if self.audits == 0 else "audit after"
                self.audits += 1
            self.peaks.checkpoint()
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start
                self.peak_kb[name] = max(self.peak_kb.get(name, 0), self.peaks.checkpoint())

        setattr(owner, attribute, timed)

    def install(self) -> None:
        import audit.auditor
        import audit.data
        import audit.mitigation.run

        self.wrap(audit.auditor.Auditor, "audit_dataset", None)
        self.wrap(audit.mitigation.run, "attach_weights", "attach weights")
        self.wrap(audit.mitigation.run, "resample", "resample")
        self.wrap(audit.data.Dataset, "emit", "emit / write")


def _limit_duckdb(memory_limit: str, temp_directory: str) -> None:
    """What-if: give every DuckDB connection that ``audit.data`` opens for a path a memory
    limit and a spill folder (in this process only; nothing on disk is changed)."""
    import audit.data

    original = audit.data._open_path

    def open_path(data: Any) -> Any:
        dataset = original(data)
        dataset.keepalive.execute(f"SET memory_limit = '{memory_limit}'")
        dataset.keepalive.execute(f"SET temp_directory = '{temp_directory}'")
        return dataset

    audit.data._open_path = open_path


def _parity(result: Any) -> dict[str, float]:
    """Demographic parity difference (max - min base rate) of sex and of sex x race."""
    return {
        "sex": float(result.dimension("sex").demographic_parity_difference.value),
        "sex x race": float(result.dimension("sex", "race").demographic_parity_difference.value),
    }


def _weights_by_cell(frame: Any, keys: Sequence[str]) -> dict[str, list[float]]:
    """Min and max of the weight per (keys..., label) cell of a pandas frame."""
    grouped = frame.groupby([*keys, "label"], observed=True)[WEIGHT].agg(["min", "max"])
    return {
        " & ".join(str(k) for k in key): [float(lo), float(hi)]
        for key, (lo, hi) in zip(grouped.index, grouped.to_numpy(), strict=True)
    }


def _summarise_parquet(path: Path, tool: str) -> dict[str, Any]:
    """Untimed facts about an output file, read back with DuckDB."""
    import duckdb

    con = duckdb.connect()
    try:
        source = f"read_parquet('{path}')"
        ((rows,),) = con.sql(f"SELECT count(*) FROM {source}").fetchall()
        out: dict[str, Any] = {"output_rows": int(rows), "output_mb": path.stat().st_size / 2**20}
        if tool == "rw-parquet":
            cells = con.sql(
                f"SELECT sex, race, label, min({WEIGHT}), max({WEIGHT}) FROM {source} "
                "GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            out["weights"] = {f"{s} & {r} & {y}": [lo, hi] for s, r, y, lo, hi in cells}
        else:
            cells = con.sql(
                f"SELECT sex, race, label, count(*), sum(hash(x1)) FROM {source} "
                "GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            out["cells"] = {f"{s} & {r} & {y}": [int(c), int(h)] for s, r, y, c, h in cells}
    finally:
        con.close()
    return out


def _summarise_aif360(dataset: Any) -> dict[str, Any]:
    import numpy as np

    sex = dataset.protected_attributes[:, dataset.protected_attribute_names.index("sex")]
    label = dataset.labels.ravel()
    weights = dataset.instance_weights
    names = base.SEXES
    out = {}
    for s in (0.0, 1.0):
        for y in (0.0, 1.0):
            mask = (sex == s) & (label == y)
            cell = weights[mask]
            out[f"{names[int(s)]} & {int(y)}"] = [float(np.min(cell)), float(np.max(cell))]
    return {"weights": out}


def child_main(spec: dict[str, Any]) -> dict[str, Any]:
    """Time one tool on one dataset in this fresh process; measure its peak RSS."""
    tool: str = spec["tool"]
    path: str = spec["path"]
    repeats: int = spec["repeats"]
    warmup: str = spec["warmup"]
    out_dir = Path(spec["out_dir"])
    out: dict[str, Any] = {"tool": tool}
    peaks = _Peaks()
    clock: _PhaseClock | None = None
    run: Callable[[], Any]
    warm: Callable[[], Any]
    construct_times: list[float] = []

    if tool in FRAME_TOOLS:
        import pandas as pd

        df = pd.read_parquet(path)
        if tool == "aif360-rw":
            with base._quiet():
                from aif360.algorithms.preprocessing import Reweighing
                from aif360.datasets import BinaryLabelDataset
            start = time.perf_counter()
            encoded = df.assign(
                sex=(df["sex"] == "male").astype("int64"),
                race=df["race"].map({r: i for i, r in enumerate(base.RACES)}).astype("int64"),
            )
            out["encode_s"] = time.perf_counter() - start
            del df
            df = encoded

            def on(frame: Any, record: bool) -> Callable[[], Any]:
                def aif360_run() -> Any:
                    with base._quiet():
                        start = time.perf_counter()
                        dataset = BinaryLabelDataset(
                            df=frame,
                            label_names=["label"],
                            protected_attribute_names=["sex", "race"],
                            favorable_label=1,
                            unfavorable_label=0,
                        )
                        built = time.perf_counter()
                        if record:
                            construct_times.append(built - start)
                        reweighing = Reweighing(
                            unprivileged_groups=[{"sex": 0}], privileged_groups=[{"sex": 1}]
                        )
                        # Timed by the caller: construction + fit_transform; the
                        # construction is subtracted below, so "times" is fit_transform.
                        return reweighing.fit_transform(dataset)

                return aif360_run

            run = on(df, record=True)
            warm = on(df, record=False) if warmup == "full" else on(df.head(10_000), False)
        else:
            import audit

            clock = _PhaseClock(peaks)
            clock.install()
            auditor = audit.Auditor(**AUDITOR_KWARGS)
            attributes = ["sex"] if tool == "rw-sex" else None

            def run() -> Any:
                return audit.mitigate(
                    spec=auditor.spec, data=df, method="reweighing", over=attributes
                )

            warm = run
        out["frame_mb"] = float(df.memory_usage(deep=True).sum()) / 2**20
        gc.collect()
        out["baseline_rss_kb"] = base._current_rss_kb()
        base._reset_peak_rss()  # the peak covers the calls, with the frame resident
        out["peak_scope"] = "after loading the frame"
    else:
        import audit

        if spec.get("memory_limit"):
            spill = out_dir / "duckdb_tmp"
            spill.mkdir(exist_ok=True)
            _limit_duckdb(spec["memory_limit"], str(spill))
        clock = _PhaseClock(peaks)
        clock.install()
        auditor = audit.Auditor(**AUDITOR_KWARGS)
        target = out_dir / "out.parquet"
        if tool == "rw-parquet":
            kwargs: dict[str, Any] = {"method": "reweighing"}
        else:
            kwargs = {"method": "uniform", "random_state": 0}

        def run() -> Any:
            return audit.mitigate(
                spec=auditor.spec, data=path, output=target, overwrite=True, **kwargs
            )

        warm = run
        out["baseline_rss_kb"] = base._current_rss_kb()
        out["peak_scope"] = "whole process (interpreter, imports, warm-up, timed runs)"

    if clock is not None:
        clock.start_call()
    start = time.perf_counter()
    warm()
    out["warmup_s"] = time.perf_counter() - start
    times: list[float] = []
    phases: list[dict[str, float]] = []
    value: Any = None
    for _ in range(repeats):
        value = None
        gc.collect()
        if clock is not None:
            clock.start_call()
        start = time.perf_counter()
        value = run()
        elapsed = time.perf_counter() - start
        if construct_times:
            elapsed -= construct_times[-1]
        times.append(elapsed)
        if clock is not None:
            split = dict(clock.times)
            split["other"] = elapsed - sum(split.values())
            phases.append(split)
    out["peak_rss_kb"] = max(peaks.checkpoint(), peaks.max_kb)
    out["peak_resettable"] = peaks.resettable
    out["times"] = times
    out["construct_times"] = construct_times
    out["phases"] = phases
    out["phase_peak_kb"] = clock.peak_kb if clock is not None else {}
    if tool == "aif360-rw":
        out["summary"] = _summarise_aif360(value)
    else:
        summary: dict[str, Any] = {
            "parity_before": _parity(value.before),
            "parity_after": _parity(value.after),
        }
        if tool in FRAME_TOOLS:
            keys = ["sex"] if tool == "rw-sex" else ["sex", "race"]
            summary["weights"] = _weights_by_cell(value.data, keys)
        else:
            summary.update(_summarise_parquet(Path(value.data), tool))
        out["summary"] = summary
    return out


# -- the parent ------------------------------------------------------------------------------


@dataclass
class Measurement:
    rows: int
    tool: str
    repeats: int
    warmup: str
    memory_limit: str | None = None
    times: list[float] = field(default_factory=list)
    construct_times: list[float] = field(default_factory=list)
    phases: list[dict[str, float]] = field(default_factory=list)
    phase_peak_mb: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float | None = None
    baseline_rss_mb: float | None = None
    peak_scope: str = ""
    frame_mb: float | None = None
    encode_s: float | None = None
    warmup_s: float | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def name(self) -> str:
        return self.tool + (f"@{self.memory_limit}" if self.memory_limit else "")

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)

    def phase_median(self, phase: str) -> float | None:
        values = [p[phase] for p in self.phases if phase in p]
        return statistics.median(values) if values else None


def run_child(
    tool: str,
    path: Path,
    rows: int,
    repeats: int,
    warmup: str,
    data_dir: Path,
    memory_limit: str | None = None,
) -> Measurement:
    m = Measurement(rows, tool, repeats, warmup, memory_limit)
    with tempfile.TemporaryDirectory(prefix=".mitigation-out-", dir=data_dir) as out_dir:
        spec = {
            "tool": tool,
            "path": str(path),
            "repeats": repeats,
            "warmup": warmup,
            "out_dir": out_dir,
            "memory_limit": memory_limit,
        }
        command = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
        proc = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_MARKER)]
    if proc.returncode != 0 or not lines:
        m.error = f"child exited with status {proc.returncode}"
        return m
    data = json.loads(lines[-1][len(RESULT_MARKER) :])
    m.times = data["times"]
    m.construct_times = data["construct_times"]
    m.phases = data["phases"]
    m.phase_peak_mb = {k: v / 1024 for k, v in data["phase_peak_kb"].items()}
    m.peak_rss_mb = data["peak_rss_kb"] / 1024
    m.baseline_rss_mb = data["baseline_rss_kb"] / 1024
    m.peak_scope = data["peak_scope"]
    m.frame_mb = data.get("frame_mb")
    m.encode_s = data.get("encode_s")
    m.warmup_s = data.get("warmup_s")
    m.summary = data["summary"]
    return m


def _fmt_rows(n: int) -> str:
    return str(base._fmt_rows(n))


def _max_diff(a: dict[str, list[float]], b: dict[str, list[float]]) -> tuple[float, bool]:
    """Max |difference| of the per-cell weights, and whether the cells are the same."""
    same = set(a) == set(b)
    diffs = [abs(x - y) for k in set(a) & set(b) for x, y in zip(a[k], b[k], strict=True)]
    return (max(diffs) if diffs else float("nan")), same


def cross_check(results: Sequence[Measurement]) -> list[str]:
    lines: list[str] = []
    by = {(m.rows, m.name): m for m in results if m.summary}
    for rows in sorted({m.rows for m in results}):
        label = _fmt_rows(rows)
        ours, aif = by.get((rows, "rw-sex")), by.get((rows, "aif360-rw"))
        if ours and aif:
            diff, same = _max_diff(ours.summary["weights"], aif.summary["weights"])
            shown = ", ".join(f"{k}: {v[0]:.6f}" for k, v in sorted(aif.summary["weights"].items()))
            lines.append(
                f"{label}: weights per (sex, label) cell, biasaudit `over=['sex']` vs "
                f"AIF360: max |diff| {diff:.1e}, same cells: {same} (AIF360: {shown})"
            )
        frame, parquet = by.get((rows, "rw-inter")), by.get((rows, "rw-parquet"))
        if frame and parquet:
            diff, same = _max_diff(frame.summary["weights"], parquet.summary["weights"])
            lines.append(
                f"{label}: weights per (sex, race, label) cell, Parquet output vs pandas frame: "
                f"max |diff| {diff:.1e}, same cells: {same}"
            )
        for m in results:
            if m.rows != rows or not m.summary:
                continue
            if m.tool in ("rw-sex", "rw-inter", "rw-parquet", "uniform-parquet"):
                b, a = m.summary["parity_before"], m.summary["parity_after"]
                lines.append(
                    f"{label} {m.name}: demographic parity difference before -> after: sex "
                    f"{b['sex']:.4f} -> {a['sex']:.2e}, sex x race {b['sex x race']:.4f} -> "
                    f"{a['sex x race']:.2e}"
                    + (
                        f"; output {m.summary['output_rows']:,} rows, "
                        f"{m.summary['output_mb']:,.0f} MiB"
                        if "output_rows" in m.summary
                        else ""
                    )
                )
        shipped = by.get((rows, "uniform-parquet"))
        for m in results:
            if m.rows == rows and m.tool == "uniform-parquet" and m.memory_limit and m.summary:
                if shipped is None:
                    continue
                same = m.summary["cells"] == shipped.summary["cells"]
                verdict = "identical (same rows chosen)" if same else "DIFFER"
                lines.append(
                    f"{label} {m.name} vs uniform-parquet: per (sex, race, label) cell, row "
                    f"counts and sum(hash(x1)) {verdict}"
                )
    return lines


def targets(results: Sequence[Measurement], big: int) -> list[str]:
    by = {(m.rows, m.name): m for m in results if m.times}
    label = _fmt_rows(big)
    lines = []
    aif = by.get((big, "aif360-rw"))
    for tool in ("rw-sex", "rw-inter"):
        ours = by.get((big, tool))
        what = "over=['sex'], as AIF360" if tool == "rw-sex" else "sex x race intersection"
        if ours is None or aif is None:
            lines.append(
                f"{label} rows, reweighing >= {SPEEDUP_TARGET:g}x faster than AIF360 "
                f"({what}): not measured in this run"
            )
            continue
        ratio = aif.median / ours.median
        verdict = "PASS" if ratio >= SPEEDUP_TARGET else "FAIL"
        with_build = (aif.median + statistics.median(aif.construct_times)) / ours.median
        lines.append(
            f"{label} rows, reweighing >= {SPEEDUP_TARGET:g}x faster than AIF360 ({what}; "
            f"AIF360 fit_transform median {aif.median:.2f} s / biasaudit `mitigate` median "
            f"{ours.median:.2f} s): {ratio:.1f}x -> **{verdict}** ({with_build:.1f}x if "
            "AIF360's BinaryLabelDataset construction is counted too)"
        )
    uniform = by.get((big, "uniform-parquet"))
    if uniform is None:
        lines.append(f"{label}-row Parquet uniform resampling, peak RSS <= 1 GB: not measured")
    else:
        peak = uniform.peak_rss_mb or float("nan")
        lines.append(
            f"{label}-row Parquet -> Parquet uniform resampling, peak RSS <= 1 GB "
            f"({RSS_TARGET_MIB:.0f} MiB): {peak:,.0f} MiB -> "
            f"**{'PASS' if peak <= RSS_TARGET_MIB else 'FAIL'}** (median {uniform.median:.1f} s)"
        )
        for m in results:
            if m.rows == big and m.tool == "uniform-parquet" and m.memory_limit and m.times:
                p = m.peak_rss_mb or float("nan")
                lines.append(
                    f"with `SET memory_limit='{m.memory_limit}'` instead of the default: "
                    f"{p:,.0f} MiB -> would "
                    f"{'PASS' if p <= RSS_TARGET_MIB else 'FAIL'} (median {m.median:.1f} s)"
                )
    return lines


def _label(m: Measurement) -> tuple[str, str]:
    what, source = LABELS[m.tool]
    if m.memory_limit:
        what += f"; `SET memory_limit='{m.memory_limit}'` instead of the default (patched)"
    return what, source


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
    aif = {m.rows: m for m in results if m.tool == "aif360-rw" and m.times}
    out = [
        "# biasaudit benchmark: mitigation (reweighing vs AIF360, resampling Parquet files)",
        "",
        f"Command: `{command}`  ",
        f"Started {started}; took {elapsed / 60:.1f} min.",
        "",
        "| rows | tool | input -> output | runs | median s | min s "
        "| AIF360 fit_transform median / this median | peak RSS MiB | RSS before MiB |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in results:
        what, source = _label(m)
        head = f"| {_fmt_rows(m.rows)} | {what} | {source} "
        if m.error:
            out.append(head + f"| {m.error} | - | - | - | - | - |")
            continue
        other = aif.get(m.rows)
        if m.tool == "aif360-rw":
            ratio = "1.0x (reference)"
        elif other is not None and m.tool in ("rw-sex", "rw-inter"):
            ratio = f"**{other.median / m.median:.1f}x**"
        elif other is not None:
            ratio = f"({other.median / m.median:.1f}x, different work)"
        else:
            ratio = "-"
        runs = f"{m.repeats}" + ("" if m.warmup == "full" else " (warm-up on 10k rows)")
        rss = "-" if m.peak_rss_mb is None else f"{m.peak_rss_mb:,.0f}"
        if m.baseline_rss_mb is None:
            before = "-"
        elif m.frame_mb is None:
            before = f"{m.baseline_rss_mb:,.0f} (after imports)"
        else:
            before = f"{m.baseline_rss_mb:,.0f} (frame of {m.frame_mb:,.0f} loaded)"
        out.append(
            head + f"| {runs} | {m.median:.3f} | {m.best:.3f} | {ratio} | {rss} | {before} |"
        )
    aif_rows = [m for m in results if m.tool == "aif360-rw" and m.times]
    if aif_rows:
        out += [
            "",
            "### AIF360: what its time is made of (medians, s)",
            "",
            "| rows | encode sex/race to int (not timed) | BinaryLabelDataset(...) "
            "| Reweighing.fit_transform | both |",
            "|---:|---:|---:|---:|---:|",
        ]
        for m in aif_rows:
            build = statistics.median(m.construct_times)
            out.append(
                f"| {_fmt_rows(m.rows)} | {m.encode_s or 0:.3f} | {build:.3f} | {m.median:.3f} "
                f"| {build + m.median:.3f} |"
            )
    phased = [m for m in results if m.phases]
    if phased:
        used = [p for p in PHASES if any(m.phase_median(p) is not None for m in phased)]
        out += [
            "",
            "### biasaudit: where the time goes (median s per phase; peak RSS MiB of the phase)",
            "",
            "| rows | tool | " + " | ".join(used) + " | total |",
            "|---:|---|" + "---:|" * (len(used) + 1),
        ]
        for m in phased:
            cells = []
            for p in used:
                t = m.phase_median(p)
                peak = m.phase_peak_mb.get(p)
                if t is None:
                    cells.append("-")
                else:
                    cells.append(f"{t:.3f}" + (f" ({peak:,.0f})" if peak else ""))
            out.append(
                f"| {_fmt_rows(m.rows)} | {m.name} | " + " | ".join(cells) + f" | {m.median:.3f} |"
            )
    big = max(m.rows for m in results) if results else 0
    out += ["", f"## Targets (at {_fmt_rows(big)} rows)", ""]
    out += [f"- {line}" for line in targets(results, big)]
    out += ["", "## Agreement and effect", ""]
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
        "- Each tool runs in its own fresh Python process; the parent only generates the data "
        "(`generate` / `ensure_parquet` of `benchmarks/bench_audit.py`: sex, race as strings, "
        "age, 5 numeric features, binary label and prediction).",
        "- biasaudit: `Auditor(sensitive_features=['sex', 'race'], label='label', favorable=1)"
        ".mitigate(...)`. The whole call is timed: audit before, the mitigation, writing "
        "(for files), and the audit after (weighted, for reweighing); the user gets all of it.",
        "- pandas frames are read with `pd.read_parquet` before timing (pandas "
        f"{base._version('pandas')}: sex and race become pyarrow-backed `str` columns).",
        "- AIF360 needs numeric columns: sex and race are encoded to integers before timing "
        "(not counted). Each timed run builds a `BinaryLabelDataset` (timed separately, shown "
        "above) and calls `Reweighing(unprivileged_groups=[{'sex': 0}], "
        "privileged_groups=[{'sex': 1}]).fit_transform(dataset)`. The ratio column divides "
        "AIF360's fit_transform median (construction left out) by the median of the whole "
        "biasaudit call at the same row count, from this run; AIF360 reweighs by sex only, so "
        "the sex x race row does more work than AIF360 does.",
        "- Files: the input Parquet file was just written or read, so it is in the OS page "
        "cache (warm read). The output Parquet file is written to a scratch folder under "
        "`benchmarks/data/` and overwritten by every run.",
        "- Warm-up: one untimed call on the full data before the timed runs (imports, DuckDB "
        "start-up, caches), except where marked 'warm-up on 10k rows' (AIF360 at large N). "
        "`gc.collect()` runs before every timed call.",
        "- Peak RSS (MiB): VmHWM of /proc/self/status in the tool's process (never "
        "`ru_maxrss`, which a subprocess inherits from its parent on Linux). File tools: the "
        "whole process (interpreter, imports, warm-up and timed runs), the number the 1 GB "
        "target is about. Frame tools: the high-water mark is reset (`/proc/self/clear_refs`) "
        "after the frame is loaded, so the peak covers warm-up and timed runs and includes the "
        "resident frame.",
        "- Phases: thin wrappers installed in the child around `Auditor.audit_dataset` (first "
        "call: audit before; second: audit after), `mitigation.run.attach_weights`, "
        "`mitigation.run.resample` and `Dataset.emit`; 'other' is the rest of the call. For "
        "files the DuckDB query runs in 'emit / write' (attaching and resampling only build "
        "it lazily). Each wrapper reads and resets the RSS high-water mark, so a phase's "
        "peak is its own; the wrappers cost microseconds.",
        "- biasaudit's DuckDB connections for files use `memory_limit` 512MB and a spill "
        "folder by default; optional `--memory-limits` rows patch another limit in the child.",
        "- The machine is shared (see the load average and busy processes): expect noise of "
        "tens of percent on single runs. Raw times below.",
    ]
    out += list(notes)
    out += ["", "## Raw times (s)", ""]
    for m in results:
        if m.times:
            extra = ""
            if m.construct_times:
                extra = "; BinaryLabelDataset construction " + ", ".join(
                    f"{t:.3f}" for t in m.construct_times
                )
            warm = f"; warm-up {m.warmup_s:.3f}" if m.warmup_s is not None else ""
            out.append(
                f"- {_fmt_rows(m.rows)} {m.name}: "
                + ", ".join(f"{t:.3f}" for t in m.times)
                + extra
                + warm
            )
    return "\n".join(out) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time biasaudit's mitigations against AIF360's Reweighing.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--rows", type=int, nargs="+", default=[1_000_000, 10_000_000], help="row counts"
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of biasaudit reweighing")
    parser.add_argument(
        "--slow-repeats",
        type=int,
        default=3,
        help="timed runs of AIF360 and of uniform resampling",
    )
    parser.add_argument(
        "--aif360-slice-warmup-above",
        type=int,
        default=5_000_000,
        metavar="N",
        help="above N rows AIF360's warm-up uses a 10,000-row slice",
    )
    parser.add_argument(
        "--memory-limits",
        nargs="*",
        default=[],
        metavar="LIMIT",
        help="extra runs of uniform resampling with another DuckDB memory_limit than the "
        "shipped default (512MB, BIASAUDIT_DUCKDB_MEMORY_LIMIT); patched in the child process",
    )
    parser.add_argument(
        "--tools", nargs="+", choices=TOOLS, default=list(TOOLS), help="tools to run"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    parser.add_argument(
        "--data-dir", type=Path, default=base.DEFAULT_DATA_DIR, help="where Parquet files go"
    )
    parser.add_argument(
        "--reuse-data",
        action="store_true",
        help="keep an existing Parquet file written with the same rows, seed and generator",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the markdown here")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is None:
        if min(args.rows) < 10_000:
            parser.error("--rows must be at least 10000")
        if args.repeats < 1 or args.slow_repeats < 1:
            parser.error("--repeats and --slow-repeats must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        result = child_main(json.loads(args.child))
        print(RESULT_MARKER + json.dumps(result), flush=True)
        return 0

    started_at = datetime.now(UTC)
    started = time.perf_counter()
    load_before = os.getloadavg()
    command = "python benchmarks/bench_mitigation.py" + (
        " " + shlex.join(sys.argv[1:]) if len(sys.argv) > 1 else ""
    )
    info = base.machine_info()
    busy_before = base.busy_processes()
    notes: list[str] = []
    results: list[Measurement] = []
    for rows in args.rows:
        path, setup_s = base.ensure_parquet(rows, args.seed, args.data_dir, reuse=args.reuse_data)
        size_mb = path.stat().st_size / 2**20
        base._log(
            f"[{_fmt_rows(rows)}] data {path} ({size_mb:,.0f} MiB"
            + (f", written in {setup_s:.1f} s)" if setup_s else ", reused)")
        )
        notes.append(
            f"- {_fmt_rows(rows)} rows: input Parquet file {size_mb:,.0f} MiB "
            "(pyarrow defaults: snappy, row groups of up to 1Mi rows)."
        )
        jobs: list[tuple[str, str | None]] = [(t, None) for t in args.tools]
        if "uniform-parquet" in args.tools:
            jobs += [("uniform-parquet", limit) for limit in args.memory_limits]
        for tool, limit in jobs:
            if tool == "aif360-rw":
                repeats = args.slow_repeats
                slice_warm = rows > args.aif360_slice_warmup_above
                warmup = "slice" if slice_warm else "full"
            elif tool == "uniform-parquet":
                repeats, warmup = args.slow_repeats, "full"
            else:
                repeats, warmup = args.repeats, "full"
            name = tool + (f"@{limit}" if limit else "")
            base._log(f"[{_fmt_rows(rows)}] {name}: {repeats} timed run(s), warm-up {warmup} ...")
            m = run_child(tool, path, rows, repeats, warmup, args.data_dir, limit)
            results.append(m)
            if m.times:
                base._log(
                    f"[{_fmt_rows(rows)}] {name}: median {m.median:.3f} s, min {m.best:.3f} s, "
                    f"peak RSS {m.peak_rss_mb:,.0f} MiB"
                )
            else:
                base._log(f"[{_fmt_rows(rows)}] {name}: {m.error}")
    info["other busy processes (>= 20% CPU over 1 s)"] = (
        f"start: {busy_before}; end: {base.busy_processes()}"
    )
    digest_after = base._source_digest()
    if digest_after not in info["biasaudit"]:
        info["biasaudit"] += (
            f"; WARNING: audit/ changed during the run (sha1 {digest_after} at the end), so "
            "the rows may mix code versions"
        )
        base._log("WARNING: the files under audit/ changed during the run")
    info.pop("fairlearn", None)
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
        base._log(f"written to {args.out}")
    return 0 if all(m.error is None for m in results) else 1


if __name__ == "__main__":
    sys.exit(main())
