import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _run_from_the_project_root(monkeypatch):
    # The tests read data/train.csv relative to the project, wherever pytest is started.
    monkeypatch.chdir(Path(__file__).parent.parent)
    assert os.path.exists("data/train.csv")
