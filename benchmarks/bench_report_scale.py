"""The HTML report for thousands of groups: 200k rows with 3, 4 and 5 sensitive attributes.

Run from the repository root::

    python benchmarks/bench_report_scale.py --out benchmarks/results/report_scale.md

Data (built in the child, not timed): 200,000 rows, attributes ``a0..a4`` with 5, 8, 12, 16
and 20 values drawn with skewed (Dirichlet 0.8) frequencies, a binary label; the audit at
the default depth 3. ``--attributes 10`` (any number above 5) is the wide case: 1,000,000
rows, 10 attributes of 3 values. Each case runs in a fresh process: the audit, the suppression alone
(``audit.privacy.suppression.suppress(result, k=10)``), then ``write_report`` (which solves
the suppression again, from its cache cleared first), the peak RSS of the process (VmHWM)
and the file size. A case that raises is reported with the error's type.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
MARK = "BENCH-RESULT "
SIZES = [5, 8, 12, 16, 20]
WIDE = (1_000_000, [3] * 10)  # any number of attributes above 5: 1M rows, 10 of 3 values


def child(attributes: int, out: str) -> dict[str, Any]:
    import warnings

    import numpy as np
    import pandas as pd
    from bench_audit import _status_kb

    import audit
    from audit.privacy.suppression import _suppress, suppress

    rng = np.random.default_rng(0)
    n, sizes = (200_000, SIZES[:attributes]) if attributes <= len(SIZES) else WIDE
    columns = {}
    for i, size in enumerate(sizes):
        p = rng.dirichlet(np.full(size, 0.8))
        columns[f"a{i}"] = rng.choice([f"v{j:02d}" for j in range(size)], n, p=p)
    columns["y"] = (rng.random(n) < 0.4).astype(int)
    frame = pd.DataFrame(columns)
    names = list(columns)[:-1]
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    result = audit.audit(frame, sensitive_features=names, label="y")
    timings: dict[str, Any] = {"audit": time.perf_counter() - start}
    timings["groups"] = sum(len(d.groups) for d in result.dimensions)
    timings["small"] = sum(1 for d in result.dimensions for g in d.groups if 0 < g.n < 10)
    try:
        start = time.perf_counter()
        suppress(result, k=10)
        timings["suppress"] = time.perf_counter() - start
        _suppress.cache_clear()
        start = time.perf_counter()
        audit.write_report(result, out, overwrite=True)
        timings["report"] = time.perf_counter() - start
        timings["size_mb"] = Path(out).stat().st_size / 1e6
    except Exception as exc:  # reported, not hidden
        timings["error"] = type(exc).__name__
        timings["failed_after"] = time.perf_counter() - start
    timings["peak_mb"] = _status_kb("VmHWM") / 1024
    return timings


HEAD = [
    "`python benchmarks/bench_report_scale.py`; 200,000 rows, default depth 3, k=10; "
    "one fresh process per case; 10 attributes: 1,000,000 rows, 3 values each.",
    "",
    "| attributes | groups | small (n<10) | audit s | suppression s | report s "
    "| peak MB | file MB |",
    "|---:|---:|---:|---:|---:|---:|---:|---|",
]
LIMIT = 900  # seconds a case may run before it is stopped and reported as such


def case(attributes: int, out: Path) -> str:
    """One case in a fresh process, as a row of the table."""
    try:
        text = subprocess.run(
            [sys.executable, __file__, "--child", str(attributes), str(out)],
            capture_output=True,
            text=True,
            check=True,
            timeout=LIMIT,
        ).stdout
    except subprocess.TimeoutExpired:
        return f"| {attributes} | | | | stopped after {LIMIT} s | | | |"
    r = json.loads(next(x for x in text.splitlines() if x.startswith(MARK))[len(MARK) :])
    if "error" in r:
        tail = f"| {r['error']} after {r['failed_after']:.0f} s | | {r['peak_mb']:.0f} | |"
    else:
        tail = (
            f"| {r['suppress']:.1f} | {r['report']:.1f} | {r['peak_mb']:.0f} | {r['size_mb']:.1f} |"
        )
    return f"| {attributes} | {r['groups']:,} | {r['small']:,} | {r['audit']:.2f} " + tail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attributes", type=int, nargs="+", default=[3, 4, 5])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(MARK + json.dumps(child(int(args.child[0]), args.child[1])))
        return 0
    from bench_audit import busy_processes

    out = Path(tempfile.mkdtemp(prefix="bench-report-scale-")) / "report.html"
    lines = ["# The report for thousands of groups", "", *HEAD]
    for attributes in args.attributes:
        lines.append(case(attributes, out))
        print(lines[-1], flush=True)
    lines += ["", f"Busy at the end: {busy_processes() or 'none'}.", ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
