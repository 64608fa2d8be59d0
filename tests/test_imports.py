"""Heavy libraries stay off the audit and mitigation paths (a first call pays every import):
an audit of a CSV imports neither pandas nor scipy; a reweighing or resampling of a pandas
frame imports neither scipy nor scikit-learn. Each in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

import pytest

from audit.datasets import adult_path

CASES = {
    "audit of a CSV": (
        f"audit.audit({str(adult_path('train'))!r}, sensitive_features=['sex', 'race'], "
        "label='income', favorable='>50K')",
        ("pandas", "scipy", "sklearn", "polars", "plotly", "jinja2"),
    ),
    "reweighing a pandas frame": (
        "import pandas as pd; df = pd.DataFrame({'g': ['a', 'b'] * 50, 'y': [0, 0, 1, 1] * 25}); "
        "audit.mitigate(df, sensitive_features='g', label='y', method='reweighing')",
        ("scipy", "sklearn", "plotly", "jinja2"),
    ),
    "uniform resampling a pandas frame": (
        "import pandas as pd; df = pd.DataFrame({'g': ['a', 'b'] * 50, 'y': [0, 0, 1, 1] * 25}); "
        "audit.mitigate(df, sensitive_features='g', label='y', method='uniform')",
        ("scipy", "sklearn", "plotly", "jinja2"),
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_no_heavy_import(case):
    call, absent = CASES[case]
    code = (
        "import sys, warnings; warnings.simplefilter('ignore'); import audit; "
        f"{call}; print(sorted(m for m in {list(absent)!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
