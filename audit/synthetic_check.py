"""validate_synthetic(): is a synthetic dataset faithful to the real one for every group?

Both datasets are audited under one spec (the synthetic one with the real one's reference
groups), then, per attribute:

* **coverage**: every group with at least ``k`` real rows has at least ``k`` synthetic rows,
  for every intersection of attributes too (up to the spec's ``max_depth``);
* **share TVD**: the total variation distance of the group shares, ``0.5 sum |s_g - r_g|``;
* **base-rate difference**: synthetic minus real, Newcombe's interval (independent samples);
* **disparate-impact fidelity**: synthetic minus real disparate impact against the real
  reference group, with the delta-method interval ``z sqrt(DI_s^2 V_s + DI_r^2 V_r)`` from
  the Katz variances ``V`` of the log ratios;
* **train on synthetic, test on real**: the fixed model (logistic regression on the feature
  columns, or the given classifier) trained on the synthetic rows and trained on 70% of the
  real rows, both scored on the other 30%; per group the accuracy drop ``TRTR - TSTR``.

The other checks judge the intersections too with ``intersections=True``. A policy bounds
each (defaults in :data:`DEFAULT_POLICY`); the differences are judged on
their interval (a group fails only when the whole interval lies outside the bound), so noise
in a small group is not called a distortion. The verdict names the groups that fail.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from audit._serde import build_tagged, read_json, to_jsonable
from audit.auditor import audit
from audit.comparison import compare
from audit.exceptions import AuditWarning, ConfigError
from audit.metrics.inference import Estimate, TestResult, z_value
from audit.missingness import resolve_spec
from audit.result import SCHEMA_VERSION, AuditResult
from audit.spec import MISSING_LABEL, AuditSpec

__all__ = ["DEFAULT_POLICY", "FidelityGroup", "SyntheticValidation", "validate_synthetic"]

DEFAULT_POLICY: Mapping[str, float] = {
    "share_tvd.max": 0.05,
    "base_rate_difference.max_abs": 0.05,
    "disparate_impact_difference.max_abs": 0.1,
    "tstr_accuracy_drop.max": 0.05,
}
"""The bounds a faithful synthetic dataset meets (with coverage: no group of at least ``k``
real rows below ``k`` synthetic rows)."""


@dataclass(frozen=True)
class FidelityGroup:
    """One group: its rows in each dataset, its differences (synthetic minus real), the
    fixed model's accuracy on its real held-out rows, and the checks it fails."""

    name: str
    real_n: int
    synthetic_n: int
    share_difference: Estimate
    base_rate_difference: Estimate
    disparate_impact_difference: Estimate
    accuracy_real: float  # trained on real rows (TRTR)
    accuracy_synthetic: float  # trained on synthetic rows (TSTR)
    failed: tuple[str, ...]


@dataclass(frozen=True)
class FidelityDimension:
    """An attribute (or intersection): the share TVD, the composition test and its groups."""

    _serde_columns: ClassVar[tuple[str, ...]] = ("groups",)

    name: str
    reference: str | None
    share_tvd: float
    composition_test: TestResult
    failed: tuple[str, ...]
    groups: tuple[FidelityGroup, ...]


@dataclass(frozen=True)
class SyntheticValidation:
    """The real and synthetic audits, the fidelity of every group and the verdict."""

    schema_version: str
    real: AuditResult
    synthetic: AuditResult
    k: int
    policy: Mapping[str, float]
    dimensions: tuple[FidelityDimension, ...]
    faithful: bool
    verdict: str
    model: str | None = None
    notes: tuple[str, ...] = field(default=())

    def dimension(self, name: str) -> FidelityDimension:
        for d in self.dimensions:
            if d.name == name:
                return d
        raise KeyError(f"No dimension {name!r}; there are {[d.name for d in self.dimensions]}.")

    def to_dict(self) -> dict[str, Any]:
        out = to_jsonable(self)
        out["real"] = self.real.to_dict()
        out["synthetic"] = self.synthetic.to_dict()
        return {"kind": "synthetic_validation", **out}

    def to_json(
        self, path: str | Path | None = None, *, indent: int | None = 2, overwrite: bool = False
    ) -> str:
        from audit._io import dump_json

        inputs = (self.real.source.path, self.synthetic.source.path)
        return dump_json(self.to_dict(), path, indent, overwrite=overwrite, inputs=inputs)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SyntheticValidation:
        result: SyntheticValidation = build_tagged(
            cls, data, SCHEMA_VERSION, "synthetic-data validation",
            "SyntheticValidation.to_json() or 'biasaudit validate-synthetic --json'",
        )  # fmt: skip
        return result

    @classmethod
    def from_json(cls, source: str | Path) -> SyntheticValidation:
        return cls.from_dict(read_json(source, "synthetic-data validation"))


