"""The bundled Adult data: UCI's counts, and rebuilt byte for byte by scripts/build_adult.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest

from audit.datasets import ADULT_COLUMNS, adult_path

SHARED = Path(__file__).parents[1] / ".." / "shared" / "data"


def test_counts_match_uci_documentation():
    # adult.names: 32,561 training and 16,281 test instances; 24.08% / 23.62% earn >50K.
    for split, rows, share in (("train", 32561, 0.2408), ("test", 16281, 0.2362)):
        con = duckdb.connect()
        [(n, pos)] = con.sql(
            f"SELECT count(*), count(*) FILTER (WHERE income = '>50K') "
            f"FROM read_csv('{adult_path(split)}')"
        ).fetchall()
        assert n == rows
        assert pos / n == pytest.approx(share, abs=5e-5)
        columns = [
            c[0] for c in con.sql(f"DESCRIBE FROM read_csv('{adult_path(split)}')").fetchall()
        ]
        assert tuple(columns) == ADULT_COLUMNS


@pytest.mark.skipif(not (SHARED / "adult.data").exists(), reason="UCI source files not present")
def test_rebuild_is_byte_identical(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "build_adult", Path(__file__).parents[1] / "scripts" / "build_adult.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for split, name in (("train", "adult.data"), ("test", "adult.test")):
        target = tmp_path / f"{split}.csv.gz"
        module.convert(SHARED / name, target)
        assert target.read_bytes() == adult_path(split).read_bytes()
