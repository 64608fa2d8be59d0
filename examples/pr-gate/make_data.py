"""Build data/train.csv: a 3,000-row sample of the UCI Adult training split (bundled with
biasaudit) with a ``weight`` column from reweighing over sex and race.

    python make_data.py
"""

from pathlib import Path

import pandas as pd

import audit
from audit import Auditor
from audit.datasets import adult_path

COLUMNS = ["age", "education", "hours_per_week", "sex", "race", "income"]

sample = pd.read_csv(adult_path("train"))[COLUMNS].sample(n=3000, random_state=0)
sample = sample.reset_index(drop=True)
result = audit.mitigate(
    spec=Auditor(sensitive_features=["sex", "race"], label="income", favorable=">50K").spec,
    data=sample,
    method="reweighing",
    weight_column="weight",
)
out = Path(__file__).parent / "data" / "train.csv"
result.data.round({"weight": 6}).to_csv(out, index=False)
print(f"wrote {out} ({len(result.data)} rows)")
