"""Assembly of an audit: a grouped count and a spec -> every dimension's result.

The reference group of each attribute, which groups are eligible for the summaries, the
reasons for values that are undefined, and the AuditResult that carries them. Numbers come
from :mod:`audit.metrics`; nothing here reads data.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import replace

from audit.exceptions import ConfigError
from audit.metrics.classification import ConfusionRates, confusion_rates, prediction_summary
from audit.metrics.inference import Estimate, TestResult, holm, independence_test, z_value
from audit.metrics.outcomes import base_rates, disparities_vs_reference, pair_test
from audit.metrics.rates import Proportion, range_summary
from audit.metrics.representation import goodness_of_fit, group_shares, representation_ratio
from audit.metrics.subgroups import scan_subgroups
from audit.result import (
    SCHEMA_VERSION,
    AuditResult,
    DimensionResult,
    GroupClassification,
    GroupResult,
)
from audit.spec import MISSING_LABEL, OTHER_LABEL, AuditSpec, SourceInfo
from audit.table import CrossTab, Marginal

__all__ = ["assemble", "choose_reference"]


def choose_reference(
    m: Marginal,
    spec: AuditSpec,
    rates: Sequence[Proportion],
    eligible: Sequence[bool],
    keep_given: bool = False,
) -> tuple[int | None, str, str | None]:
    """Index of the reference group, the rule that chose it, and a warning if it fell back.
    With ``keep_given`` (noisy counts), a given reference without labelled rows stays the
    reference and its comparisons are undefined."""
    given = [spec.reference.get(a) for a in m.attributes]
    warning = None
    if all(g is not None for g in given):
        key = tuple(str(g) for g in given)
        index = next((i for i, k in enumerate(m.keys) if k == key), None)
        if len(m.attributes) == 1 and index is None:
            raise ConfigError(
                f"The reference group given for '{m.attributes[0]}' is not one of its "
                f"{len(m.keys)} groups. Hint: values are compared as text (the number 1 is "
                "'1'; bins are named like '[25, 45)'); run the audit without reference to "
                "see the group names."
            )
        if index is not None and rates[index].total > 0:
            return index, "given", None
        if index is not None and keep_given and len(m.attributes) == 1:
            return index, "given", None
        if len(m.attributes) == 1:
            raise ConfigError(
                f"The reference group given for '{m.attributes[0]}' has no labelled rows. "
                "Hint: choose another reference group."
            )
        warning = (
            f"The combination of the given reference groups has no labelled rows in "
            f"'{' & '.join(m.attributes)}'; the most favoured group is its reference instead."
        )
    candidates = [i for i, r in enumerate(rates) if eligible[i] and r.total > 0]
    rule = "most_favoured"
    if not candidates:
        candidates = [i for i, r in enumerate(rates) if r.total > 0 and _real(m.keys[i])]
        rule = "most_favoured_small"
    if not candidates:
        return None, "none", warning
    # Rates equal to 12 decimals are ties (float noise must not pick the reference).
    best = max(candidates, key=lambda i: (round(rates[i].value, 12), rates[i].rows, -i))
    return best, rule, warning


def _real(key: tuple[str, ...]) -> bool:
    """A group of values (not the missing ones, nor a private report's rare values merged)."""
    return MISSING_LABEL not in key and OTHER_LABEL not in key


def _why_undefined(p: Proportion, group_rows: int, no_rows: str) -> str:
    if group_rows == 0:
        return "empty intersection"
    if p.rows == 0:
        return no_rows
    return "the rows have zero total weight"


def _classification(c: ConfusionRates, group_rows: int, z: float) -> GroupClassification:
    predicted = c.selection_rate.rows
    if group_rows == 0:
        none = "empty intersection"
        labels = (none, none, none)
    elif predicted == 0:
        none = "no rows with a prediction"
        labels = (none, none, none)
    else:
        labels = ("no favourable labels", "no unfavourable labels", "no favourable predictions")
    return GroupClassification(
        n=predicted,
        selection_rate=c.selection_rate.estimate(
            z, _why_undefined(c.selection_rate, group_rows, "no rows with a prediction")
        ),
        true_positive_rate=c.true_positive_rate.estimate(
            z, _why_undefined(c.true_positive_rate, group_rows, labels[0])
        ),
        false_positive_rate=c.false_positive_rate.estimate(
            z, _why_undefined(c.false_positive_rate, group_rows, labels[1])
        ),
        false_negative_rate=c.false_negative_rate.estimate(
            z, _why_undefined(c.false_negative_rate, group_rows, labels[0])
        ),
        positive_predictive_value=c.positive_predictive_value.estimate(
            z, _why_undefined(c.positive_predictive_value, group_rows, labels[2])
        ),
    )


def _reference_shares(
    m: Marginal, expected: Mapping[str, float], attribute: str
) -> tuple[list[Proportion | None], list[str]]:
    """Shares among the groups the reference population names (so `(missing)` and groups the
    population does not list do not dilute them), and warnings about names that differ."""
    inside = [k[0] in expected for k in m.keys]
    total = float(sum(m.w[g].sum() for g in range(len(m.keys)) if inside[g]))
    total_sq = float(sum(m.w2[g].sum() for g in range(len(m.keys)) if inside[g]))
    shares: list[Proportion | None] = [
        Proportion(float(m.w[g].sum()), total, total_sq, int(m.n[g].sum())) if inside[g] else None
        for g in range(len(m.keys))
    ]
    warnings_found = []
    observed = {k[0] for g, k in enumerate(m.keys) if m.n[g].sum() > 0}
    absent = [name for name in expected if name not in observed]
    unlisted = [k for k in observed if k not in expected and _real((k,))]
    if absent:
        warnings_found.append(
            f"{len(absent)} group(s) of the reference population for '{attribute}' do not occur "
            "in the data (check spelling and case); they count as observed 0."
        )
    if unlisted:
        warnings_found.append(
            f"{len(unlisted)} group(s) of '{attribute}' in the data are not in its reference "
            "population; they have no representation ratio."
        )
    return shares, warnings_found


def _dimension(
    ct: CrossTab, dims: tuple[int, ...], spec: AuditSpec, z: float, keep_given: bool = False
) -> tuple[DimensionResult, list[str]]:
    m = ct.marginal(dims)
    names = m.labels
    shares = group_shares(m)
    rates = base_rates(m)
    found: list[str] = []
    small = [s.rows < spec.min_group_size for s in shares]
    real = [_real(k) for k in m.keys]
    eligible = [real[i] and rates[i].rows >= spec.min_group_size for i in range(len(rates))]
    ref_index, rule, warning = choose_reference(m, spec, rates, eligible, keep_given)
    if warning:
        found.append(warning)
    ref_rate = rates[ref_index] if ref_index is not None else None

    pair_tests: list[TestResult] = []
    disparities: list[tuple[Estimate, Estimate]] = []
    for i, rate in enumerate(rates):
        if ref_rate is None:
            undefined = Estimate.undefined(rate.rows, "no reference group has labelled rows")
            disparities.append((undefined, undefined))
            pair_tests.append(TestResult.undefined(rate.rows, "no reference group"))
        elif ref_rate.total <= 0:  # a given reference without labelled rows (noisy counts)
            reason = "the reference group has no labelled rows"
            undefined = Estimate.undefined(rate.rows, reason)
            disparities.append((undefined, undefined))
            itself = i == ref_index
            pair_tests.append(
                TestResult.undefined(rate.rows, "the reference group itself" if itself else reason)
            )
        elif i == ref_index:
            one = Estimate(1.0, 1.0, 1.0, rate.rows, None)
            zero = Estimate(0.0, 0.0, 0.0, rate.rows, None)
            disparities.append((one, zero))
            pair_tests.append(TestResult.undefined(rate.rows, "the reference group itself"))
        elif rate.total <= 0:
            reason = _why_undefined(rate, shares[i].rows, "no labelled rows")
            undefined = Estimate.undefined(rate.rows, reason)
            disparities.append((undefined, undefined))
            pair_tests.append(TestResult.undefined(rate.rows, reason))
        else:
            disparities.append(disparities_vs_reference(rate, ref_rate, z))
            pair_tests.append(pair_test(rate, ref_rate))
    adjusted = holm([t.p_value for t in pair_tests])
    pair_tests = [t.with_holm(a) for t, a in zip(pair_tests, adjusted, strict=True)]

    expected = spec.reference_population.get(m.attributes[0]) if len(dims) == 1 else None
    ref_shares: list[Proportion | None] = [None] * len(m.keys)
    if expected:
        ref_shares, population_warnings = _reference_shares(m, expected, m.attributes[0])
        found += population_warnings
    conf = confusion_rates(m) if m.confusion_n is not None else None
    groups = []
    for i, key in enumerate(m.keys):
        exp = expected.get(key[0]) if expected is not None else None
        ref_share = ref_shares[i]
        w2 = float(m.w2[i].sum())
        groups.append(
            GroupResult(
                key=key,
                name=names[i],
                n=shares[i].rows,
                weight=shares[i].favorable * ct.weight_scale,
                n_effective=shares[i].favorable ** 2 / w2 if w2 > 0 else 0.0,
                share=shares[i].estimate(z, "the dataset is empty"),
                expected_share=exp,
                representation_ratio=representation_ratio(ref_share, exp, z)
                if exp is not None and ref_share is not None
                else None,
                n_labeled=rates[i].rows,
                base_rate=rates[i].estimate(
                    z, _why_undefined(rates[i], shares[i].rows, "no labelled rows")
                ),
                disparate_impact_ratio=disparities[i][0],
                statistical_parity_difference=disparities[i][1],
                test_vs_reference=pair_tests[i],
                is_reference=i == ref_index,
                small=small[i],
                classification=_classification(conf[i], shares[i].rows, z) if conf else None,
            )
        )
    diff, ratio, extremes = range_summary(rates, eligible, z)
    table = [[r.n_effective - r.x_effective, r.x_effective] for r in rates]
    prediction = None
    if conf is not None and m.confusion_n is not None:
        labelled_and_predicted = m.confusion_n[:, :2, :2].sum(axis=(1, 2))
        pred_eligible = [
            real[i] and int(labelled_and_predicted[i]) >= spec.min_group_size
            for i in range(len(conf))
        ]
        prediction = prediction_summary(conf, pred_eligible, z)
    gof = None
    if expected:
        present = [(names[i], p) for i, p in enumerate(ref_shares) if p is not None]
        gof = goodness_of_fit([n for n, _ in present], [p for _, p in present], expected)
    result = DimensionResult(
        attributes=m.attributes,
        name=" & ".join(m.attributes),
        reference=m.keys[ref_index] if ref_index is not None else None,
        reference_rule=rule,
        groups=tuple(groups),
        demographic_parity_difference=diff,
        demographic_parity_ratio=ratio,
        highest_group=names[extremes[0]] if extremes else None,
        lowest_group=names[extremes[1]] if extremes else None,
        excluded_from_summary=tuple(
            names[i] for i in range(len(names)) if not eligible[i] and shares[i].rows > 0
        ),
        independence=independence_test(table),
        goodness_of_fit=gof,
        classification=prediction,
    )
    return result, found


UNFAVOURED = (
    "the label is multi-class and has no favourable value: each class is an outcome "
    "(see the per-class rates)"
)


def _unfavoured(d: DimensionResult) -> DimensionResult:
    """A dimension of a multi-class label without a favourable value: its favourable rates
    and their disparities are undefined, and its reference group is the largest one (the
    given one if any)."""

    def gone(e: Estimate) -> Estimate:
        return Estimate.undefined(e.n, UNFAVOURED)

    groups = tuple(
        replace(
            g,
            base_rate=gone(g.base_rate),
            disparate_impact_ratio=gone(g.disparate_impact_ratio),
            statistical_parity_difference=gone(g.statistical_parity_difference),
            test_vs_reference=TestResult.undefined(g.test_vs_reference.n, UNFAVOURED),
        )
        for g in d.groups
    )
    rule = "largest" if d.reference_rule.startswith("most_favoured") else d.reference_rule
    return replace(
        d,
        reference_rule=rule,
        groups=groups,
        demographic_parity_difference=gone(d.demographic_parity_difference),
        demographic_parity_ratio=gone(d.demographic_parity_ratio),
        highest_group=None,
        lowest_group=None,
        independence=TestResult.undefined(d.independence.n, UNFAVOURED),
    )


def _combinations(n_attributes: int, max_depth: int) -> list[tuple[int, ...]]:
    return [
        combo
        for depth in range(1, max_depth + 1)
        for combo in itertools.combinations(range(n_attributes), depth)
    ]


def assemble(
    ct: CrossTab,
    spec: AuditSpec,
    source: SourceInfo,
    *,
    created_at: str,
    versions: Mapping[str, str],
) -> AuditResult:
    """Every metric of an audit from its grouped count (no pass over the data). The
    result's spec records the favourable values the audit used, also when they were
    inferred (a 0/1 or boolean label)."""
    if spec.favorable is None and ct.favorable_raw:
        spec = replace(spec, favorable=ct.favorable_raw)
    if not ct.favorable_values and ct.label_class is not None and spec.label_type is None:
        spec = replace(spec, label_type="multiclass")
    z = z_value(spec.confidence_level)
    found_warnings = list(ct.warnings)
    dims = []
    for combo in _combinations(len(spec.sensitive_features), spec.effective_max_depth):
        dim, dim_warnings = _dimension(ct, combo, spec, z)
        dims.append(dim)
        found_warnings += dim_warnings
    omnibus = holm([d.independence.p_value for d in dims])
    dims = [
        replace(d, independence=d.independence.with_holm(p))
        for d, p in zip(dims, omnibus, strict=True)
    ]
    unfavoured = not ct.favorable_values and ct.label_class is not None
    if unfavoured:
        dims = [_unfavoured(d) for d in dims]
    for d in dims:
        if len(d.attributes) == 1:
            tiny = sum(1 for g in d.groups if g.small and g.n > 0)
            if tiny:
                found_warnings.append(
                    f"{tiny} group(s) of '{d.name}' have fewer than min_group_size="
                    f"{spec.min_group_size} rows; they are flagged and left out of the "
                    "summary disparities."
                )
    label_missing = int(ct.n[ct.label < 0].sum())
    pred_missing = int(ct.n[ct.prediction < 0].sum()) if ct.prediction is not None else None
    return AuditResult(
        schema_version=SCHEMA_VERSION,
        spec=spec,
        source=source,
        n_rows=ct.n_rows,
        n_rows_audited=int(ct.n.sum()),
        n_dropped_missing=ct.n_dropped,
        missing_by_attribute=dict(zip(spec.sensitive_features, ct.missing_counts, strict=True)),
        n_label_missing=label_missing,
        n_prediction_missing=pred_missing,
        total_weight=float(ct.w.sum()) * ct.weight_scale,
        n_effective=float(ct.w.sum() ** 2 / ct.w2.sum()),
        label_values=ct.label_values,
        favorable_values=ct.favorable_values,
        prediction_values=ct.prediction_values,
        dimensions=tuple(dims),
        worst_off=None
        if unfavoured
        else scan_subgroups(
            ct,
            depth=spec.effective_max_depth,
            min_group_size=spec.min_group_size,
            confidence_level=spec.confidence_level,
        ),
        warnings=tuple(found_warnings),
        notes=ct.notes,
        versions=dict(versions),
        created_at=created_at,
    )
