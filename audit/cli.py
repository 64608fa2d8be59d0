"""The ``biasaudit`` command: ``audit``, ``mitigate``, ``compare``, ``report`` and ``demo``.

Exit codes: 0 ok, 1 thresholds not met, 2 usage, configuration or data error
("Error: ..." on stderr, no traceback).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from audit._format import printable
from audit.exceptions import AuditError, AuditWarning, ConfigError

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


class _Group(click.Group):
    """Turns AuditError into 'Error: ...' and exit code 2, and warnings into stderr lines."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        argv = list(args)  # kept for the "reproduce" line of reports
        ctx = super().make_context(info_name, args, parent, **extra)
        ctx.meta["biasaudit.argv"] = argv
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        # Warnings are recorded while the command runs and shown once after the recorder is
        # gone (showing them inside it would record them again, without end).
        recorded: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", AuditWarning)
                try:
                    return super().invoke(ctx)
                except AuditError as exc:
                    click.echo(f"Error: {printable(str(exc), keep_newlines=True)}", err=True)
                    ctx.exit(2)
                finally:
                    recorded = list(caught)
        finally:
            _show_warnings(recorded)


def _show_warnings(caught: Sequence[warnings.WarningMessage]) -> None:
    """Each distinct warning once on stderr; the audit's own are in its printed summary."""
    seen: set[tuple[type[Warning], str]] = set()
    for w in caught:
        key = (w.category, str(w.message))
        if issubclass(w.category, AuditWarning) or key in seen:
            continue
        seen.add(key)
        text = printable(f"{w.category.__name__}: {w.message}", keep_newlines=True)
        click.echo(f"warning: {text}", err=True)


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise ConfigError(f"{option} takes NAME=VALUE; got {value!r}. Hint: {option} sex=Male")
        out[name] = rest
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


