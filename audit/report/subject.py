"""What a report is about, normalised (one audit, or two and what lies between them), and the
numbers as published: suppressed, with what a hidden cell would give away withheld."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from audit.comparison import Comparison
from audit.exceptions import ConfigError
from audit.privacy.dp import Privacy
from audit.privacy.publish import publish, publish_comparison
from audit.privacy.suppression import Suppression, suppress, suppress_pair
from audit.result import AuditResult


@dataclass(frozen=True)
class Subject:
    """What a report is about, normalised: one audit, or two with what lies between them."""

    before: AuditResult
    after: AuditResult | None = None
    comparison: Comparison | None = None
    method: str | None = None
    plan: Any = None
    model_check: Any = None

    @classmethod
    def of(cls, obj: Any) -> Subject:
        if isinstance(obj, AuditResult):
            return cls(obj)
        if isinstance(obj, Comparison):
            return cls(obj.before, obj.after, obj)
        if hasattr(obj, "plan") and hasattr(obj, "comparison"):  # a MitigationResult
            return cls(obj.before, obj.after, obj.comparison, obj.method, obj.plan, obj.model_check)
        raise ConfigError(
            f"A report is made from an AuditResult, a Comparison or a MitigationResult; got "
            f"{type(obj).__name__}."
        )


def private_subject(s: Subject, epsilon: float) -> tuple[Subject, Privacy]:
    """The subject with every audit recomputed from differentially private counts: one audit
    with the whole budget, or two compared audits with half each (basic composition, as the
    same people may be in both). Mitigations are not covered: their weights and resampled
    counts are functions of the exact counts."""
    from audit.privacy.dp import privatize, validate_epsilon

    epsilon = validate_epsilon(epsilon)
    if s.method is not None:
        raise ConfigError(
            "epsilon is not available for mitigation reports: the weights and resampled "
            "counts are computed from the exact counts. Hint: write the report of the audit "
            "before and after separately with epsilon, or use suppression (the default)."
        )
    if s.after is None:
        before, privacy = privatize(s.before, epsilon)
        return Subject(before), privacy
    from audit.comparison import compare

    before, privacy = privatize(s.before, epsilon / 2)
    after, other = privatize(s.after, epsilon / 2)
    both = replace(privacy, epsilon=epsilon, delta=privacy.delta + other.delta)
    return Subject(before, after, compare(before, after)), both


@dataclass(frozen=True)
class Sups:
    """The suppression of each audit a report shows."""

    before: Suppression
    after: Suppression | None = None
    model: Suppression | None = None  # the model check's held-out rows
    after_withheld: bool = False


def _published_model_check(m: Any, k: int) -> tuple[Any, Suppression]:
    sup = suppress(m.before.audit, k)  # both models are scored on the same rows

    def scores(side: Any) -> Any:
        aucs = {
            attr: {name: v for name, v in by.items() if not sup.hidden([attr], [name])}
            for attr, by in side.roc_auc_by_group.items()
        }
        return replace(side, audit=publish(side.audit, sup), roc_auc_by_group=aucs)

    alternatives = {name: scores(side) for name, side in m.alternatives.items()}
    published = replace(
        m, before=scores(m.before), after=scores(m.after), alternatives=alternatives
    )
    return published, sup


def publish_subject(s: Subject, k: int, private: bool = False) -> tuple[Subject, Sups]:
    """The subject as the report may show it, and the suppression behind it (none for a
    subject already drawn with differential privacy)."""
    if private:
        none = Suppression(k, frozenset(), frozenset())
        return s, Sups(none, none if s.after is not None else None)
    if s.after is None:
        sup = suppress(s.before, k)
        return Subject(publish(s.before, sup)), Sups(sup)
    sup_b, sup_a = suppress_pair(s.before, s.after, k)
    model, sup_m = None, None
    if s.model_check is not None:
        model, sup_m = _published_model_check(s.model_check, k)
    before = publish(s.before, sup_b)
    if _size_from_hidden_cell(s, sup_b, k):
        # The resampled size N' follows from a hidden cell: every count after would tell it.
        published = Subject(before, None, None, s.method, s.plan, model)
        return published, Sups(sup_b, None, sup_m, after_withheld=True)
    if s.method == "reweighing":
        derived = _hidden_plan_cells(s, sup_a, k)
        balanced = _balanced(s) if derived else None
    else:
        derived, balanced = _weights_of_unknown_origin(s, sup_b, sup_a), None
    after = publish(s.after, sup_a, derived, balanced)
    comparison = None
    if s.comparison is not None:
        comparison = publish_comparison(s.comparison, before, after, (sup_b, sup_a))
    published = Subject(before, after, comparison, s.method, s.plan, model)
    return published, Sups(sup_b, sup_a, sup_m)


def plan_cells_hidden(plan: Any, result: AuditResult, sup: Suppression, k: int) -> list[Any]:
    """The plan's cells whose group is hidden (all small ones when the plan's intersection
    is not part of the audit)."""
    attrs = list(plan.over)
    if any(set(d.attributes) == set(attrs) for d in result.dimensions):
        return [c for c in plan.cells if sup.hidden(attrs, c.key)]
    return [c for c in plan.cells if 0 < c.n < k]


def _hidden_plan_cells(s: Subject, sup: Suppression, k: int) -> list[dict[str, str]] | None:
    """The hidden cells reweighing weights were computed from, as {attribute: value}."""
    assert s.after is not None
    hidden = plan_cells_hidden(s.plan, s.after, sup, k)
    if not hidden:
        return None
    attrs = list(s.plan.over)
    if not any(set(d.attributes) == set(attrs) for d in s.after.dimensions):
        return [{}]  # not audited: every group may overlap a hidden cell
    return [dict(zip(attrs, c.key, strict=True)) for c in hidden]


def _weights_of_unknown_origin(
    s: Subject, sup_b: Suppression, sup_a: Suppression
) -> list[dict[str, str]] | None:
    """For two audits compared, the second weighted with weights the first does not have:
    every hidden cell, as {attribute: value}. Such weights may have been computed from the
    first's counts (a file written by ``biasaudit mitigate``), hidden ones included, so the
    weighted numbers of every group that overlaps a hidden cell are withheld, as in the
    mitigation's own report."""
    assert s.after is not None
    weight = s.after.spec.sample_weight
    if weight is None or weight == s.before.spec.sample_weight:
        return None
    cells = sup_b.cells() | sup_a.cells()
    return [dict(zip(*cell, strict=True)) for cell in sorted(cells)] or None


