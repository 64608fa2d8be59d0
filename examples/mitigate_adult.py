"""Reweigh the bundled UCI Adult data, compare before and after, and train a model on both.

Run: python examples/mitigate_adult.py
"""

from __future__ import annotations

import pandas as pd
from sklearn.linear_model import LogisticRegression

import audit
from audit.datasets import adult_path
from audit.mitigation.sklearn import Reweighing

adult = pd.read_csv(adult_path("train"))
auditor = audit.Auditor(sensitive_features=["sex", "race"], label="income", favorable=">50K")

# 1. Reweighing with a before/after comparison and the fixed-model check.
result = audit.mitigate(
    spec=auditor.spec, data=adult, method="reweighing", model_check=True, random_state=0
)
print(
    "Factor for (Female & Black, >50K):",
    round(result.plan.factor("Female", "Black", favorable=True), 4),
)
sex = result.comparison.dimension("sex")
for change in sex.groups:
    print(
        f"{change.name}: base rate {change.before.base_rate.value:.3f} -> "
        f"{change.after.base_rate.value:.3f} (effective n {change.after.n_effective:,.0f})"
    )
print(sex.by_construction)
check = result.model_check
print(
    f"Model accuracy {check.before.accuracy:.4f} -> {check.after.accuracy:.4f}; "
    "equalized odds difference (sex) "
    f"{check.before.audit.dimension('sex').classification.equalized_odds_difference.value:.3f}"
    " -> "
    f"{check.after.audit.dimension('sex').classification.equalized_odds_difference.value:.3f}"
)

# 2. The same weights for any estimator that takes sample_weight.
X = adult[["sex", "race", "age", "education_num", "hours_per_week"]]
y = (adult["income"] == ">50K").astype(int)
weights = Reweighing(sensitive_features=["sex", "race"], favorable=1).fit_sample_weight(X, y)
model = LogisticRegression(max_iter=1000).fit(
    X[["age", "education_num", "hours_per_week"]], y, sample_weight=weights
)
print("Trained a weighted logistic regression on", len(X), "rows")

# 3. Uniform resampling: every (group, label) cell drawn to its expected size, reproducibly.
sampled = audit.mitigate(spec=auditor.spec, data=adult, method="uniform", random_state=0)
print(
    "Resampled rows:",
    len(sampled.data),
    "base rate by sex after:",
    sampled.data.assign(y=sampled.data["income"].eq(">50K"))
    .groupby("sex")["y"]
    .mean()
    .round(4)
    .to_dict(),
)
