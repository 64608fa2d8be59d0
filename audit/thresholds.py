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
    "METRICS",
    "SETTINGS",
    "SUMMARY_METRICS",
    "TOP_KEYS",
    "Judge",
    "Rule",
    "Severity",
    "check_keys",
    "read_rules",
    "read_settings",
]

Severity = Literal["error", "warn"]
Judge = Literal["estimate", "interval"]

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


METRICS = {**GROUP_METRICS, **SUMMARY_METRICS}


SETTINGS = ("severity", "judge")


TOP_KEYS = (
    *METRICS,
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


_BOUND_WORDS = {
    "min": "at least",
    "max": "at most",
    "max_abs": "within ±",
    "min_share": "a share of at least",
    "min_ratio": "a share / expected share of at least",
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
        if self.bound == "max":
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


def read_rules(
    table: Mapping[str, Any], defaults: tuple[Severity, Judge], source: str, where: str
) -> tuple[Rule, ...]:
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
                    f"at least 0 is always met); got {value!r}. Hint: {_example(metric, bound)}."
                )
            if bound == "min_share" and not 0 < value <= 1:
                raise ConfigError(
                    f"{source}: '{name}' is a share and must lie in (0, 1] (a share of at least "
                    f"0 is always met); got {value!r}. Hint: {_example(metric, bound)}."
                )
            if bound in ("max", "max_abs") and (metric, bound) not in _RATIO_BOUNDS and value >= 1:
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
    }.get((metric, bound), "0.1")
    return f"{metric}.{bound} = {value}"
