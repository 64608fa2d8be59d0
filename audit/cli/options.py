"""The options that describe an audit (data, outcome, policy), their defaults taken from
:class:`~audit.spec.AuditSpec`, and the spec built from them. The CLI's ``--sensitive`` is
the Python and JSON ``sensitive_features``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import MISSING, fields
from typing import TYPE_CHECKING, Any, TypeVar

import click

from audit.cli.base import option
from audit.exceptions import ConfigError
from audit.spec import AuditSpec

__all__ = ["build_spec", "health_options", "input_files", "spec_options"]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(AuditSpec) if f.default is not MISSING
}


if TYPE_CHECKING:  # click >= 8.2 makes ParamType generic; 8.1 (still supported) does not
    _ParamType = click.ParamType[int | None]
else:
    _ParamType = click.ParamType


class _Depth(_ParamType):
    """A positive integer or ``all`` (every depth, ``max_depth=None``)."""

    name = "depth"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or isinstance(value, int):
            return value
        if str(value).strip().lower() == "all":
            return None
        try:
            return int(value)
        except ValueError:
            self.fail(f"{value!r} is not a whole number or 'all'.", param, ctx)


_DEPTH = _Depth()


def _pairs(values: Sequence[str], name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise ConfigError(f"{name} takes NAME=VALUE; got {value!r}. Hint: {name} sex=Male")
        out[key] = rest
    return out


def _bins(values: Sequence[str]) -> dict[str, tuple[float, ...]]:
    out: dict[str, tuple[float, ...]] = {}
    for name, edges in _pairs(values, "--bins").items():
        try:
            out[name] = tuple(float(e) for e in edges.split(",") if e.strip())
        except ValueError:
            raise ConfigError(
                f"--bins {name}=... must be numbers separated by commas. Hint: --bins age=25,45"
            ) from None
    return out


def spec_options(func: F) -> F:
    """The options of an :class:`AuditSpec`, in the Data, Outcome and Policy sections."""
    options = [
        option("--sensitive", "-s", "sensitive", section="Data", multiple=True, required=True,
               help="A sensitive column (repeat for several): sensitive_features in Python."),
        option("--bins", section="Data", multiple=True, metavar="COL=E1,E2",
               help="Edges for a numeric sensitive column: age=25,45 gives <25, [25, 45), >=45."),
        option("--categorical", section="Data", multiple=True, metavar="COL",
               help="A numeric sensitive column whose values are codes (no bins needed)."),
        option("--na-values", section="Data", multiple=True, metavar="MARKER",
               help="A marker that means missing in the sensitive, label and prediction columns "
               "(repeat: --na-values '?' --na-values NA). Empty fields are always missing."),
        option("--weight", "-w", section="Data", default=None,
               help="A sample-weight column."),
        option("--allow-high-cardinality", section="Data", is_flag=True,
               help=f"Accept sensitive columns with more than {DEFAULTS['max_categories']} "
               "values."),
        option("--label", "-l", section="Outcome", required=True, help="The outcome column."),
        option("--favorable", "-f", section="Outcome", multiple=True,
               help="Favourable label value (repeat for several), or a threshold on a numeric "
               "label ('>= 0.5'). Optional for 0/1, boolean, multi-class and continuous labels."),
        option("--label-type", section="Outcome", default=None,
               type=click.Choice(["binary", "multiclass", "continuous"]),
               help="The kind of label; inferred when left out (a numeric label with more "
               "than 20 values and no --favorable is continuous, one with more than two "
               "values multi-class)."),
        option("--strata", section="Outcome", default=None, metavar="COL",
               help="A legitimate factor to condition the disparities on (Mantel-Haenszel, "
               "conditional demographic disparity, Simpson's paradox)."),
        option("--prediction", "-p", section="Outcome", default=None,
               help="A binary prediction column."),
        option("--prediction-favorable", section="Outcome", multiple=True,
               help="Favourable prediction value, when coded differently from the label."),
        option("--score", section="Outcome", default=None,
               help="A numeric score column (ranks rows for preferential sampling)."),
        option("--reference", "-r", section="Policy", multiple=True, metavar="COL=GROUP",
               help="Reference group of an attribute (default: the most favoured)."),
        option("--reference-population", section="Policy", type=click.Path(dir_okay=False),
               default=None, help="CSV of expected shares: attribute,group,share."),
        option("--missing", section="Policy", type=click.Choice(["group", "drop", "error"]),
               default=DEFAULTS["missing"], show_default=True,
               help="What to do with missing sensitive values."),
        option("--min-group-size", section="Policy", type=int,
               default=DEFAULTS["min_group_size"], show_default=True,
               help="Smaller groups are flagged and left out of summaries."),
        option("--max-depth", section="Policy", type=_DEPTH, default=DEFAULTS["max_depth"],
               show_default=True, metavar="N|all",
               help="Deepest intersection: 3 audits each attribute, pair and triple; 'all' "
                    "every depth."),
        option("--confidence", section="Policy", type=float,
               default=DEFAULTS["confidence_level"], show_default=True,
               help="Confidence level of every interval."),
    ]  # fmt: skip
    for decorate in reversed(options):
        func = decorate(func)
    return func


def health_options(func: F) -> F:
    """The data-health options of an :class:`AuditSpec`, in the Health section."""
    options = [
        option("--health/--no-health", section="Health", default=False, show_default=True,
               help="Also check the data's health by group: missing values, proxies of the "
               "sensitive attributes and the label, suspect labels. Off by default: it reads "
               "every other column and fits cross-validated models on a sample."),
        option("--features", section="Health", multiple=True, metavar="COL",
               help="A column the health checks examine (repeat; default: every column "
               "without a role)."),
        option("--proxy-sample", section="Health", type=int,
               default=DEFAULTS["proxy_sample"], show_default=True, metavar="ROWS",
               help="Rows of the seeded sample the health models are fitted on."),
        option("--proxy-cramers-v", section="Health", type=float,
               default=DEFAULTS["proxy_cramers_v"], show_default=True, metavar="V",
               help="Cramér's V from which a feature is flagged as a proxy."),
        option("--leakage-auc", section="Health", type=float,
               default=DEFAULTS["leakage_auc"], show_default=True, metavar="AUC",
               help="AUC from which a feature alone predicting the label is flagged "
               "'check for target leakage'."),
    ]  # fmt: skip
    for decorate in reversed(options):
        func = decorate(func)
    return func


def input_files(data: str, **kw: Any) -> list[str | None]:
    """The files a command reads (never written over by its outputs)."""
    return [data, kw.get("reference_population")]


def build_spec(**kw: Any) -> AuditSpec:
    """The spec the options describe."""
    from audit.population import load_reference_population

    population = kw["reference_population"]
    return AuditSpec(
        sensitive_features=tuple(kw["sensitive"]),
        label=kw["label"],
        favorable=tuple(kw["favorable"]) or None,
        prediction=kw["prediction"],
        prediction_favorable=tuple(kw["prediction_favorable"]) or None,
        score=kw["score"],
        sample_weight=kw["weight"],
        bins=_bins(kw["bins"]),
        categorical=tuple(kw["categorical"]),
        na_values=tuple(kw["na_values"]),
        reference=_pairs(kw["reference"], "--reference"),
        reference_population=load_reference_population(population) if population else {},
        missing=kw["missing"],
        min_group_size=kw["min_group_size"],
        max_depth=kw["max_depth"],
        allow_high_cardinality=kw["allow_high_cardinality"],
        confidence_level=kw["confidence"],
        health=kw.get("health", False),
        features=tuple(kw.get("features", ())) or None,
        proxy_sample=kw.get("proxy_sample", DEFAULTS["proxy_sample"]),
        proxy_cramers_v=kw.get("proxy_cramers_v", DEFAULTS["proxy_cramers_v"]),
        leakage_auc=kw.get("leakage_auc", DEFAULTS["leakage_auc"]),
        label_type=kw.get("label_type"),
        strata=kw.get("strata"),
    )
