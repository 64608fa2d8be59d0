"""Thresholds judged against an audit: one evaluator for the report, the CLI and the plugin.

A :class:`Policy` is read from the ``[tool.biasaudit.thresholds]`` shape (a mapping, as
``tomllib`` returns it); :func:`evaluate` turns a policy and an :class:`AuditResult` into a
:class:`PolicyOutcome`, a list of checks that are each "threshold met", "threshold not met" or
"not assessable" (with the reason). Pure: no I/O, no dataframes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from audit._suggest import did_you_mean, keywords
from audit.exceptions import ConfigError
from audit.metrics.inference import Estimate
from audit.policy_drift import drift_checks
from audit.policy_health import health_checks
from audit.policy_outcomes import outcome_checks
from audit.result import AuditResult, DimensionResult
from audit.spec import MISSING_LABEL
from audit.thresholds import (
    DRIFT_METRICS,
    HEALTH_METRICS,
    METRICS,
    OUTCOME_METRICS,
    SETTINGS,
    SUMMARY_METRICS,
    TOP_KEYS,
    CheckResult,
    Rule,
    check_keys,
    judge,
    read_rules,
    read_settings,
)

__all__ = [
    "DEFAULT_POLICY",
    "CheckResult",
    "Policy",
    "PolicyOutcome",
    "Rule",
    "evaluate",
]


# metric -> the bounds it takes. Group metrics are judged per group (against the reference
# group, or as a share); summary metrics once per attribute.


@dataclass(frozen=True)
class Policy:
    """Thresholds, per-attribute overrides and the group size below which nothing is judged.

    Build one with :meth:`from_mapping` from the ``[tool.biasaudit.thresholds]`` table.
    ``source`` says where the thresholds came from; it is printed with every verdict.

    Examples
    --------
    >>> p = Policy.from_mapping({"disparate_impact_ratio": {"min": 0.8}}, source="example")
    >>> [r.describe() for r in p.rules]
    ['disparate_impact_ratio at least 0.8']
    """

    rules: tuple[Rule, ...]
    by_attribute: Mapping[str, tuple[Rule, ...]] = field(default_factory=dict)
    min_group_size: int | None = None
    intersections: bool = False
    source: str = "given in code"
    allow_unassessed: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_attribute", MappingProxyType(dict(self.by_attribute)))

    def rules_for(self, attribute: str) -> tuple[Rule, ...]:
        """The rules for one attribute: an override replaces the default with the same metric
        and bound (``by_attribute.race.disparate_impact_ratio.max`` leaves the default
        ``.min`` in force), so an override can never drop a bound silently."""
        own = self.by_attribute.get(attribute, ())
        replaced = {(r.metric, r.bound) for r in own}
        return tuple(r for r in self.rules if (r.metric, r.bound) not in replaced) + own

    @property
    def needs_drift(self) -> bool:
        """Whether a rule bounds drift (the gate then computes the dataset's drift)."""
        rules = [*self.rules, *(r for own in self.by_attribute.values() for r in own)]
        return any(r.metric in DRIFT_METRICS for r in rules)

    @property
    def needs_health(self) -> bool:
        """Whether a rule bounds a data-health check (the gate then audits with health)."""
        rules = [*self.rules, *(r for own in self.by_attribute.values() for r in own)]
        return any(r.metric in HEALTH_METRICS for r in rules)

    def band(self, attribute: str | None = None) -> tuple[float, float] | None:
        """The accepted range of the disparate impact ratio (for charts): ``[min, max]``, where
        a missing ``max`` mirrors ``min`` on the log scale (0.8 -> 0.8 to 1.25)."""
        rules = self.rules_for(attribute) if attribute else self.rules
        di = {r.bound: r.threshold for r in rules if r.metric == "disparate_impact_ratio"}
        if not di:
            return None
        low = di.get("min", 1 / di["max"] if di.get("max", 0) > 0 else 0.0)
        high = di.get("max", 1 / low if low > 0 else math.inf)
        return (low, high)

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any], *, source: str) -> Policy:
        """Read the thresholds table; unknown keys and wrong types raise ``ConfigError``
        naming ``source``, the key and the closest valid key."""
        if not isinstance(table, Mapping):
            raise ConfigError(
                f"{source}: 'thresholds' must be a table of bounds; got {type(table).__name__}. "
                "Hint: {'disparate_impact_ratio': {'min': 0.8}}."
            )
        check_keys(table, TOP_KEYS, source, "thresholds")
        defaults = read_settings(table, source, "thresholds")
        rules = read_rules(table, defaults, source, "thresholds")
        by_attribute: dict[str, tuple[Rule, ...]] = {}
        overrides = table.get("by_attribute", {})
        if not isinstance(overrides, Mapping):
            raise ConfigError(f"{source}: 'thresholds.by_attribute' must be a table.")
        for attribute, sub in overrides.items():
            where = f"thresholds.by_attribute.{attribute}"
            if not isinstance(sub, Mapping):
                raise ConfigError(f"{source}: '{where}' must be a table of thresholds.")
            check_keys(sub, (*METRICS, *SETTINGS), source, where)
            by_attribute[str(attribute)] = read_rules(
                sub, read_settings(sub, source, where, defaults), source, where
            )
            if not by_attribute[str(attribute)]:
                raise ConfigError(
                    f"{source}: '{where}' sets no bound, so it changes nothing. Hint: give one, "
                    "e.g. disparate_impact_ratio.min = 0.9, or remove the table."
                )
        size = table.get("min_group_size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise ConfigError(
                f"{source}: 'thresholds.min_group_size' must be a positive integer; got {size!r}."
            )
        flags = []
        for key in ("intersections", "allow_unassessed"):
            value = table.get(key, False)
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: 'thresholds.{key}' must be true or false.")
            flags.append(value)
        if not rules and not any(by_attribute.values()):
            raise ConfigError(
                f"{source}: no thresholds defined: the 'thresholds' table sets no metric bound, "
                "so nothing would be checked. Hint: add one, e.g. "
                "disparate_impact_ratio.min = 0.8, or remove the table to use the default "
                "policy (the four-fifths rule, as a warning)."
            )
        return cls(rules, by_attribute, size, flags[0], source, flags[1])

    def check_attributes(self, attributes: Iterable[str], source: str) -> None:
        """Raise ``ConfigError`` when ``by_attribute`` names an attribute not in
        ``attributes`` (its overrides would silently apply to nothing)."""
        known = sorted(set(attributes))
        for name in self.by_attribute:
            if name not in known:
                raise ConfigError(
                    f"{source}: unknown key 'thresholds.by_attribute.{name}': no dataset has a "
                    f"sensitive attribute '{name}', so its thresholds would apply to nothing."
                    f"{did_you_mean(name, known)} Hint: sensitive attributes are "
                    f"{', '.join(repr(a) for a in known) or 'none'}."
                )


