"""Disparities within strata on the engine: UC Berkeley's 1973 admissions as rows, against
statsmodels' StratifiedTable on the same table, on pandas and on a CSV through DuckDB."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import StratifiedTable

from audit.exceptions import ConfigError
from audit.strata import stratified_disparity
from tests.metrics.test_conditional import BERKELEY


@pytest.fixture(scope="module")
def berkeley() -> pd.DataFrame:
    rows = []
    for department, (women, men) in BERKELEY.items():
        for sex, (admitted, applied) in (("F", women), ("M", men)):
            rows += [(department, sex, "yes")] * admitted
            rows += [(department, sex, "no")] * (applied - admitted)
    return pd.DataFrame(rows, columns=["department", "sex", "admitted"])


SPEC = {"sensitive_features": "sex", "label": "admitted", "favorable": "yes"}


@pytest.mark.parametrize("source", ["pandas", "csv"])
def test_berkeley_on_the_engine_equals_statsmodels(berkeley, tmp_path, source):
    data = berkeley
    if source == "csv":
        data = str(tmp_path / "berkeley.csv")
        berkeley.to_csv(data, index=False)
    (sex,) = stratified_disparity(data, strata="department", **SPEC)
    assert sex.reference == "M"  # admitted more often pooled: 44.5 % against 30.4 %
    assert sex.n_strata == 6
    women = next(g for g in sex.groups if g.name == "F").against_reference
    tables = [np.array([[w[0], w[1] - w[0]], [m[0], m[1] - m[0]]]) for w, m in BERKELEY.values()]
    st = StratifiedTable(tables)
    assert women.odds_ratio.value == pytest.approx(st.oddsratio_pooled, rel=1e-12)
    assert women.risk_ratio.value == pytest.approx(st.riskratio_pooled, rel=1e-12)
    assert women.cmh.p_value == pytest.approx(st.test_null_odds(correction=False).pvalue)
    assert women.crude_risk_ratio.value == pytest.approx((557 / 1835) / (1198 / 2691))
    assert women.simpson


def test_bad_strata_are_config_errors(berkeley):
    with pytest.raises(ConfigError, match="a column with a role"):
        stratified_disparity(berkeley, strata="sex", **SPEC)
    with pytest.raises(ConfigError, match="Did you mean 'department'"):
        stratified_disparity(berkeley, strata="departmnt", **SPEC)


def test_a_stratum_with_one_group_only_is_left_out_and_counted(berkeley):
    extra = pd.DataFrame({"department": ["G"] * 40, "sex": ["M"] * 40,
                          "admitted": ["yes", "no"] * 20})  # fmt: skip
    (sex,) = stratified_disparity(pd.concat([berkeley, extra]), strata="department", **SPEC)
    women = next(g for g in sex.groups if g.name == "F").against_reference
    assert (women.strata_used, women.strata_left_out) == (6, 1)
