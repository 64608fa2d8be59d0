"""Benchmark a large result: an audit with about 54,000 groups, its JSON written and read back.

Run from the repository root::

    python benchmarks/bench_large_result.py --out benchmarks/results/large_result.md
    python benchmarks/bench_large_result.py --rows 100000 --repeats 2       # a quick smoke run
    python benchmarks/bench_large_result.py --code /tmp/old-checkout         # another version

What is measured
----------------
A seeded numpy dataset of ``--rows`` rows (default 300,000) with ``zip`` (3,000 string values),
``sex`` (2), ``race`` (5) and a binary label ``y`` whose rate depends on all three, held as a
pandas frame. ``audit.audit(df, sensitive_features=["zip", "sex", "race"], label="y",
favorable=1, allow_high_cardinality=True)`` audits every attribute and every intersection:
3,000 + 2 + 5 + 6,000 + 15,000 + 10 + 30,000 = 54,017 combinations, of which about 53,400
occur at 300,000 rows (an intersection of more than 10,000 combinations lists only those that
occur).

Every run is a fresh Python process (``--repeats`` of them, medians reported):

* ``audit``: the ``audit.audit`` call above (the first in the process: imports are done
  before, the DuckDB / narwhals first-call costs are included), and the peak RSS of the
  process during it (VmHWM, reset with ``/proc/self/clear_refs`` after the frame is built,
  so it includes the frame, whose RSS is shown apart).
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
    start = time.perf_counter()
    result = audit.audit(frame, **AUDIT_KWARGS)
    audit_s = time.perf_counter() - start
    audit_peak = _status_kb("VmHWM")
    after_audit_rss = _status_kb("VmRSS")
    _reset_peak()
    start = time.perf_counter()
    text = result.to_json()
    json_s = time.perf_counter() - start
    json_peak = _status_kb("VmHWM")
    out.write_text(text, encoding="utf-8")
    return {
        "audit_s": audit_s,
        "frame_rss_mb": frame_rss / 1024,
        "audit_peak_mb": audit_peak / 1024,
        "result_rss_mb": (after_audit_rss - frame_rss) / 1024,
        "to_json_s": json_s,
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
    start = time.perf_counter()
    result = AuditResult.from_json(path)
    read_s = time.perf_counter() - start
    same = result.to_json() == text
    return {"from_json_s": read_s, "round_trip_same_text": same}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--label", default="", help="a note for the heading (e.g. a commit)")
    parser.add_argument(
        "--code",
        type=Path,
        default=ROOT,
        help="the checkout whose audit package is measured (default: this one)",
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
    runs = []
    for i in range(args.repeats):
        path = folder / f"result-{i}.json"
        run = _run_child(args.code, "audit", str(args.rows), str(path))
        run |= _run_child(args.code, "read", str(path))
        path.unlink()
        runs.append(run)
        print(json.dumps(run), file=sys.stderr)

    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    first = runs[0]
    assert all(Path(r["audit_package"]).parent == args.code.resolve() for r in runs), runs
    rows = [
        ("groups (dimensions)", f"{first['groups']:,} ({first['dimensions']})"),
        ("schema_version written", str(first["schema_version"])),
        ("`audit.audit(...)`, first call in a fresh process", f"{median('audit_s'):.2f} s"),
        ("peak RSS during the audit (frame included)", f"{median('audit_peak_mb'):,.0f} MB"),
        ("of which the frame (RSS before the audit)", f"{median('frame_rss_mb'):,.0f} MB"),
        ("RSS the result keeps (after - before the audit)", f"{median('result_rss_mb'):,.0f} MB"),
        ("`result.to_json()`", f"{median('to_json_s'):.2f} s"),
        ("JSON size", f"{median('json_mb'):.1f} MB"),
        ("peak RSS increase during `to_json()`", f"{median('to_json_peak_extra_mb'):,.0f} MB"),
        ("`AuditResult.from_json(path)`, fresh process", f"{median('from_json_s'):.2f} s"),
        ("read back writes the same text", str(all(r["round_trip_same_text"] for r in runs))),
    ]
    heading = f" ({args.label})" if args.label else ""
    lines = [
        f"# Large result benchmark{heading}",
        "",
        f"{args.rows:,} rows, `zip` x `sex` x `race` (3,000 x 2 x 5 values), binary label; "
        f"medians of {args.repeats} fresh processes; Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores (shared machine).",
        "",
        "| measure | value |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in rows],
        "",
        "Runs (s):",
        "",
        "- audit " + ", ".join(f"{r['audit_s']:.2f}" for r in runs),
        "- to_json " + ", ".join(f"{r['to_json_s']:.2f}" for r in runs),
        "- from_json " + ", ".join(f"{r['from_json_s']:.2f}" for r in runs),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
