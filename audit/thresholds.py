"""The thresholds a policy sets: the metrics and bounds it may name, one bound as a Rule, and
the reading of a ``[tool.biasaudit.thresholds]``-shaped table, every key and value checked
once (a typo or a bound that can never fail is a ConfigError naming the key)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from audit._suggest import did_you_mean
from audit.exceptions import ConfigError
from audit.metrics.inference import Estimate

__all__ = [
    "GROUP_METRICS",
    "HEALTH_METRICS",
    "METRICS",
    "OUTCOME_METRICS",
    "SETTINGS",
    "SUMMARY_METRICS",
    "TOP_KEYS",
    "CheckResult",
    "Judge",
    "Rule",
    "Severity",
    "Status",
    "check_keys",
    "judge",
    "read_rules",
    "read_settings",
]

Severity = Literal["error", "warn"]
Judge = Literal["estimate", "interval"]
Status = Literal["met", "not met", "not assessable"]

GROUP_METRICS: Mapping[str, tuple[str, ...]] = {
    "disparate_impact_ratio": ("min", "max"),
    "statistical_parity_difference": ("max_abs",),
    "representation": ("min_share", "min_ratio"),
}


SUMMARY_METRICS: Mapping[str, tuple[str, ...]] = {
    "demographic_parity_difference": ("max",),
    "demographic_parity_ratio": ("min",),
    "equalized_odds_difference": ("max",),
    "equal_opportunity_difference": ("max",),
}


HEALTH_METRICS: Mapping[str, tuple[str, ...]] = {
    "missingness": ("max_ratio",),
    "proxy": ("max_cramers_v", "max_auc"),
    "label_issues": ("max_ratio",),
}
"""Bounds on the data-health checks (an audit with ``health=True``; the gate runs them when
its policy sets one): a group's missing rate or suspect-label share over the reference
group's, and a feature's Cramér's V with a sensitive attribute or its reconstruction AUC
(each feature alone and all together). Cramér's V and the AUC have no interval and are
judged on the value."""


OUTCOME_METRICS: Mapping[str, tuple[str, ...]] = {
    "tvd": ("max",),
    "mean_difference": ("max_abs",),
    "ks": ("max",),
    "cdd": ("max_abs",),
}
"""Bounds on the outcome analyses of other labels and of strata, per group against the
reference group: the total variation distance of a multi-class label's distribution (with
its interval), a continuous label's mean difference (in the label's units, Welch interval)
and Kolmogorov-Smirnov statistic (no interval), and the conditional demographic disparity
within the spec's strata (no interval). A result without the analysis is not assessable."""

DRIFT_METRICS: Mapping[str, tuple[str, ...]] = {
    "drift": ("max_psi",),
    "drift.base_rate_change": ("max_abs",),
}
"""Bounds on the drift of each attribute since the baseline period (a dataset with ``drift =
{time = ...}`` or ``drift = {against = [...]}``): the population stability index of its group
shares in every later period (no interval), and each group's base-rate change (Newcombe
interval). Written ``drift.max_psi`` and ``drift.base_rate_change.max_abs``."""

NO_INTERVAL = {"proxy", "ks", "cdd", "drift"}  # judged on the value: they have no interval

METRICS = {
    **GROUP_METRICS, **SUMMARY_METRICS, **HEALTH_METRICS, **OUTCOME_METRICS, **DRIFT_METRICS
}  # fmt: skip


SETTINGS = ("severity", "judge")


TOP_KEYS = (
    *(m for m in METRICS if "." not in m),
    "min_group_size",
    "intersections",
    "allow_unassessed",
    "by_attribute",
    *SETTINGS,
)


# Bounds on ratios must be positive (a ratio threshold of 0 is always met); bounds on
# differences of rates and on shares lie in [0, 1] (a larger one can never be not met).
_RATIO_BOUNDS = {("disparate_impact_ratio", "min"), ("disparate_impact_ratio", "max")}
_RATIO_BOUNDS |= {("demographic_parity_ratio", "min"), ("representation", "min_ratio")}
_RATIO_BOUNDS |= {("missingness", "max_ratio"), ("label_issues", "max_ratio")}
_UNIT_BOUNDS = {("proxy", "max_cramers_v"), ("proxy", "max_auc")}  # values in [0, 1]


_BOUND_WORDS = {
    "min": "at least",
    "max": "at most",
    "max_abs": "within ±",
    "min_share": "a share of at least",
    "min_ratio": "a share / expected share of at least",
    "max_ratio": "a ratio to the reference group of at most",
    "max_cramers_v": "a Cramér's V of at most",
    "max_auc": "a reconstruction AUC of at most",
    "max_psi": "a population stability index of at most",
}


