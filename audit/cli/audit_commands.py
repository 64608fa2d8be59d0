"""``biasaudit audit``, ``compare`` and ``report``: audit data, compare two datasets, render a
saved result."""

from __future__ import annotations

from typing import Any

import click

from audit._format import printable
from audit.cli.base import (
    Command,
    check_outputs,
    command_line,
    emit,
    epsilon_option,
    html_options,
    json_option,
    option,
    overwrite_option,
    quiet_option,
    suppress_option,
)
from audit.cli.options import build_spec, health_options, input_files, spec_options
from audit.exceptions import ConfigError

__all__ = ["audit_command", "compare_command", "report_command"]


@click.command("audit", cls=Command)
@click.argument("data", type=str)
@spec_options
@health_options
@json_option("the result")
@html_options
@overwrite_option
@quiet_option
def audit_command(
    data: str,
    json_out: str | None,
    html_out: str | None,
    k: int,
    epsilon: float | None,
    overwrite: bool,
    quiet: bool,
    **kw: Any,
) -> None:
    """Audit DATA (a CSV or Parquet file, a glob, or a directory of Parquet files).

    \b
    Example:
      biasaudit audit adult.csv -s sex -s race -l income -f '>50K' --json out.json
      biasaudit audit adult.csv -s sex -l income -f '>50K' --na-values '?' --health
    """
    from audit.auditor import audit
    from audit.terminal_health import render_with_health

    check_outputs(overwrite, input_files(data, **kw), json=json_out, html=html_out)
    result = audit(data, spec=build_spec(**kw))
    emit(
        result,
        json_out,
        quiet,
        lambda c: render_with_health(result, c),
        (html_out, k, epsilon),
        overwrite=overwrite,
    )


@click.command("compare", cls=Command)
@click.argument("before", type=str)
@click.argument("after", type=str)
@spec_options
@option(
    "--after-weight",
    section="Data",
    default=None,
    help="Sample-weight column of AFTER only (e.g. a reweighing column).",
)
@json_option("the comparison")
@html_options
@overwrite_option
@quiet_option
def compare_command(
    before: str,
    after: str,
    after_weight: str | None,
    json_out: str | None,
    html_out: str | None,
    k: int,
    epsilon: float | None,
    overwrite: bool,
    quiet: bool,
    **kw: Any,
) -> None:
    """Audit BEFORE and AFTER under one spec and show every metric side by side.

    Works for any two datasets: training vs production, real vs synthetic, last month vs
    this month, or data before and after a mitigation.
    """
    from dataclasses import replace

    from audit.auditor import audit
    from audit.comparison import compare
    from audit.terminal_compare import render_comparison

    check_outputs(overwrite, [*input_files(before, **kw), after], json=json_out, html=html_out)
    spec = build_spec(**kw)
    result_before = audit(before, spec=spec)
    after_spec = replace(spec, sample_weight=after_weight) if after_weight else spec
    comparison = compare(result_before, audit(after, spec=after_spec))
    title = f"{before} -> {after}"
    emit(
        comparison,
        json_out,
        quiet,
        lambda c: render_comparison(comparison, c, title=title),
        (html_out, k, epsilon),
        overwrite=overwrite,
    )


@click.command("report", cls=Command)
@click.argument("result_json", metavar="RESULT.json")
@option(
    "--after",
    "after_json",
    section="Data",
    metavar="AFTER.json",
    default=None,
    help="A second audit result (same spec): the report compares RESULT with it.",
)
@option(
    "--output",
    "-o",
    section="Output",
    metavar="PATH",
    default=None,
    help="HTML file to write  [default: reports/<name>.html]",
)
@suppress_option
@epsilon_option
@option("--title", section="Report", default=None, help="Title of the report.")
@overwrite_option
@quiet_option
def report_command(
    result_json: str,
    after_json: str | None,
    output: str | None,
    k: int,
    epsilon: float | None,
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
    from audit.loading import load_result
    from audit.report.render import default_path, write_report
    from audit.result import AuditResult

    inputs = [result_json, after_json]
    if output is not None:
        check_outputs(overwrite, inputs, output=output)
    result: Any = load_result(result_json)
    if after_json is not None:
        after = load_result(after_json)
        if not (isinstance(result, AuditResult) and isinstance(after, AuditResult)):
            raise ConfigError(
                "--after compares two audit results; RESULT.json and AFTER.json must both be "
                "written by 'biasaudit audit --json'."
            )
        result = compare(result, after)
    if output is None:
        output = str(default_path(result))
        check_outputs(overwrite, inputs, output=output)
    path = write_report(
        result,
        output,
        k=k,
        title=title,
        command=command_line(),
        overwrite=overwrite,
        epsilon=epsilon,
    )
    if not quiet:
        click.echo(f"Wrote {printable(str(path))}")
