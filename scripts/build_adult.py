"""Rebuild audit/datasets/adult-{train,test}.csv.gz from the UCI Adult files.

Usage: python scripts/build_adult.py [SOURCE_DIR]   (default: ../shared/data)

The only changes to UCI's files: a header row, the space after each comma removed, "?" (UCI's
code for unknown) written as an empty field so every reader sees a missing value, the trailing
"." of the test file's labels removed (">50K." -> ">50K"), and blank lines dropped. Output is
byte-for-byte reproducible (gzip with mtime 0).
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

from audit.datasets import ADULT_COLUMNS

COLUMNS = list(ADULT_COLUMNS)


def convert(source: Path, target: Path) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = 0
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("|"):
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != len(COLUMNS):
            raise ValueError(f"{source}: a line has {len(fields)} fields")
        fields = ["" if f == "?" else f for f in fields]
        fields[-1] = fields[-1].rstrip(".")
        writer.writerow(fields)
        rows += 1
    with (
        open(target, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(buffer.getvalue().encode("utf-8"))
    return rows


def main() -> None:
    source = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "../shared/data"
    )
    out = Path(__file__).parents[1] / "audit" / "datasets"
    for split, name in (("train", "adult.data"), ("test", "adult.test")):
        rows = convert(source / name, out / f"adult-{split}.csv.gz")
        print(f"adult-{split}.csv.gz: {rows} rows")


if __name__ == "__main__":
    main()
