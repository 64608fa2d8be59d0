"""Data health at scale: the missing-value and proxy count tables of a large Parquet file with
20 feature columns, beside DuckDB's own queries for the same counts (the floor), and the
reconstruction AUCs and label quality on their seeded sample.

Each measurement runs in a fresh Python process (``--child``), so the first call includes
the imports and the file's first read, and its peak memory is that process's high-water mark
(VmHWM). ``--reps`` warm calls follow in the same process; the median is reported. The data
is synthetic and written once (``benchmarks/data``): two sensitive attributes (sex, race),
a binary label and 20 features, 10 numeric (two with missing values, one mostly zero, one a
noisy copy of sex) and 10 text (three with missing values, one a proxy of sex, one marked
``?`` where missing, one with 1,000 values).

    python benchmarks/bench_health.py --rows 50000000
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results"
SPEC = {"sensitive_features": ["sex", "race"], "label": "y", "favorable": 1}
NUMERIC = [f"n{i}" for i in range(10)]
TEXT = [f"t{i}" for i in range(10)]
CHUNK = 2_000_000


def _chunk(n: int, rng: Any) -> Any:
    import numpy as np
    import pyarrow as pa

    sex = rng.integers(0, 2, n)
    race = rng.choice(5, n, p=[0.6, 0.2, 0.1, 0.07, 0.03])
    y = (rng.random(n) < 0.25 + 0.1 * sex).astype(np.int8)
    cols: dict[str, Any] = {
        "sex": pa.DictionaryArray.from_arrays(pa.array(sex.astype(np.int8)), ["F", "M"]),
        "race": pa.DictionaryArray.from_arrays(
            pa.array(race.astype(np.int8)), ["A", "B", "C", "D", "E"]
        ),
        "y": pa.array(y),
    }
    for i, name in enumerate(NUMERIC):
        if i == 0:
            values = rng.integers(18, 90, n).astype(np.float64)  # age-like, 72 values
        elif i == 1:
            values = np.where(rng.random(n) < 0.92, 0.0, rng.integers(1, 99_999, n))
        elif i == 2:
            values = sex + rng.normal(0, 0.6, n)  # a noisy copy of sex
        else:
            values = rng.normal(i, 1 + i, n)
        mask = None
        if i in (3, 4):
            mask = rng.random(n) < (0.02 + 0.03 * sex * (i == 3))  # more missing for M
        cols[name] = pa.array(values, mask=mask)
    letters = np.array([f"v{j}" for j in range(1000)])
    for i, name in enumerate(TEXT):
        if i == 0:
            codes = np.where(rng.random(n) < 0.8, sex, 1 - sex) * 2 + rng.integers(0, 2, n)
        elif i == 1:
            codes = rng.integers(0, 1000, n)
        else:
            codes = rng.integers(0, 3 + 4 * i, n)
        values = letters[codes]
        if i == 2:
            values = np.where(rng.random(n) < 0.03 + 0.04 * (race == 4), "?", values)
        mask = rng.random(n) < 0.05 * (race == 2) if i in (3, 4, 5) else None
        cols[name] = pa.array(values, mask=mask)
    return pa.table(cols)


def ensure_data(rows: int, seed: int = 0) -> Path:
    import numpy as np
    import pyarrow.parquet as pq

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"health_{rows}_seed{seed}.parquet"
    if path.exists() and pq.read_metadata(path).num_rows == rows:
        return path
    rng = np.random.default_rng(seed)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=DATA)
    os.close(fd)
    writer = None
    try:
        done = 0
        while done < rows:
            table = _chunk(min(CHUNK, rows - done), rng)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
            done += table.num_rows
        assert writer is not None
        writer.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _floor_missing(path: str) -> Any:
    import duckdb

    flags = (
        ", ".join(f"sum(({c} IS NULL OR isnan({c}))::INT)" for c in NUMERIC)
        + ", "
        + ", ".join(f"sum(({c} IS NULL OR {c} IN ('', '?'))::INT)" for c in TEXT)
    )
    sql = f"SELECT sex, race, count(*), {flags} FROM '{path}' GROUP BY sex, race"
    return duckdb.connect().sql(sql).fetchall()


@functools.lru_cache(maxsize=1)
def _floor_edges(path: str) -> tuple[tuple[float, ...], ...]:
    """The numeric features' decile edges (from a 100,000-row sample), found before the
    floor is timed: the floor is the counting alone."""
    import duckdb

    qs = "[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]"
    stats = ", ".join(f"reservoir_quantile({c}, {qs}, 100000)" for c in NUMERIC)
    row = duckdb.connect().sql(f"SELECT {stats} FROM '{path}'").fetchall()[0]
    return tuple(tuple(sorted(set(e))) for e in row)


def _floor_proxies(path: str) -> Any:
    """The proxy tables as DuckDB counts them on its own, given the edges: one GROUP BY of
    (sex, race, label, feature) per feature (the bins a CASE), run one after the other (the
    fastest of the forms measured: a GROUPING SETS of all 20 took 18.7 s, a UNION ALL 17.2 s,
    one after the other 16.6 s, at 50M rows)."""
    import duckdb

    con = duckdb.connect()
    out = []
    for c, edges in zip(NUMERIC, _floor_edges(path), strict=True):
        case = " ".join(f"WHEN {c} <= {e!r} THEN {i}" for i, e in enumerate(edges))
        x = f"CASE WHEN {c} IS NULL OR isnan({c}) THEN NULL {case} ELSE {len(edges)} END"
        sql = f"SELECT sex, race, y, {x} AS x, count(*) FROM '{path}' GROUP BY ALL"
        out.append(con.sql(sql).fetchall())
    for c in TEXT:
        sql = f"SELECT sex, race, y, {c}, count(*) FROM '{path}' GROUP BY ALL"
        out.append(con.sql(sql).fetchall())
    return out


def _ours(kind: str, path: str) -> Any:
    from audit.spec import AuditSpec

    spec = AuditSpec(**SPEC, na_values=["?"], health=True)
    if kind == "missingness":
        from audit.missingness import missingness

        return missingness(path, spec=spec)
    if kind == "proxies":
        from audit.proxies import proxies

        return proxies(path, spec=spec)
    if kind == "models":  # reconstruction and label quality on their seeded sample
        from audit.health import FOLDS, SEED
        from audit.label_quality import suspect_labels
        from audit.reconstruction import prepare, reconstruct

        frame, chosen = prepare(path, spec, None, spec.proxy_sample, FOLDS, SEED)
        rebuilt = reconstruct(frame, chosen, spec, folds=FOLDS, leak=0.95, random_state=SEED)
        return rebuilt, suspect_labels(frame, chosen, spec, folds=FOLDS, random_state=SEED)
    if kind == "floor-missingness":
        return _floor_missing(path)
    if kind == "floor-proxies":
        return _floor_proxies(path)
    raise SystemExit(f"unknown kind {kind}")


def child(kind: str, path: str, reps: int) -> None:
    import warnings

    warnings.simplefilter("ignore")
    if kind == "floor-proxies":
        _floor_edges(path)
    start = time.perf_counter()
    _ours(kind, path)
    first = time.perf_counter() - start
    warm = []
    for _ in range(reps):
        start = time.perf_counter()
        _ours(kind, path)
        warm.append(time.perf_counter() - start)
    print(json.dumps({"kind": kind, "first": first, "warm": warm, "peak_mb": _peak_mb()}))


KINDS = ("floor-missingness", "missingness", "floor-proxies", "proxies", "models")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.reps)
        return
    start = time.perf_counter()
    path = ensure_data(args.rows)
    print(f"data: {path} ({path.stat().st_size / 2**20:,.0f} MiB, "
          f"{time.perf_counter() - start:.0f} s to make or find)", flush=True)  # fmt: skip
    rows = []
    for kind in args.kinds:
        reps = 0 if kind == "models" else args.reps
        out = subprocess.run(
            [sys.executable, __file__, "--reps", str(reps), "--child", kind, str(path)],
            capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        rec = json.loads(out)
        rec["median_warm"] = statistics.median(rec["warm"]) if rec["warm"] else None
        rows.append(rec)
        warm = "" if rec["median_warm"] is None else f", warm median {rec['median_warm']:.2f} s"
        print(f"{kind:>18}: first {rec['first']:.2f} s{warm}, peak {rec['peak_mb']:,.0f} MB",
              flush=True)  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"health_{args.rows}.json"
    target.write_text(json.dumps({"rows": args.rows, "cpus": os.cpu_count(), "runs": rows},
                                 indent=2) + "\n")  # fmt: skip
    print(f"written: {target}")


if __name__ == "__main__":
    main()
