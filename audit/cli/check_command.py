"""``biasaudit check``: audit every dataset declared in [tool.biasaudit] and judge it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from audit._format import printable
from audit.cli.base import (
    Command,
    check_outputs,
    command_line,
    option,
    overwrite_option,
    quiet_option,
)
from audit.exceptions import ConfigError

__all__ = ["check_command", "show_checks"]


@click.command("check", cls=Command)
@option(
    "--config",
    "config_path",
    section="Data",
    metavar="FILE",
    default=None,
    help="pyproject.toml or a TOML file  [default: the nearest biasaudit.toml or pyproject.toml "
    "with [tool.biasaudit]]",
)
@option(
    "--dataset",
    "-d",
    "names",
    section="Data",
    multiple=True,
    help="Check only this dataset (repeat for more).",
)
@option(
    "--junit-xml",
    section="Output",
    metavar="PATH",
    default=None,
    help="Write JUnit XML to PATH ('-': stdout).",
)
@option(
    "--markdown",
    section="Output",
    metavar="PATH",
    default=None,
    help="Write a Markdown summary (a pull-request comment, a CI step summary); '-' for stdout.",
)
@option(
    "--json",
    "json_out",
    section="Output",
    metavar="PATH",
    default=None,
    help="Write JSON to PATH ('-': stdout).",
)
@option(
    "--html",
    "html_dir",
    section="Output",
    metavar="DIR",
    default=None,
    help="Write an HTML report per dataset.",
)
@overwrite_option
@quiet_option
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
    from audit.gate.config import load_config
    from audit.gate.formats import to_json, to_junit_xml, to_markdown
    from audit.gate.run import exit_code, run_checks
    from audit.report.render import write_report

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
    check_outputs(
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
        show_checks(checks, source)
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
            write_report(
                c.result,
                html_paths[c.name],
                policy=config.policy,
                k=config.suppress_below,
                command=command_line(),
                overwrite=overwrite,
                epsilon=config.epsilon,
            )
    for c in checks:
        for notice in c.notices:
            click.echo(f"warning: dataset '{printable(c.name)}': {printable(notice)}", err=True)
        if c.error is not None:
            click.echo(f"Error: dataset '{printable(c.name)}': {printable(c.error)}", err=True)
    click.get_current_context().exit(exit_code(checks))


def show_checks(checks: Sequence[Any], source: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    from audit.gate.run import UNASSESSED

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
            f"[bold {colour}]{safe(c.name)}[/]: "
            + ("rows withheld (private), " if c.private else f"{c.result.n_rows:,} rows, ")
            + f"{len(c.groups)} checks, {not_met} not met, {len(warned)} warnings, "
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
