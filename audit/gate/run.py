"""Running the gate: every declared dataset audited once and judged by the project policy.

One evaluator (:mod:`audit.policy`) for ``biasaudit check`` and the pytest plugin alike; a
dataset that cannot be read, whose loader raises anything, or none of whose checks can be
assessed never passes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from audit._format import fmt_estimate, printable
from audit.exceptions import AuditError
from audit.gate.config import Config, DatasetConfig
from audit.policy import CheckResult, Policy, PolicyOutcome, Rule, evaluate
from audit.result import AuditResult

__all__ = [
    "UNASSESSED",
    "CheckGroup",
    "CheckedAudit",
    "DatasetCheck",
    "check_dataset",
    "describe",
    "exit_code",
    "judged",
    "planned_checks",
    "run_checks",
    "withheld_values",
]


Withheld = frozenset[str]  # ids of checks whose values a published output does not show
PRIVATE = "*"  # in a Withheld: every value and count is withheld (the reports are private)


_NAMES = {
    "missingness.max_ratio": "missing-rate ratio",
    "proxy.max_cramers_v": "Cramér's V",
    "proxy.max_auc": "reconstruction AUC",
    "label_issues.max_ratio": "suspect-label ratio",
    "tvd.max": "total variation distance from the reference's label distribution",
    "mean_difference.max_abs": "mean difference from the reference",
    "ks.max": "Kolmogorov-Smirnov statistic against the reference",
    "cdd.max_abs": "conditional demographic disparity",
    "drift.max_psi": "population stability index of the shares against the baseline",
    "drift.base_rate_change.max_abs": "base-rate change since the baseline",
}


def describe(c: CheckResult, k: int = 10, withheld: Withheld = frozenset()) -> str:
    """``"sex = Female: disparate_impact_ratio 0.358 (0.338–0.379); threshold at least 0.8
    (not met)"``. The value of a group with fewer than ``k`` rows is not shown, nor one the
    HTML report withholds (``withheld``, from :func:`withheld_values`)."""
    where = printable(c.attribute if c.group is None else f"{c.attribute} = {c.group}")
    if c.feature is not None:
        where = f"{where}, feature {printable(c.feature)}"
    pct = c.rule.metric == "representation" and c.rule.bound == "min_share"
    if PRIVATE in withheld:
        value = "withheld (the published reports are differentially private)"
    elif c.rows is not None and 0 < c.rows < k:
        value = f"suppressed (a group of fewer than {k} rows)"
    elif c.id in withheld:
        value = "withheld (it would give a suppressed group's count away)"
    elif c.status == "not assessable" or not c.estimate.defined:
        value = f"{c.status} ({c.reason})" if c.status == "not assessable" else str(c.reason)
    else:
        value = fmt_estimate(c.estimate, 1 if pct else 3, percent=pct)
        if c.estimate.reason:  # a defined value that needs a word: an infinite ratio
            value = f"{value}: {c.estimate.reason}"
    judged = ", judged on the whole interval" if c.rule.judge == "interval" else ""
    name = _NAMES.get(c.rule.key, c.rule.metric)
    bound = c.rule.describe().split(" ", 1)[1]
    return f"{where}: {name} {value}; threshold {bound}{judged} ({c.status})"


@dataclass(frozen=True)
class CheckGroup:
    """One rule on one attribute (or intersection) of one dataset: a test item in pytest and
    a test case in JUnit XML. It fails when a group does not meet an ``error`` rule."""

    dataset: str
    rule: Rule
    attribute: str
    results: tuple[CheckResult, ...]
    k: int = 10  # values of groups with fewer rows are not shown
    fail_unassessed: bool = False  # the dataset has no assessed check: "not assessable" fails
    withheld: Withheld = frozenset()  # checks whose values are not shown (see describe)

    @property
    def id(self) -> str:
        return f"{self.rule.key}[{self.attribute}]"

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.results if c.failed)

    @property
    def status(self) -> str:
        """``"passed"``, ``"failed"`` (an error rule not met), ``"warned"`` or ``"skipped"``
        (nothing could be assessed). When no check of the whole dataset could be assessed,
        a check with nothing assessed is ``"failed"``: the gate fails closed."""
        if self.failures:
            return "failed" if self.rule.severity == "error" else "warned"
        if not self.results or all(c.status == "not assessable" for c in self.results):
            return "failed" if self.fail_unassessed else "skipped"
        return "passed"

    def message(self) -> str:
        lines = [describe(c, self.k, self.withheld) for c in (self.failures or self.results)]
        text = "\n".join(lines) if lines else "no group of this attribute could be judged"
        if self.fail_unassessed and not self.failures:
            text = f"{UNASSESSED}\n{text}"
        return text


def planned_checks(dataset: DatasetConfig, policy: Policy) -> list[tuple[Rule, str]]:
    """The (rule, attribute) pairs a dataset is checked on, known before any data is read."""
    spec = dataset.spec
    names: list[tuple[str, ...]] = [(a,) for a in spec.sensitive_features]
    if policy.intersections:
        for depth in range(2, spec.effective_max_depth + 1):
            names += list(itertools.combinations(spec.sensitive_features, depth))
    out = []
    for attrs in names:
        rules = policy.rules_for(attrs[0]) if len(attrs) == 1 else policy.rules
        out += [(rule, " & ".join(attrs)) for rule in rules]
    return out


def groups_of(
    dataset: str,
    outcome: PolicyOutcome,
    plan: Iterable[tuple[Rule, str]],
    k: int = 10,
    withheld: Withheld = frozenset(),
) -> list[CheckGroup]:
    return [
        CheckGroup(
            dataset,
            rule,
            attribute,
            tuple(c for c in outcome.checks if c.rule == rule and c.attribute == attribute),
            k,
            outcome.unassessed,
            withheld,
        )
        for rule, attribute in plan
    ]


def withheld_values(
    result: AuditResult,
    policy: Policy,
    outcome: PolicyOutcome,
    k: int,
    epsilon: float | None = None,
    drift: Any = None,
) -> Withheld:
    """The checks whose values a published output must not show: those the HTML report
    withholds under the same suppression (a group hidden beside a small one, a comparison
    with a hidden reference group, a summary whose extreme group is hidden, ...). The
    verdicts stay those of the full data. When no suppression can protect the small
    groups, every value is withheld; with ``epsilon`` (differentially private reports),
    every value and row count is (PRIVATE), since each is exact."""
    from audit.privacy.publish import publish
    from audit.privacy.suppression import suppress

    if epsilon is not None:
        return frozenset({PRIVATE, *(c.id for c in outcome.checks)})

    try:
        from audit.privacy.drift import publish_drift

        shown_drift = publish_drift(drift, k) if drift is not None else None
        published = evaluate(publish(result, suppress(result, k)), policy, drift=shown_drift)
    except AuditError:
        return frozenset(c.id for c in outcome.checks)
    shown = {c.id: c for c in published.checks}
    return frozenset(
        c.id
        for c in outcome.checks
        if c.estimate.defined and not (c.id in shown and shown[c.id].estimate.defined)
    )


@dataclass(frozen=True)
class DatasetCheck:
    """A declared dataset audited and judged, or the error that stopped it."""

    name: str
    result: AuditResult | None
    outcome: PolicyOutcome | None
    groups: tuple[CheckGroup, ...]
    error: str | None = None
    notices: tuple[str, ...] = ()  # warnings of the loader (messages withheld) and libraries
    private: bool = False  # the reports are differentially private: no count is published
    drift: Any = None  # the DriftResult the drift rules were judged on (None: none)

    @property
    def unassessed(self) -> bool:
        """No check of this dataset could be judged, and the policy does not allow that."""
        return self.outcome is not None and self.outcome.unassessed

    @property
    def status(self) -> str:
        """``"error"`` (not audited), ``"failed"`` (an error rule not met),
        ``"unassessed"`` (nothing could be judged: a failure too) or ``"passed"``."""
        if self.error is not None:
            return "error"
        if self.unassessed:  # then no check was judged, so none is "not met"
            return "unassessed"
        if any(g.status == "failed" for g in self.groups):
            return "failed"
        return "passed"

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "unassessed")


UNASSESSED_WHY = (
    "a check that must be judged could not be assessed (no check could be, or a data-health, "
    "outcome or drift check could not), so this dataset cannot pass"
)
UNASSESSED = (
    f"{UNASSESSED_WHY}. Hint: fix the reasons below, or set allow_unassessed = true in "
    "[tool.biasaudit.thresholds] to accept this."
)


def check_dataset(
    dataset: DatasetConfig,
    policy: Policy,
    created_at: datetime | str | None = None,
    k: int = 10,
    epsilon: float | None = None,
) -> DatasetCheck:
    """Audit one declared dataset and judge it. Whatever stops the audit (an
    :class:`AuditError`, the loader's own exceptions, an unexpected failure) becomes
    ``error``: the gate fails closed."""
    import os
    import warnings

    from audit.auditor import audit
    from audit.exceptions import AuditWarning, LoaderWarning

    notices: list[str] = []

    def keep(caught: list[warnings.WarningMessage]) -> None:
        # Small groups and the like are in result.warnings; a gate reports, not warns (a
        # project with filterwarnings = error is not broken by them). The loader's warnings
        # (message withheld) and other libraries' are kept to be shown once.
        for w in caught:
            if issubclass(w.category, AuditWarning) and not issubclass(w.category, LoaderWarning):
                continue
            text = f"{w.category.__name__}: {w.message}"
            if text not in notices:
                notices.append(text)

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                spec = dataset.spec
                if policy.needs_health and not spec.health:
                    spec = replace(spec, health=True)  # the policy bounds data health
                data = dataset.load()
                result = audit(data, spec=spec, created_at=created_at)
                drift = _drift(dataset, data) if policy.needs_drift else None
            finally:
                keep(caught)
    except AuditError as exc:
        return DatasetCheck(dataset.name, None, None, (), str(exc), tuple(notices))
    except KeyboardInterrupt:
        raise  # the person running the gate pressed Ctrl-C: stop (a non-zero exit)
    except BaseException as exc:  # SystemExit from the user's objects too: never a pass
        if os.environ.get("BIASAUDIT_DEBUG"):
            raise
        return DatasetCheck(
            dataset.name,
            None,
            None,
            (),
            f"the audit failed unexpectedly ({type(exc).__name__}); if the data is not the "
            "cause, this is a bug in biasaudit. Hint: set BIASAUDIT_DEBUG=1 to see the "
            "traceback; the message is not shown here because it may quote data.",
            tuple(notices),
        )
    checked = judged(dataset, result, policy, k, epsilon, drift)
    return replace(checked, notices=tuple(notices))


def _drift(dataset: DatasetConfig, data: Any) -> Any:
    """The drift result the policy's drift rules are judged on (None: the dataset declares
    no periods, so those rules are not assessable)."""
    from audit.drift_periods import drift

    d = dataset.drift
    if d is None:
        return None
    if d.time is not None:
        return drift(data, time=d.time, freq=d.freq, baseline=d.baseline, spec=dataset.spec)
    for path in d.against:
        if not any(ch in str(path) for ch in "*?[") and not path.exists():
            from audit.exceptions import ConfigError

            raise ConfigError(f"drift.against: file '{path}' does not exist.")
    names = [p.name for p in d.against] + ["current"]
    periods = [str(p) for p in d.against] + [data]
    return drift(periods, names=names, baseline=d.baseline, spec=dataset.spec)


def judged(
    dataset: DatasetConfig,
    result: AuditResult,
    policy: Policy,
    k: int,
    epsilon: float | None = None,
    drift: Any = None,
) -> DatasetCheck:
    """The audit of a declared dataset judged by the policy (its published outputs withhold
    every value when the reports are drawn with ``epsilon``)."""
    outcome = evaluate(result, policy, drift=drift)
    withheld = withheld_values(result, policy, outcome, k, epsilon, drift)
    groups = groups_of(dataset.name, outcome, planned_checks(dataset, policy), k, withheld)
    return DatasetCheck(dataset.name, result, outcome, tuple(groups), private=epsilon is not None,
                        drift=drift)  # fmt: skip


def run_checks(
    config: Config, names: Sequence[str] = (), created_at: datetime | str | None = None
) -> tuple[DatasetCheck, ...]:
    """Audit and judge every declared dataset (or those named)."""
    chosen = [config.dataset(n) for n in names] if names else list(config.datasets)
    k = config.suppress_below
    return tuple(check_dataset(d, config.policy, created_at, k, config.epsilon) for d in chosen)


def exit_code(checks: Sequence[DatasetCheck]) -> int:
    """2 if a dataset could not be audited, 1 if a threshold of severity error is not met
    or a dataset had no check that could be assessed."""
    if any(c.status == "error" for c in checks):
        return 2
    return 1 if any(c.failed for c in checks) else 0


@dataclass(frozen=True)
class CheckedAudit:
    """An audit judged by a policy: the :class:`AuditResult` (its attributes are reachable
    directly) and the :class:`PolicyOutcome`. ``assert_policy()`` raises ``AssertionError``
    listing every check not met."""

    result: AuditResult
    outcome: PolicyOutcome
    k: int = 10
    withheld: Withheld = frozenset()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)

    def assert_policy(self) -> None:
        __tracebackhide__ = True  # pytest shows the message, not this frame
        failures = self.outcome.failures
        if failures:
            lines = "\n".join(f"  - {describe(c, self.k, self.withheld)}" for c in failures)
            raise AssertionError(
                f"biasaudit: {len(failures)} check(s) not met (policy: {self.outcome.source}):"
                f"\n{lines}"
            )
        if self.outcome.unassessed:
            lines = "\n".join(
                f"  - {describe(c, self.k, self.withheld)}" for c in self.outcome.checks
            )
            raise AssertionError(
                f"biasaudit: {UNASSESSED_WHY} (policy: {self.outcome.source}). "
                f"Set allow_unassessed = true to accept this.\n{lines}"
            )
