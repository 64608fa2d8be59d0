"""Shared set-up of the gate tests.

Most plugin tests run pytest inside this process (pytester). A module first imported during
such a run is taken out of ``sys.modules`` after it, while the package that imported it keeps
the classes it loaded, so the next run would mix two copies of plotly's lazily imported
modules (a ``layout.Shape`` of one copy refused by the validator of the other, seen as a
flaky INTERNALERROR of the report). Rendering each kind of report once here, before any
inner run, imports every plotly module they use into this process for good.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest


@pytest.fixture(scope="session", autouse=True)
def _reports_imported() -> None:
    from audit import audit, drift, mitigate
    from audit.exceptions import AuditWarning
    from audit.report.render import render_html

    df = pd.DataFrame({"sex": ["F", "M"] * 60, "y": [1, 0, 0, 1, 1, 1] * 20,
                       "d": ["2020-01-01", "2021-01-01", "2021-06-01"] * 40})  # fmt: skip
    spec = {"sensitive_features": "sex", "label": "y", "favorable": [1]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)
        render_html(audit(df, **spec))
        render_html(mitigate(df, **spec))
        render_html(drift(df, time="d", **spec))
