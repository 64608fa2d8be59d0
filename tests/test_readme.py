"""The README's Python blocks run as written, in order, on the bundled data: they cannot drift
from the code."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

from audit.datasets import adult_path

README = Path(__file__).resolve().parent.parent / "README.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_has_python_blocks():
    assert len(blocks()) >= 4


@pytest.mark.slow
def test_every_python_block_of_the_readme_runs(tmp_path, monkeypatch):
    """The blocks share one namespace, as a reader's session would; ``data/train.parquet`` is
    the bundled Adult training split with a prediction column ``pred``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    train = pd.read_csv(adult_path("train"))
    train["pred"] = (train["education_num"] >= 13).map({True: ">50K", False: "<=50K"})
    train.to_parquet(tmp_path / "data" / "train.parquet")
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the audits' own small-group notes and sklearn's
        for i, code in enumerate(blocks()):
            exec(compile(code, f"README.md python block {i + 1}", "exec"), namespace)
    assert (tmp_path / "reports" / "train.html").is_file()
    assert (tmp_path / "reports" / "compare.html").is_file()
    assert (tmp_path / "reweighed.parquet").is_file()
    assert callable(namespace["test_features_keep_the_policy"])
