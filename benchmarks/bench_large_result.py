"""Benchmark a large result: an audit with about 54,000 groups, its JSON written and read back.

Run from the repository root::

    python benchmarks/bench_large_result.py --out benchmarks/results/large_result.md
    python benchmarks/bench_large_result.py --rows 100000 --repeats 2       # a quick smoke run
    python benchmarks/bench_large_result.py --code before=/tmp/old after=.   # two versions

What is measured
----------------
A seeded numpy dataset of ``--rows`` rows (default 300,000) with ``zip`` (3,000 string values),
``sex`` (2), ``race`` (5) and a binary label ``y`` whose rate depends on all three, held as a
pandas frame. ``audit.audit(df, sensitive_features=["zip", "sex", "race"], label="y",
favorable=1, allow_high_cardinality=True)`` audits every attribute and every intersection:
3,000 + 2 + 5 + 6,000 + 15,000 + 10 + 30,000 = 54,017 combinations, of which about 53,400
occur at 300,000 rows (an intersection of more than 10,000 combinations lists only those that
occur).

Every run is a fresh Python process (``--repeats`` of them per checkout, medians reported; with
several ``--code`` checkouts their runs alternate). Times are wall-clock (``perf_counter``) and
CPU time of the process (``process_time``; on a busy machine the wall time grows with the other
work, the CPU time much less).

* ``audit``: the ``audit.audit`` call above, the first in the process (``import audit`` is
  done before; what the call imports lazily, and DuckDB's and narwhals' first-call costs,
  count), and the peak RSS of the process during it (VmHWM, reset with
  ``/proc/self/clear_refs`` after the frame is built, so it includes the frame, whose RSS is
  shown apart).
* ``to_json``: ``result.to_json()`` (default arguments, the text the CLI's ``--json`` writes),
  its size in bytes (UTF-8), and the peak RSS increase it causes.
* ``from_json``: in another fresh process, ``AuditResult.from_json(path)`` of that file
  (reading the file, parsing, rebuilding every object), checked to write the same text again.

Medians of ``--repeats`` runs; the machine is shared, so single runs vary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AUDIT_KWARGS: dict[str, Any] = {
    "sensitive_features": ["zip", "sex", "race"],
    "label": "y",
    "favorable": 1,
    "allow_high_cardinality": True,  # zip has 3,000 values, above max_categories=1000
}


def build_frame(rows: int, seed: int = 0) -> Any:
    """The benchmark dataset as a pandas frame (seeded: the same rows every time)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    zip_code = rng.integers(0, 3000, rows)
    sex = rng.integers(0, 2, rows)
    race = rng.choice(5, rows, p=[0.6, 0.15, 0.12, 0.08, 0.05])
    logit = -0.4 + 0.5 * sex - 0.2 * race + 0.3 * np.sin(zip_code / 50.0)
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    return pd.DataFrame(
        {
            "zip": np.char.add("z", zip_code.astype(str)).astype(object),
            "sex": np.array(["F", "M"])[sex],
            "race": np.array(["White", "Black", "Asian", "Other", "Native"])[race],
            "y": y,
        }
    )


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
        handle.write("5")


def child_audit(rows: int, out: Path) -> dict[str, Any]:
    """One fresh process: build the frame, audit it, write its JSON."""
    import audit

    frame = build_frame(rows)
    frame_rss = _status_kb("VmRSS")
    _reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    result = audit.audit(frame, **AUDIT_KWARGS)
    audit_s, audit_cpu = time.perf_counter() - start, time.process_time() - cpu
    audit_peak = _status_kb("VmHWM")
    after_audit_rss = _status_kb("VmRSS")
    _reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    text = result.to_json()
    json_s, json_cpu = time.perf_counter() - start, time.process_time() - cpu
    json_peak = _status_kb("VmHWM")
    out.write_text(text, encoding="utf-8")
    return {
        "audit_s": audit_s,
        "audit_cpu_s": audit_cpu,
        "frame_rss_mb": frame_rss / 1024,
        "audit_peak_mb": audit_peak / 1024,
        "result_rss_mb": (after_audit_rss - frame_rss) / 1024,
        "to_json_s": json_s,
        "to_json_cpu_s": json_cpu,
        "to_json_peak_extra_mb": (json_peak - after_audit_rss) / 1024,
        "json_mb": len(text.encode("utf-8")) / 1e6,
        "groups": sum(len(d.groups) for d in result.dimensions),
        "dimensions": len(result.dimensions),
        "schema_version": result.schema_version,
        "audit_package": str(Path(audit.__file__).parent),
    }