def _spec_options(func: F) -> F:
    options = [
        click.option(
            "--sensitive",
            "-s",
            "sensitive",
            multiple=True,
            required=True,
            help="A sensitive column (repeat for several).",
        ),
        click.option("--label", "-l", required=True, help="The outcome column."),
        click.option(
            "--favorable",
            "-f",
            multiple=True,
            help="Favourable label value (repeat for several). Optional for 0/1 or boolean labels.",
        ),
        click.option("--prediction", "-p", default=None, help="A binary prediction column."),
        click.option(
            "--prediction-favorable",
            multiple=True,
            help="Favourable prediction value, when coded differently from the label.",
        ),
        click.option(
            "--score",
            default=None,
            help="A numeric score column (ranks rows for preferential sampling).",
        ),
        click.option("--weight", "-w", default=None, help="A sample-weight column."),
        click.option(
            "--bins",
            multiple=True,
            metavar="COL=E1,E2",
            help="Edges for a numeric sensitive column: age=25,45 gives <25, [25, 45), >=45.",
        ),
        click.option(
            "--categorical",
            multiple=True,
            metavar="COL",
            help="A numeric sensitive column whose values are codes (no bins needed).",
        ),
        click.option(
            "--na-values",
            multiple=True,
            metavar="MARKER",
            help="A marker that means missing in the sensitive, label and prediction columns "
            "(repeat: --na-values '?' --na-values NA). Empty fields are always missing.",
        ),
        click.option(
            "--reference",
            "-r",
            multiple=True,
            metavar="COL=GROUP",
            help="Reference group of an attribute (default: the most favoured).",
        ),
        click.option(
            "--reference-population",
            type=click.Path(dir_okay=False),
            default=None,
            help="CSV of expected shares: attribute,group,share.",
        ),
        click.option(
            "--missing",
            type=click.Choice(["group", "drop", "error"]),
            default="group",
            show_default=True,
            help="What to do with missing sensitive values.",
        ),
        click.option(
            "--min-group-size",
            type=int,
            default=30,
            show_default=True,
            help="Smaller groups are flagged and left out of summaries.",
        ),
        click.option(
            "--max-depth", type=int, default=None, help="Deepest intersection (default: all)."
        ),
        click.option(
            "--allow-high-cardinality",
            is_flag=True,
            help="Accept sensitive columns with more than 1000 values.",
        ),
        click.option(
            "--confidence",
            type=float,
            default=0.95,
            show_default=True,
            help="Confidence level of every interval.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _inputs(data: str, **kw: Any) -> list[str | None]:
    """The files a command reads (never written over by its outputs)."""
    return [data, kw.get("reference_population")]


def _build_spec(**kw: Any) -> Any:
    from audit.spec import AuditSpec, load_reference_population

    population = (
        load_reference_population(kw["reference_population"]) if kw["reference_population"] else {}
    )
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
        reference_population=population,
        missing=kw["missing"],
        min_group_size=kw["min_group_size"],
        max_depth=kw["max_depth"],
        allow_high_cardinality=kw["allow_high_cardinality"],
        confidence_level=kw["confidence"],
    )


def _command_line() -> str:
    """The command as typed, for the report's "reproduce" line."""
    import shlex

    argv = click.get_current_context().find_root().meta.get("biasaudit.argv", [])
    return shlex.join(["biasaudit", *argv])


_STDOUT_OPTIONS = ("json", "markdown", "junit_xml")


def _check_outputs(
    overwrite: bool, inputs: Sequence[str | None], **outputs: str | Path | None
) -> None:
    """Every output of a command checked before its work starts (one rule for every writer:
    never a folder, never one of the inputs, an existing file only with --overwrite, the
    folder created and writable); two options naming the same file are refused."""
    from audit._io import check_output

    seen: dict[str, str] = {}
    for option, path in outputs.items():
        name = option if " " in option else "--" + option.replace("_", "-")
        if path is not None and str(path) == "-":
            if option in _STDOUT_OPTIONS:
                continue
            raise ConfigError(f"{name} writes a file; '-' (standard output) is not supported.")
        if path is None:
            continue
        key = os.path.abspath(path)
        if key in seen:
            raise ConfigError(f"{seen[key]} and {name} both name '{path}'. Hint: give two paths.")
        seen[key] = name
        check_output(path, overwrite=overwrite, inputs=inputs, what=f"{name} file")


def _emit(
    result: Any,
    json_out: str | None,
    quiet: bool,
    show: Callable[[Console], None],
    html: tuple[str | None, int] = (None, 10),
    title: str | None = None,
    overwrite: bool = False,
) -> None:
    """JSON to stdout (``--json -``), or the terminal view, then the JSON file and the HTML
    report if asked for."""
    html_out, k = html
    if json_out == "-":
        click.echo(result.to_json())
    elif not quiet:
        show(Console(soft_wrap=False))
    if json_out and json_out != "-":
        result.to_json(Path(json_out), overwrite=overwrite)
        if not quiet:
            click.echo(f"\nWrote {json_out}")
    if html_out:
        path = result.to_html(
            html_out, k=k, title=title, command=_command_line(), overwrite=overwrite
        )
        if not quiet and json_out != "-":
            click.echo(f"Wrote {path}")


def _json_option(what: str) -> Callable[[F], F]:
    return click.option(
        "--json",
        "json_out",
        metavar="OUT",
        default=None,
        help=f"Write {what} as JSON to OUT ('-' for standard output).",
    )


_overwrite_option = click.option(
    "--overwrite",
    is_flag=True,
    help="Replace output files that exist (never one of the command's own inputs).",
)
_quiet_option = click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")


def _html_options(func: F) -> F:
    func = click.option(
        "--suppress-below",
        "k",
        type=click.IntRange(min=1),
        default=10,
        show_default=True,
        help="In the HTML report, suppress groups with fewer rows than this.",
    )(func)
    return click.option(
        "--html",
        "html_out",
        metavar="PATH",
        default=None,
        help="Also write the HTML report to PATH (e.g. reports/audit.html).",
    )(func)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="biasaudit", prog_name="biasaudit")
def cli() -> None:
    """Audit datasets for fairness and bias before a model is trained."""


