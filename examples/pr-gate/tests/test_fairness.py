"""The project's own tests can audit any frame under the policy in pyproject.toml."""

import pandas as pd


def test_training_data_after_the_feature_pipeline(bias_audit):
    # Whatever a pipeline step does to the rows, the data it hands on must stay in policy.
    df = pd.read_csv("data/train.csv")
    adults = df[df["age"] >= 18]
    result = bias_audit(
        adults,
        sensitive_features=["sex", "race"],
        label="income",
        favorable=">50K",
        sample_weight="weight",
    )
    result.assert_policy()


def test_without_the_weights_the_data_is_out_of_policy(bias_audit):
    # The raw sample (no reweighing) is what the policy exists to catch.
    df = pd.read_csv("data/train.csv")
    result = bias_audit(df, sensitive_features="sex", label="income", favorable=">50K")
    assert not result.outcome.passed
    failing = {(c.rule.metric, c.group) for c in result.outcome.failures}
    assert ("disparate_impact_ratio", "Female") in failing
