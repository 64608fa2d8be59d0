"""Audit the bundled UCI Adult data from Python: the library equivalent of `biasaudit demo`.

Run: python examples/audit_adult.py
"""

from __future__ import annotations

import audit
from audit.datasets import adult_path

result = audit.audit(
    adult_path("train"),  # a path: opened lazily by DuckDB
    sensitive_features=["sex", "race", "age"],
    label="income",
    favorable=">50K",
    bins={"age": [25, 45, 65]},  # numeric attributes are binned only by edges you give
    reference={"sex": "Male"},  # other attributes: the most favoured group
)

sex = result.dimension("sex")
female = sex.group("Female")
di = female.disparate_impact_ratio
print(f"Female vs Male: DI {di.value:.5f} [{di.ci_low:.3f}, {di.ci_high:.3f}], n={di.n}")
print(f"SPD {female.statistical_parity_difference.value:+.5f}")

worst = min(
    (d for d in result.dimensions if d.demographic_parity_ratio.defined),
    key=lambda d: d.demographic_parity_ratio.value,
)
print(
    f"Lowest demographic parity ratio: {worst.name} ({worst.lowest_group} vs "
    f"{worst.highest_group}) = {worst.demographic_parity_ratio.value:.3f}"
)

result.to_json("reports/adult-audit.json")
print("Wrote reports/adult-audit.json and", audit.write_report(result, "reports/adult-audit.html"))
