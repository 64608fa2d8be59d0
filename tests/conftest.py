from __future__ import annotations

import pandas as pd
import pytest

from audit.datasets import adult_path


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    """The bundled UCI Adult training split as pandas (missing values as NaN)."""
    return pd.read_csv(adult_path("train"))


FIXED_TIME = "2026-01-01T00:00:00+00:00"