def _balanced(s: Subject) -> tuple[tuple[str, ...], float] | None:
    """The attributes reweighing balanced and the overall favourable rate before it (of an
    unweighted audit: favourable rows over labelled rows)."""
    if s.before.spec.sample_weight is not None or not s.before.dimensions:
        return None
    first = s.before.dimensions[0]
    labelled = sum(g.n_labeled for g in first.groups)
    favourable = sum(
        round(g.base_rate.value * g.n_labeled) for g in first.groups if g.base_rate.defined
    )
    if labelled == 0:
        return None
    return tuple(s.plan.over), favourable / labelled


def _size_from_hidden_cell(s: Subject, sup: Suppression, k: int) -> bool:
    """Whether a resampling's new size (oversample: the largest, undersample: the smallest
    n / expected count) is set by a hidden cell."""
    plan = s.plan
    if s.method not in ("uniform", "preferential") or getattr(plan, "size", "keep") == "keep":
        return False
    cells = [c for c in plan.cells if c.n > 0 and c.expected_share > 0]
    if not cells:
        return False
    ratio = lambda c: c.n / c.expected_share  # noqa: E731
    extreme = max(cells, key=ratio) if plan.size == "oversample" else min(cells, key=ratio)
    hidden = plan_cells_hidden(plan, s.before, sup, k)
    return any(c.key == extreme.key for c in hidden)