#: Used when no policy is given: the four-fifths rule of the US Uniform Guidelines on
#: Employee Selection Procedures, applied to the favourable-label rate, reported as a warning.
DEFAULT_POLICY = Policy(
    rules=(Rule("disparate_impact_ratio", "min", 0.8, "warn", "estimate"),),
    source="default: the four-fifths rule (US Uniform Guidelines, 29 CFR 1607.4(D)); "
    "no policy was given",
)


@dataclass(frozen=True)
class PolicyOutcome:
    """Every check of a policy on one audit. ``passed`` is False when a check of severity
    ``error`` is not met, or when no check could be assessed at all (unless the policy sets
    ``allow_unassessed``): the gate fails closed. Unmet ``warn`` checks are reported but do
    not fail."""

    source: str
    checks: tuple[CheckResult, ...]
    allow_unassessed: bool = False

    @property
    def assessed(self) -> tuple[CheckResult, ...]:
        """The checks that were judged (met or not met)."""
        return tuple(c for c in self.checks if c.status != "not assessable")

    @property
    def unassessed(self) -> bool:
        """True when the policy does not allow it and nothing that could fail was judged: no
        check at all, or (when the policy has rules of severity ``error``) none of those; or
        when a data-health check of severity ``error`` could not be judged (the audit ran
        without health, a part could not run, a feature was left out)."""
        if self.allow_unassessed:
            return False
        if any(
            c.rule.metric in (*HEALTH_METRICS, *OUTCOME_METRICS, *DRIFT_METRICS)
            and c.rule.severity == "error"
            and c.status == "not assessable"
            for c in self.checks
        ):
            return True  # a data-health or outcome check that could not be judged: never a pass
        if any(c.rule.severity == "error" for c in self.checks):
            return not any(c.rule.severity == "error" for c in self.assessed)
        return not self.assessed

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.failed and c.rule.severity == "error")

    @property
    def warnings(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.failed and c.rule.severity == "warn")

    @property
    def passed(self) -> bool:
        return not self.failures and not self.unassessed

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