@cli.command("audit")
@click.argument("data", type=str)
@_spec_options
@_json_option("the result")
@_html_options
@_overwrite_option
@_quiet_option
def audit_command(
    data: str,
    json_out: str | None,
    html_out: str | None,
    k: int,
    overwrite: bool,
    quiet: bool,
    **kw: Any,
) -> None:
    """Audit DATA (a CSV or Parquet file, a glob, or a directory of Parquet files).

    \b
    Example:
      biasaudit audit adult.csv -s sex -s race -l income -f '>50K' --json out.json
    """
    from audit._terminal import render
    from audit.auditor import audit

    _check_outputs(overwrite, _inputs(data, **kw), json=json_out, html=html_out)
    spec = _build_spec(**kw)
    result = audit(data, spec=spec)
    _emit(
        result,
        json_out,
        quiet,
        lambda console: render(result, console),
        (html_out, k),
        overwrite=overwrite,
    )


@cli.command("mitigate")
@click.argument("data", type=str)
@_spec_options
@click.option(
    "--method",
    "-m",
    type=click.Choice(["reweighing", "uniform", "preferential"]),
    default="reweighing",
    show_default=True,
    help="The mitigation.",
)
@click.option(
    "--attribute",
    "attributes",
    multiple=True,
    help="Attribute whose intersection is balanced (repeat; default: all sensitive).",
)
@click.option(
    "--output",
    "-o",
    required=True,
    metavar="OUT.parquet",
    help="Parquet file to write (refused if it exists, unless --overwrite).",
)
@_overwrite_option
@click.option(
    "--weight-column",
    default="mitigation_weight",
    show_default=True,
    help="Name of the new weight column (reweighing).",
)
@click.option(
    "--size",
    type=click.Choice(["keep", "oversample", "undersample"]),
    default="keep",
    show_default=True,
    help="Resampling size policy.",
)
@click.option(
    "--random-state",
    type=int,
    default=None,
    help="Seed of the resampling (the same seed gives the same rows).",
)
@click.option(
    "--model-check/--no-model-check",
    default=False,
    show_default=True,
    help="Train a logistic regression before and after; score on held-out rows.",
)
@_json_option("the plan, comparison and model check")
@_html_options
@_quiet_option
def mitigate_command(
    data: str,
    method: str,
    attributes: tuple[str, ...],
    output: str,
    overwrite: bool,
    weight_column: str,
    size: str,
    random_state: int | None,
    model_check: bool,
    json_out: str | None,
    html_out: str | None,
    k: int,
    quiet: bool,
    **kw: Any,
) -> None:
    """Mitigate DATA (CSV or Parquet) and write the result to a Parquet file.

    \b
    Example:
      biasaudit mitigate adult.csv -s sex -l income -f '>50K' --method reweighing \\
          --output adult-reweighed.parquet
    """
    from audit.auditor import Auditor

    _check_outputs(overwrite, _inputs(data, **kw), output=output, json=json_out, html=html_out)
    spec = _build_spec(**kw)
    result = Auditor(spec).mitigate(
        data,
        method=method,
        attributes=attributes or None,
        output=output,
        overwrite=overwrite,
        weight_column=weight_column,
        size=size,
        random_state=random_state,
        model_check=model_check,
        ranker=None,
    )
    _emit(
        result,
        json_out,
        quiet,
        lambda console: _show_mitigation(result, console),
        (html_out, k),
        overwrite=overwrite,
    )


def _show_mitigation(result: Any, console: Console) -> None:
    from rich.markup import escape

    from audit._terminal import render_comparison, render_model_check

    plan = result.plan
    over = escape(printable(" & ".join(plan.attributes)))
    if result.method == "reweighing":
        console.print(
            f"{result.method} over {over}: {len(plan.cells)} cells, "
            f"{len(plan.empty_cells)} empty; new weight column "
            f"'{escape(printable(plan.weight_column))}'",
            highlight=False,
        )
    else:
        console.print(
            f"{result.method} sampling over {over} "
            f"(size={plan.size}, random_state={plan.random_state}): "
            f"{plan.n_rows_before:,} -> {plan.n_rows_after:,} rows",
            highlight=False,
        )
    render_comparison(result.comparison, console)
    if result.model_check is not None:
        render_model_check(result.model_check, console)
    if isinstance(result.data, Path):
        console.print(f"\nWrote {escape(printable(str(result.data)))}", highlight=False)