@dataclass(frozen=True)
class Rule:
    """One bound on one metric: ``disparate_impact_ratio.min = 0.8``."""

    metric: str
    bound: str
    threshold: float
    severity: Severity = "error"
    judge: Judge = "estimate"

    @property
    def key(self) -> str:
        return f"{self.metric}.{self.bound}"

    def describe(self) -> str:
        """``"disparate_impact_ratio at least 0.8"``."""
        space = "" if self.bound == "max_abs" else " "
        return f"{self.metric} {_BOUND_WORDS[self.bound]}{space}{self.threshold:g}"

    def holds(self, estimate: Estimate) -> bool | None:
        """Whether the estimate meets the bound (``None``: not assessable).

        Judging the ``"interval"`` gives the benefit of the doubt: the rule is not met only
        when the whole confidence interval lies outside the threshold.
        """
        if not estimate.defined:
            return None
        lo, hi = estimate.value, estimate.value
        if self.judge == "interval":
            if math.isnan(estimate.ci_low) or math.isnan(estimate.ci_high):
                return None
            lo, hi = estimate.ci_low, estimate.ci_high
        t = self.threshold
        if self.bound in ("min", "min_share", "min_ratio"):
            return hi >= t
        if self.bound != "max_abs":  # max and the max_* bounds of the data-health metrics
            return lo <= t
        # max_abs: some point of [lo, hi] lies within [-t, t]
        return lo <= t and hi >= -t


def check_keys(table: Mapping[str, Any], valid: Iterable[str], source: str, where: str) -> None:
    valid = tuple(valid)
    for key in table:
        if key not in valid:
            raise ConfigError(
                f"{source}: unknown key '{where}.{key}'.{did_you_mean(str(key), valid)} Hint: "
                f"valid keys are {', '.join(valid)}."
            )


def read_settings(
    table: Mapping[str, Any],
    source: str,
    where: str,
    inherited: tuple[Severity, Judge] = ("error", "estimate"),
) -> tuple[Severity, Judge]:
    severity = table.get("severity", inherited[0])
    judge = table.get("judge", inherited[1])
    if severity not in ("error", "warn"):
        raise ConfigError(f"{source}: '{where}.severity' must be 'error' or 'warn'.")
    if judge not in ("estimate", "interval"):
        raise ConfigError(f"{source}: '{where}.judge' must be 'estimate' or 'interval'.")
    return severity, judge


def _nested(table: Mapping[str, Any], source: str, where: str) -> Mapping[str, Any]:
    """``drift.base_rate_change`` is a table inside ``drift`` (TOML nests dotted keys): the
    table with it as a metric of its own."""
    drift = table.get("drift")
    if not isinstance(drift, Mapping) or "base_rate_change" not in drift:
        return table
    check_keys(drift, ("max_psi", "base_rate_change", *SETTINGS), source, f"{where}.drift")
    out = {k: v for k, v in table.items() if k != "drift"}
    own = drift["base_rate_change"]
    inherited = {k: drift[k] for k in SETTINGS if k in drift}  # drift.severity applies to both
    out["drift.base_rate_change"] = {**inherited, **own} if isinstance(own, Mapping) else own
    rest = {k: v for k, v in drift.items() if k != "base_rate_change"}
    if "max_psi" in rest:
        out["drift"] = rest
    return out