def _dimension_checks(d: DimensionResult, rules: tuple[Rule, ...], min_size: int) -> list[Any]:
    out: list[CheckResult] = []
    for rule in rules:
        if rule.metric in HEALTH_METRICS or rule.metric in OUTCOME_METRICS:
            continue
        if rule.metric in DRIFT_METRICS:
            continue  # judged on the drift result (policy_drift.py)
        if rule.metric in SUMMARY_METRICS:
            source: Any = d if rule.metric.startswith("demographic_parity") else d.classification
            if source is None:
                est = Estimate.undefined(0, "no prediction column in the audited data")
            else:
                est = getattr(source, rule.metric)
            out.append(judge(rule, d.name, None, est))
            continue
        judged = len(out)
        for g in d.groups:
            if MISSING_LABEL in g.key or g.n == 0:
                continue  # the missing-value group is not a population group
            if rule.metric == "representation":
                chosen = g.share if rule.bound == "min_share" else g.representation_ratio
                if chosen is None:
                    chosen = Estimate.undefined(g.n, "no reference population for this attribute")
                out.append(judge(rule, d.name, g.name, chosen, g.n))
                continue
            if g.is_reference or g.n_labeled < min_size:
                continue
            out.append(judge(rule, d.name, g.name, getattr(g, rule.metric), g.n))
        if len(out) == judged:  # no group could be judged: say why, once for the attribute
            others = [g for g in d.groups if not g.is_reference and g.n > 0]
            others = [g for g in others if MISSING_LABEL not in g.key]
            if not others:
                reason = "no group other than the reference group has rows"
            else:
                reason = (
                    f"every group other than the reference has fewer than min_group_size="
                    f"{min_size} labelled rows"
                )
            out.append(judge(rule, d.name, None, Estimate.undefined(0, reason)))
    return out


@keywords
def evaluate(
    result: AuditResult, policy: Policy = DEFAULT_POLICY, *, drift: Any = None
) -> PolicyOutcome:
    """Judge every rule of ``policy`` on ``result`` (and its drift rules on ``drift``, the
    :class:`~audit.drift_result.DriftResult` of the same data, or why there is none).

    Disparities are judged for every group with at least ``min_group_size`` labelled rows
    (the policy's, else the audit's) other than the reference group and the missing-value
    group; representation for every group with rows; summary metrics once per attribute.
    Intersections are judged only when the policy sets ``intersections = true``.

    Examples
    --------
    >>> from audit import audit
    >>> import pandas as pd
    >>> y = [1] * 10 + [0] * 30 + [1] * 20 + [0] * 20  # rates 1/4 and 1/2: ratio 1/2
    >>> df = pd.DataFrame({"sex": ["F"] * 40 + ["M"] * 40, "y": y})
    >>> out = evaluate(audit(df, sensitive_features="sex", label="y"))
    >>> [(c.id, c.status) for c in out.checks]
    [('disparate_impact_ratio.min[sex=F]', 'not met')]
    """
    if isinstance(policy, Mapping):
        policy = Policy.from_mapping(policy, source="given in code")
    if not isinstance(policy, Policy):
        raise ConfigError(
            f"policy must be a Policy or a mapping of thresholds; got {type(policy).__name__}. "
            "Hint: Policy.from_mapping({'disparate_impact_ratio': {'min': 0.8}}, source='...')."
        )
    if not isinstance(result, AuditResult):
        raise ConfigError(f"evaluate() judges an AuditResult; got {type(result).__name__}.")
    min_size = policy.min_group_size or result.spec.min_group_size
    checks: list[CheckResult] = []
    for d in result.dimensions:
        if len(d.attributes) > 1 and not policy.intersections:
            continue
        rules = policy.rules_for(d.attributes[0]) if len(d.attributes) == 1 else policy.rules
        checks.extend(_dimension_checks(d, rules, min_size))
        health = tuple(r for r in rules if r.metric in HEALTH_METRICS)
        level = result.spec.confidence_level
        checks.extend(health_checks(d.attributes, result.health, health, min_size, level))
        outcome = tuple(r for r in rules if r.metric in OUTCOME_METRICS)
        sizes = {g.name: g.n for g in d.groups}
        checks.extend(outcome_checks(d.name, result.outcomes, outcome, min_size, sizes))
    for attribute in result.spec.sensitive_features:
        own = tuple(r for r in policy.rules_for(attribute) if r.metric in DRIFT_METRICS)
        checks.extend(drift_checks(drift, own, (attribute,), min_size))
    if policy.intersections:
        own = tuple(r for r in policy.rules if r.metric in DRIFT_METRICS)
        checks.extend(drift_checks(drift, own, (), min_size, intersections=True))
    return PolicyOutcome(policy.source, tuple(checks), policy.allow_unassessed)