@cli.command("compare")
@click.argument("before", type=str)
@click.argument("after", type=str)
@_spec_options
@click.option(
    "--after-weight",
    default=None,
    help="Sample-weight column of AFTER only (e.g. a reweighing column).",
)
@_json_option("the comparison")
@_html_options
@_overwrite_option
@_quiet_option
def compare_command(
    before: str,
    after: str,
    after_weight: str | None,
    json_out: str | None,
    html_out: str | None,
    k: int,
    overwrite: bool,
    quiet: bool,
    **kw: Any,
) -> None:
    """Audit BEFORE and AFTER under one spec and show every metric side by side.

    Works for any two datasets: training vs production, real vs synthetic, last month vs
    this month, or data before and after a mitigation.
    """
    from dataclasses import replace

    from audit._terminal import render_comparison
    from audit.auditor import audit
    from audit.comparison import compare

    inputs = [*_inputs(before, **kw), after]
    _check_outputs(overwrite, inputs, json=json_out, html=html_out)
    spec = _build_spec(**kw)
    result_before = audit(before, spec=spec)
    after_spec = replace(spec, sample_weight=after_weight) if after_weight else spec
    comparison = compare(result_before, audit(after, spec=after_spec))
    title = f"{before} -> {after}"
    _emit(
        comparison,
        json_out,
        quiet,
        lambda c: render_comparison(comparison, c, title=title),
        (html_out, k),
        overwrite=overwrite,
    )


def _load_result(path: str) -> Any:
    """An audit result, a comparison or a mitigation result, by the keys of its JSON."""

    from audit._serde import read_json
    from audit.comparison import Comparison
    from audit.mitigation.run import MitigationResult
    from audit.result import AuditResult

    data = read_json(Path(path))
    if "plan" in data and "comparison" in data:
        return MitigationResult.from_dict(data)
    if "before" in data and "after" in data:
        return Comparison.from_dict(data)
    if "dimensions" in data and "spec" in data:
        return AuditResult.from_dict(data)
    raise ConfigError(
        f"'{path}' is not a biasaudit result. Hint: give the JSON written by 'biasaudit audit "
        "--json', 'mitigate --json' or 'compare --json'."
    )