def _policy(policy: Mapping[str, float] | None) -> dict[str, float]:
    out = dict(DEFAULT_POLICY)
    for key, value in (policy or {}).items():
        if key not in DEFAULT_POLICY:
            from audit._suggest import did_you_mean

            raise ConfigError(
                f"Unknown synthetic-data policy key '{key}'.{did_you_mean(key, DEFAULT_POLICY)} "
                f"Hint: the keys are {', '.join(DEFAULT_POLICY)}."
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ConfigError(f"Policy '{key}' must be a number above 0; got {value!r}.")
        out[key] = float(value)
    return out


def _di_difference(synthetic: Any, real: Any, z: float) -> Estimate:
    """Synthetic minus real disparate impact, delta-method interval (see the module)."""
    a, b = synthetic.disparate_impact_ratio, real.disparate_impact_ratio
    rows = a.n + b.n
    if not (a.defined and b.defined) or any(map(math.isnan, (a.ci_low, b.ci_low))):
        return Estimate.undefined(rows, a.reason or b.reason or "a ratio has no interval")
    if a.ci_low <= 0 or b.ci_low <= 0:
        return Estimate.undefined(rows, "a ratio's interval reaches 0")
    variances = [((math.log(e.ci_high) - math.log(e.ci_low)) / (2 * z)) ** 2 for e in (a, b)]
    se = math.sqrt(a.value**2 * variances[0] + b.value**2 * variances[1])
    diff = a.value - b.value
    return Estimate(diff, diff - z * se, diff + z * se, rows)


def _audit(data: Any, spec: AuditSpec, which: str) -> AuditResult:
    """The audit of one side; an error names the side it comes from."""
    from audit.exceptions import AuditError

    try:
        return audit(data, spec=spec)
    except AuditError as exc:
        raise type(exc)(f"The {which} data: {exc}") from None


def _outside(e: Estimate, bound: float) -> bool:
    """The whole interval lies outside [-bound, bound]."""
    return e.defined and not math.isnan(e.ci_low) and (e.ci_low > bound or e.ci_high < -bound)


def validate_synthetic(
    real: Any,
    synthetic: Any,
    *,
    spec: AuditSpec | None = None,
    k: int = 10,
    policy: Mapping[str, float] | None = None,
    model_check: bool | Any = True,
    intersections: bool = False,
    random_state: int = 0,
    **spec_options: Any,
) -> SyntheticValidation:
    """Check that ``synthetic`` is faithful to ``real`` for every group (see the module).

    Examples
    --------
    >>> import pandas as pd
    >>> real = pd.DataFrame({"g": ["a", "b"] * 60, "y": [1, 0, 0, 1] * 30, "x": range(120)})
    >>> v = validate_synthetic(real, real, sensitive_features="g", label="y", model_check=False)
    >>> v.faithful
    True
    """
    spec = resolve_spec(spec, spec_options)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConfigError(f"k must be a positive integer; got {k!r}.")
    bounds = _policy(policy)
    z = z_value(spec.confidence_level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)  # small groups: the checks say it
        r = _audit(real, spec, "real")
        references = {d.name: d.reference[0] for d in r.dimensions
                      if len(d.attributes) == 1 and d.reference}  # fmt: skip
        absent = False
        try:
            s = _audit(synthetic, replace(r.spec, reference=references), "synthetic")
        except ConfigError as exc:
            if "reference group given" not in str(exc):
                raise
            absent = True  # a real reference group has no synthetic rows: coverage says so
            s = _audit(synthetic, r.spec, "synthetic")
    accuracy: dict[tuple[str, str], tuple[float, float]] = {}
    model = None
    if model_check is not False and model_check is not None:
        from audit.synthetic_model import tstr_accuracy

        accuracy, model = tstr_accuracy(real, synthetic, r.spec, model_check, random_state)
    cmp = compare(r, s)
    dims = []
    for d in cmp.dimensions:
        whole = len(d.attributes) == 1 or intersections  # else coverage only
        real_dim, synth_dim = r.dimension(*d.attributes), s.dimension(*d.attributes)
        groups = []
        for g in d.groups:
            rg = next((x for x in real_dim.groups if x.name == g.name), None)
            sg = next((x for x in synth_dim.groups if x.name == g.name), None)
            real_n, synth_n = (rg.n if rg else 0), (sg.n if sg else 0)
            di = (
                _di_difference(sg, rg, z)
                if rg is not None and sg is not None and not rg.is_reference and not absent
                else Estimate.undefined(
                    real_n + synth_n,
                    "the real reference group has no synthetic rows" if absent
                    else "the reference group, or absent",
                )
            )  # fmt: skip
            trtr, tstr = accuracy.get((d.name, g.name), (math.nan, math.nan))
            failed = []
            if MISSING_LABEL not in g.name.split(" & "):
                if real_n >= k and synth_n < k:
                    failed.append("coverage")
                brd = g.base_rate_difference
                if whole and _outside(brd, bounds["base_rate_difference.max_abs"]):
                    failed.append("base_rate_difference")
                if whole and _outside(di, bounds["disparate_impact_difference.max_abs"]):
                    failed.append("disparate_impact_difference")
                if whole and real_n >= k and trtr - tstr > bounds["tstr_accuracy_drop.max"]:
                    failed.append("tstr_accuracy_drop")
            groups.append(
                FidelityGroup(g.name, real_n, synth_n, g.share_difference,
                              g.base_rate_difference, di, trtr, tstr, tuple(failed))
            )  # fmt: skip
        tvd = 0.5 * sum(abs(g.share_difference.value) for g in d.groups
                        if g.share_difference.defined)  # fmt: skip
        failed_dim = ("share_tvd",) if whole and tvd > bounds["share_tvd.max"] else ()
        reference = " & ".join(real_dim.reference) if real_dim.reference else None
        dims.append(FidelityDimension(d.name, reference, tvd, d.representation_shift,
                                      failed_dim, tuple(groups)))  # fmt: skip
    failing = [f"{d.name} (share TVD {d.share_tvd:.3f})" for d in dims if d.failed]
    failing += [
        f"{d.name} = {g.name} ({', '.join(g.failed)})" for d in dims for g in d.groups if g.failed
    ]
    rules = ", ".join(f"{key} {value:g}" for key, value in bounds.items())
    policy_text = f"coverage k = {k}, {rules}"
    verdict = (
        f"Faithful for every group under the policy ({policy_text})."
        if not failing
        else f"Not faithful under the policy ({policy_text}): {'; '.join(failing)}."
    )
    notes = () if model is not None else ("No model check (model_check=False).",)
    return SyntheticValidation(SCHEMA_VERSION, r, s, k, bounds, tuple(dims), not failing,
                               verdict, model, notes)  # fmt: skip
