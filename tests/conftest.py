from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd

# pytester's in-process runs drop the modules a run imported first; pandas' Arrow extension
# types register themselves with pyarrow once per process, so they are imported here, once.
import pandas.core.arrays.arrow.extension_types
import pytest

from audit.datasets import adult_path

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    """The bundled UCI Adult training split as pandas (missing values as NaN)."""
    return pd.read_csv(adult_path("train"))


@pytest.fixture(scope="session")
def adult_test() -> pd.DataFrame:
    """The bundled UCI Adult test split as pandas (missing values as NaN)."""
    return pd.read_csv(adult_path("test"))


@pytest.fixture(scope="session")
def marked(adult: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Adult training split written as the UCI files write it: missing values as '?'."""
    path = tmp_path_factory.mktemp("adult") / "adult-marked.csv"
    adult.fillna("?").to_csv(path, index=False)
    return str(path)


@pytest.fixture(scope="session")
def train(adult: pd.DataFrame) -> pd.DataFrame:
    """The Adult training split (the same frame as ``adult``; tests never change it)."""
    return adult


@pytest.fixture(scope="session")
def test_split() -> pd.DataFrame:
    """The bundled UCI Adult test split."""
    return pd.read_csv(adult_path("test"))


FIXED_TIME = "2026-01-01T00:00:00+00:00"


def same(a: Any, b: Any, where: str = "result", rel: float = 0.0) -> None:
    """``a`` and ``b`` are equal field by field, of the same types; a NaN or an infinity
    equals either (the JSON writes both as null, which reads back as NaN); finite floats
    are equal, or within ``rel`` of each other when it is given."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}", rel)
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), f"{where}: {len(a)} != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]", rel)
    elif isinstance(a, dict) or hasattr(a, "keys"):
        assert list(a) == list(b), f"{where}: keys differ"
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]", rel)
    elif isinstance(a, float) and not math.isfinite(a):
        assert not math.isfinite(b), f"{where}: {a!r} != {b!r}"
    elif isinstance(a, float) and rel:
        assert b == pytest.approx(a, rel=rel, abs=1e-300), f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.fixture(scope="session")
def demo_reports(tmp_path_factory: pytest.TempPathFactory):
    """``biasaudit demo`` run once (in-process): the folder with its JSON and HTML, and the
    command's result."""
    from click.testing import CliRunner

    from audit.cli import cli

    folder = tmp_path_factory.mktemp("demo") / "reports"
    result = CliRunner().invoke(cli, ["demo", "--output-dir", str(folder)])
    assert result.exit_code == 0, result.output
    return folder, result


def _chromium_path() -> str:
    import os
    import shutil

    explicit = os.environ.get("BIASAUDIT_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "No Chromium found for the browser tests. Install Debian's package (apt-get install "
        "chromium), set BIASAUDIT_CHROMIUM to a Chromium binary, or deselect them with "
        "-m 'not browser'."
    )


@pytest.fixture(scope="session")
def chromium():
    """A real headless Chromium (the system's), driven over the DevTools protocol by
    Playwright; no browser is downloaded."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=_chromium_path(),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts(pytestconfig: pytest.Config):
    """Folder for test artifacts (screenshots): ``test-artifacts/`` at the repository root, or
    BIASAUDIT_ARTIFACTS."""
    import os
    from pathlib import Path

    folder = Path(os.environ.get("BIASAUDIT_ARTIFACTS", pytestconfig.rootpath / "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