def read_rules(
    table: Mapping[str, Any], defaults: tuple[Severity, Judge], source: str, where: str
) -> tuple[Rule, ...]:
    table = _nested(table, source, where)
    out = []
    for metric, valid in METRICS.items():
        if metric not in table:
            continue
        bounds = table[metric]
        if not isinstance(bounds, Mapping):
            raise ConfigError(
                f"{source}: '{where}.{metric}' must be a table such as {metric}.{valid[0]} = ..."
            )
        check_keys(bounds, (*valid, *SETTINGS), source, f"{where}.{metric}")
        if not any(b in bounds for b in valid):
            raise ConfigError(
                f"{source}: '{where}.{metric}' sets no bound, so it checks nothing. Hint: "
                f"{_example(metric, valid[0])}."
            )
        severity, judge = read_settings(bounds, source, f"{where}.{metric}", defaults)
        if metric in NO_INTERVAL:
            if bounds.get("judge") == "interval":
                raise ConfigError(
                    f"{source}: '{where}.{metric}.judge' cannot be 'interval': {metric} has no "
                    "interval (nor do Cramér's V and the reconstruction AUC, for proxy). "
                    "Hint: leave judge out."
                )
            judge = "estimate"
        for bound in valid:
            if bound not in bounds:
                continue
            value = bounds[bound]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(
                    f"{source}: '{where}.{metric}.{bound}' must be a number; got "
                    f"{type(value).__name__}."
                )
            name = f"{where}.{metric}.{bound}"
            try:
                value = float(value)
            except OverflowError:
                value = math.inf
            if not math.isfinite(value) or value < 0:
                raise ConfigError(
                    f"{source}: '{name}' must be finite and >= 0; got {value!r}. Hint: "
                    f"{_example(metric, bound)}."
                )
            if (metric, bound) in _RATIO_BOUNDS and value <= 0:
                raise ConfigError(
                    f"{source}: '{name}' is a ratio threshold and must be above 0 (a ratio of "
                    f"at least 0 is always met, one of at most 0 never); got {value!r}. Hint: "
                    f"{_example(metric, bound)}."
                )
            if bound == "min_share" and not 0 < value <= 1:
                raise ConfigError(
                    f"{source}: '{name}' is a share and must lie in (0, 1] (a share of at least "
                    f"0 is always met); got {value!r}. Hint: {_example(metric, bound)}."
                )
            if (metric, bound) in _UNIT_BOUNDS and not 0 < value < 1:
                raise ConfigError(
                    f"{source}: '{name}' bounds a value in [0, 1] and must lie strictly between "
                    f"0 and 1 (1 is never exceeded, 0 always is); got {value!r}. Hint: "
                    f"{_example(metric, bound)}."
                )
            if (
                bound in ("max", "max_abs")
                and (metric, bound) not in _RATIO_BOUNDS
                and metric != "mean_difference"  # in the label's units
                and value >= 1
            ):
                raise ConfigError(
                    f"{source}: '{name}' bounds a difference of rates, which lies in [-1, 1]; "
                    f"got {value!r}, which can never be exceeded. Hint: a bound below 1, "
                    f"{_example(metric, bound)}."
                )
            out.append(Rule(metric, bound, value, severity, judge))
        low, high = bounds.get("min"), bounds.get("max")
        if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
            raise ConfigError(
                f"{source}: '{where}.{metric}.min' ({low!r}) is above '{where}.{metric}.max' "
                f"({high!r}): no value could meet both. Hint: min = 0.8, max = 1.25."
            )
    return tuple(out)


def _example(metric: str, bound: str) -> str:
    value = {
        ("disparate_impact_ratio", "min"): "0.8",
        ("disparate_impact_ratio", "max"): "1.25",
        ("representation", "min_share"): "0.05",
        ("representation", "min_ratio"): "0.8",
        ("demographic_parity_ratio", "min"): "0.8",
        ("missingness", "max_ratio"): "1.5",
        ("label_issues", "max_ratio"): "1.5",
        ("proxy", "max_cramers_v"): "0.5",
        ("proxy", "max_auc"): "0.8",
        ("mean_difference", "max_abs"): "5",
    }.get((metric, bound), "0.1")
    return f"{metric}.{bound} = {value}"


@dataclass(frozen=True)
class CheckResult:
    """One rule judged on one group (or one attribute for summary metrics)."""

    rule: Rule
    attribute: str
    group: str | None
    estimate: Estimate
    status: Status
    reason: str | None = None
    rows: int | None = None  # rows of the group (None for a whole-attribute check)
    feature: str | None = None  # the feature column of a data-health check

    @property
    def id(self) -> str:
        where = self.attribute if self.group is None else f"{self.attribute}={self.group}"
        if self.feature is not None:
            where = f"{where}; {self.feature}"
        return f"{self.rule.key}[{where}]"

    @property
    def failed(self) -> bool:
        return self.status == "not met"


def judge(
    rule: Rule,
    attribute: str,
    group: str | None,
    estimate: Estimate,
    rows: int | None = None,
    feature: str | None = None,
) -> CheckResult:
    """The rule judged on one value: met, not met, or not assessable with the reason."""
    verdict = rule.holds(estimate)
    if verdict is None:
        reason = estimate.reason or "no confidence interval"
        return CheckResult(
            rule, attribute, group, estimate, "not assessable", reason, rows, feature
        )
    status: Status = "met" if verdict else "not met"
    return CheckResult(rule, attribute, group, estimate, status, None, rows, feature)