def child_read(path: Path) -> dict[str, Any]:
    """One fresh process: read a result's JSON back and check it writes the same text."""
    from audit import AuditResult

    text = path.read_text(encoding="utf-8")
    start, cpu = time.perf_counter(), time.process_time()
    result = AuditResult.from_json(path)
    read_s, read_cpu = time.perf_counter() - start, time.process_time() - cpu
    same = result.to_json() == text
    return {"from_json_s": read_s, "from_json_cpu_s": read_cpu, "round_trip_same_text": same}


def _run_child(code: Path, *args: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(code))
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _checkout(text: str) -> tuple[str, Path]:
    name, _, path = text.rpartition("=")
    return (name or Path(path).name), Path(path).resolve()


MEASURES: list[tuple[str, str, str]] = [  # label, key, format
    ("`audit.audit(...)`, first call in a fresh process", "audit_s", "{:.2f} s"),
    ("the same, CPU time of the process", "audit_cpu_s", "{:.2f} s"),
    ("peak RSS during the audit (frame included)", "audit_peak_mb", "{:,.0f} MB"),
    ("of which the frame (RSS before the audit)", "frame_rss_mb", "{:,.0f} MB"),
    ("RSS the result keeps (after - before the audit)", "result_rss_mb", "{:,.0f} MB"),
    ("`result.to_json()`", "to_json_s", "{:.2f} s"),
    ("the same, CPU time", "to_json_cpu_s", "{:.2f} s"),
    ("JSON size", "json_mb", "{:.1f} MB"),
    ("peak RSS increase during `to_json()`", "to_json_peak_extra_mb", "{:,.0f} MB"),
    ("`AuditResult.from_json(path)`, fresh process", "from_json_s", "{:.2f} s"),
    ("the same, CPU time", "from_json_cpu_s", "{:.2f} s"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--code",
        type=_checkout,
        nargs="+",
        default=[("this checkout", ROOT)],
        metavar="[NAME=]PATH",
        help="checkouts whose audit package is measured, their runs interleaved "
        "(default: this one)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        out = (
            child_audit(int(rest[0]), Path(rest[1]))
            if kind == "audit"
            else child_read(Path(rest[0]))
        )
        print(json.dumps(out))
        return

    folder = Path(tempfile.mkdtemp(prefix="bench-large-result-"))
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in args.code}
    for i in range(args.repeats):
        for name, code in args.code:  # interleaved: a busy spell of the machine hits them all
            path = folder / f"result-{i}.json"
            run = _run_child(code, "audit", str(args.rows), str(path))
            run |= _run_child(code, "read", str(path))
            path.unlink()
            assert Path(run["audit_package"]).parent == code, run
            runs[name].append(run)
            print(name, json.dumps(run), file=sys.stderr)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    names = [name for name, _ in args.code]
    first = {name: runs[name][0] for name in names}
    table = [
        ("checkout", [f"`{code}`" for _, code in args.code]),
        (
            "groups (dimensions)",
            [f"{first[n]['groups']:,} ({first[n]['dimensions']})" for n in names],
        ),
        ("schema_version written", [str(first[n]["schema_version"]) for n in names]),
        *[(label, [fmt.format(median(n, key)) for n in names]) for label, key, fmt in MEASURES],
        (
            "read back writes the same text",
            [str(all(r["round_trip_same_text"] for r in runs[n])) for n in names],
        ),
    ]
    lines = [
        "# Large result benchmark",
        "",
        f"{args.rows:,} rows, `zip` x `sex` x `race` (3,000 x 2 x 5 values), binary label "
        f"(`python benchmarks/bench_large_result.py`); medians of {args.repeats} fresh processes "
        f"per checkout, runs interleaved; Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores (shared machine: other work ran too).",
        "",
        "| measure | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
        *[f"| {label} | " + " | ".join(values) + " |" for label, values in table],
        "",
        "Runs (s):",
        "",
    ]
    for n in names:
        for key in ("audit_s", "to_json_s", "from_json_s"):
            values = ", ".join(f"{r[key]:.2f}" for r in runs[n])
            lines.append(f"- {n}, {key.removesuffix('_s')}: {values}")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