@cli.command("report")
@click.argument("result_json", metavar="RESULT.json")
@click.option(
    "--after",
    "after_json",
    metavar="AFTER.json",
    default=None,
    help="A second audit result (same spec): the report compares RESULT with it.",
)
@click.option(
    "--output",
    "-o",
    metavar="PATH",
    default=None,
    help="HTML file to write  [default: reports/<name>.html]",
)
@click.option(
    "--suppress-below",
    "k",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Suppress groups with fewer rows than this.",
)
@click.option("--title", default=None, help="Title of the report.")
@_overwrite_option
@_quiet_option
def report_command(
    result_json: str,
    after_json: str | None,
    output: str | None,
    k: int,
    title: str | None,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Render the HTML report of RESULT.json: an audit result, a comparison or a mitigation
    result (as written with --json). One offline file; open it in any browser.

    \b
    Example:
      biasaudit report reports/audit.json --after reports/audit-2.json -o reports/x.html
    """
    from audit.comparison import compare
    from audit.result import AuditResult

    inputs = [result_json, after_json]
    if output is not None:
        _check_outputs(overwrite, inputs, output=output)
    result = _load_result(result_json)
    if after_json is not None:
        after = _load_result(after_json)
        if not (isinstance(result, AuditResult) and isinstance(after, AuditResult)):
            raise ConfigError(
                "--after compares two audit results; RESULT.json and AFTER.json must both be "
                "written by 'biasaudit audit --json'."
            )
        result = compare(result, after)
    if output is None:
        from audit.report.render import default_path

        output = str(default_path(result))
        _check_outputs(overwrite, inputs, output=output)
    path = result.to_html(output, k=k, title=title, command=_command_line(), overwrite=overwrite)
    if not quiet:
        click.echo(f"Wrote {path}")


@cli.command("check")
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    default=None,
    help="pyproject.toml or a TOML file  [default: the nearest biasaudit.toml or pyproject.toml "
    "with [tool.biasaudit]]",
)
@click.option(
    "--dataset", "-d", "names", multiple=True, help="Check only this dataset (repeat for more)."
)
@click.option(
    "--junit-xml", metavar="PATH", default=None, help="Write JUnit XML to PATH ('-': stdout)."
)
@click.option(
    "--markdown",
    metavar="PATH",
    default=None,
    help="Write a Markdown summary (a pull-request comment, a CI step summary); '-' for stdout.",
)
@click.option(
    "--json", "json_out", metavar="PATH", default=None, help="Write JSON to PATH ('-': stdout)."
)
@click.option(
    "--html", "html_dir", metavar="DIR", default=None, help="Write an HTML report per dataset."
)
@_overwrite_option
@_quiet_option
def check_command(
    config_path: str | None,
    names: tuple[str, ...],
    junit_xml: str | None,
    markdown: str | None,
    json_out: str | None,
    html_dir: str | None,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Audit every dataset declared in [tool.biasaudit] and judge it by the policy there.

    Exit code 0: every threshold met; 1: a threshold not met, or no check of a dataset could
    be assessed; 2: a usage, configuration or data error (a dataset that cannot be read or
    loaded fails the run with 2).

    \b
    Example (pyproject.toml):
      [tool.biasaudit.thresholds]
      disparate_impact_ratio.min = 0.8
      [[tool.biasaudit.datasets]]
      name = "training"
      path = "data/train.parquet"
      sensitive = ["sex", "race"]
      label = "income"
      favorable = ">50K"
    """
    from audit._io import write_text_atomic
    from audit.check import exit_code, run_checks, to_json, to_junit_xml, to_markdown
    from audit.config import load_config

    config = load_config(config_path)
    if not config.datasets:
        raise ConfigError(
            "No datasets to check: declare [[tool.biasaudit.datasets]] in pyproject.toml (or a "
            "biasaudit.toml), or pass --config FILE."
        )
    chosen = [config.dataset(n) for n in names] if names else list(config.datasets)
    inputs: list[str | None] = [str(config.path) if config.path else None]
    inputs += [path for d in chosen for path in d.inputs]
    if html_dir == "-":
        raise ConfigError("--html takes a folder for one report per dataset, not '-'.")
    html_paths = {d.name: Path(html_dir) / f"{d.name}.html" for d in chosen} if html_dir else {}
    stdout = [o for o, v in (("--json", json_out), ("--markdown", markdown),
                             ("--junit-xml", junit_xml)) if v == "-"]  # fmt: skip
    if len(stdout) > 1:
        raise ConfigError(f"{' and '.join(stdout)} both write to standard output; choose one.")
    _check_outputs(
        overwrite,
        inputs,
        junit_xml=junit_xml,
        markdown=markdown,
        json=json_out,
        **{f"html report for {name}": path for name, path in html_paths.items()},
    )
    checks = run_checks(config, names)
    # A loader may return a path: it is an input too, now that it is known.
    inputs += [c.result.source.path for c in checks if c.result is not None]
    source = config.policy.source
    if json_out == "-":
        click.echo(to_json(checks, source))
    elif markdown == "-":
        click.echo(to_markdown(checks, source))
    elif junit_xml == "-":
        click.echo(to_junit_xml(checks))
    elif not quiet:
        _show_checks(checks, source)
    if markdown and markdown != "-":
        write_text_atomic(
            Path(markdown), to_markdown(checks, source) + "\n", overwrite=overwrite, inputs=inputs
        )
    if junit_xml and junit_xml != "-":
        write_text_atomic(
            Path(junit_xml), to_junit_xml(checks) + "\n", overwrite=overwrite, inputs=inputs
        )
    if json_out and json_out != "-":
        write_text_atomic(
            Path(json_out), to_json(checks, source) + "\n", overwrite=overwrite, inputs=inputs
        )
    for c in checks:
        if c.result is not None and c.name in html_paths:
            c.result.to_html(
                html_paths[c.name],
                policy=config.policy,
                k=config.suppress_below,
                command=_command_line(),
                overwrite=overwrite,
            )
    for c in checks:
        for notice in c.notices:
            click.echo(f"warning: dataset '{printable(c.name)}': {printable(notice)}", err=True)
        if c.error is not None:
            click.echo(f"Error: dataset '{printable(c.name)}': {printable(c.error)}", err=True)
    click.get_current_context().exit(exit_code(checks))


def _show_checks(checks: Sequence[Any], source: str) -> None:
    from rich.markup import escape

    from audit.check import UNASSESSED

    def safe(text: str) -> str:
        return escape(printable(text))

    console = Console(soft_wrap=False)
    console.print(f"Policy: {safe(source)}", highlight=False)
    for c in checks:
        if c.error is not None:
            console.print(f"[bold red]{safe(c.name)}[/]: could not be audited", highlight=False)
            continue
        failed = [g for g in c.groups if g.status == "failed"]
        warned = [g for g in c.groups if g.status == "warned"]
        skipped = [g for g in c.groups if g.status == "skipped"]
        not_met = sum(bool(g.failures) for g in failed)
        colour = "red" if c.failed else "green"
        console.print(
            f"[bold {colour}]{safe(c.name)}[/]: {c.result.n_rows:,} rows, "
            f"{len(c.groups)} checks, {not_met} not met, {len(warned)} warnings, "
            f"{len(c.groups) - not_met - len(warned) - sum(g.status == 'passed' for g in c.groups)}"
            " not assessable",
            highlight=False,
        )
        if c.unassessed:
            console.print(f"  [red]not assessable[/]: {safe(UNASSESSED)}", highlight=False)
        for g in failed + warned + skipped:
            if g in failed:
                label = "[red]not met[/]" if g.failures else "[red]not assessable[/]"
            else:
                label = "[yellow]warning[/]" if g in warned else "not assessable"
            for line in g.message().splitlines():
                if c.unassessed and line == UNASSESSED:
                    continue
                console.print(f"  {label} {safe(g.id)}: {safe(line)}", highlight=False)
    if any(c.status == "error" for c in checks):
        verdict = "a dataset could not be audited"
    elif any(c.status == "failed" for c in checks):
        verdict = "thresholds not met"
    elif any(c.status == "unassessed" for c in checks):
        verdict = "not assessable (nothing that could fail was judged)"
    elif any(g.status == "skipped" for c in checks for g in c.groups):
        skipped = sum(g.status == "skipped" for c in checks for g in c.groups)
        verdict = f"every assessed threshold met ({skipped} not assessable)"
    else:
        verdict = "all thresholds met"
    console.print(f"\nbiasaudit check: {verdict}", highlight=False)


@cli.command("demo")
@click.option(
    "--output-dir",
    default="reports",
    show_default=True,
    help="Folder for the JSON results and the HTML report.",
)
@click.option(
    "--model-check/--no-model-check",
    default=True,
    show_default=True,
    help="Train a logistic regression before and after reweighing.",
)
@_quiet_option
def demo_command(output_dir: str, model_check: bool, quiet: bool) -> None:
    """Audit the bundled UCI Adult training data, reweigh it, and write the before/after
    HTML report (reports/adult-demo.html) and the JSON results."""
    import pandas as pd

    from audit._terminal import render
    from audit.auditor import Auditor
    from audit.datasets import adult_path

    auditor = Auditor(
        sensitive_features=["sex", "race", "age"],
        label="income",
        favorable=">50K",
        bins={"age": [25, 45, 65]},
        reference={"sex": "Male", "race": "White"},
    )
    folder = Path(output_dir)
    audit_json = folder / "adult-demo.json"
    before = auditor.audit(adult_path("train"))
    _emit(before, str(audit_json), quiet, lambda console: render(before, console))
    frame = pd.read_csv(adult_path("train"))
    result = auditor.mitigate(
        frame,
        method="reweighing",
        attributes=["sex", "race"],
        model_check=model_check,
        random_state=0,
    )
    if not quiet:
        click.echo("\nReweighing over sex & race (Kamiran & Calders 2012):")
    _emit(
        result,
        str(folder / "adult-demo-mitigation.json"),
        quiet,
        lambda console: _show_mitigation(result, console),
    )
    html = result.to_html(
        folder / "adult-demo.html",
        title="UCI Adult (training split): before and after reweighing",
        command="biasaudit demo" + ("" if model_check else " --no-model-check"),
    )
    if not quiet:
        click.echo(f"Wrote {html}")
        click.echo(
            "Data: UCI Adult (Becker & Kohavi 1996, CC BY 4.0), shipped in audit/datasets/ADULT.md."
        )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``biasaudit`` console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="biasaudit")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
