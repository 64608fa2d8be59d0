"""What every command shares: errors and warnings at the boundary, option groups in --help,
the output rule checked before the work, and the reproduce line of reports."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from audit._format import printable
from audit.exceptions import AuditError, AuditWarning, ConfigError

__all__ = [
    "Command",
    "Group",
    "Option",
    "check_outputs",
    "command_line",
    "emit",
    "epsilon_option",
    "html_options",
    "json_option",
    "overwrite_option",
    "quiet_option",
    "suppress_option",
]

F = TypeVar("F", bound=Callable[..., Any])


class Group(click.Group):
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


class Option(click.Option):
    """An option that belongs to a section of --help (data, outcome, policy, output...)."""

    def __init__(self, *args: Any, section: str = "Options", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.section = section


SECTIONS = ("Data", "Outcome", "Policy", "Health", "Mitigation", "Report", "Output", "Options")


class Command(click.Command):
    """A command whose --help lists its options by section instead of in one long list."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        by_section: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            if not isinstance(param, click.Option):
                continue  # arguments are in the usage line
            record = param.get_help_record(ctx)
            if record is None:
                continue
            section = getattr(param, "section", "Options")
            by_section.setdefault(section, []).append(record)
        for section in sorted(by_section, key=SECTIONS.index):
            with formatter.section(section):
                formatter.write_dl(by_section[section])


def option(*names: str, section: str, **kwargs: Any) -> Callable[[F], F]:
    """``click.option`` in a --help section."""
    return click.option(*names, cls=Option, section=section, **kwargs)


def command_line() -> str:
    """The command as typed, for the report's "reproduce" line."""
    import shlex

    argv = click.get_current_context().find_root().meta.get("biasaudit.argv", [])
    return shlex.join(["biasaudit", *argv])


_STDOUT_OPTIONS = ("json", "markdown", "junit_xml")


def check_outputs(
    overwrite: bool, inputs: Sequence[str | None], **outputs: str | Path | None
) -> None:
    """Every output of a command checked before its work starts (one rule for every writer:
    never a folder, never one of the inputs, an existing file only with --overwrite, the
    folder created and writable); two options naming the same file are refused."""
    from audit._io import check_output

    seen: dict[str, str] = {}
    for name_, path in outputs.items():
        name = name_ if " " in name_ else "--" + name_.replace("_", "-")
        if path is not None and str(path) == "-":
            if name_ in _STDOUT_OPTIONS:
                continue
            raise ConfigError(f"{name} writes a file; '-' (standard output) is not supported.")
        if path is None:
            continue
        key = os.path.abspath(path)
        if key in seen:
            raise ConfigError(f"{seen[key]} and {name} both name '{path}'. Hint: give two paths.")
        seen[key] = name
        check_output(path, overwrite=overwrite, inputs=inputs, what=f"{name} file")


def emit(
    result: Any,
    json_out: str | None,
    quiet: bool,
    show: Callable[[Any], None],
    html: tuple[str | None, int, float | None] = (None, 10, None),
    title: str | None = None,
    overwrite: bool = False,
) -> None:
    """JSON to stdout (``--json -``), or the terminal view, then the JSON file and the HTML
    report if asked for."""
    from rich.console import Console

    html_out, k, epsilon = html
    if epsilon is not None and not html_out:
        raise click.UsageError("--epsilon applies to the HTML report; add --html PATH.")
    if json_out == "-":
        click.echo(result.to_json())
    elif not quiet:
        show(Console(soft_wrap=False))
    wrote = []
    if html_out:  # first: a report that cannot be drawn (epsilon with weights) writes nothing
        from audit.report.render import write_report

        path = write_report(
            result,
            html_out,
            k=k,
            title=title,
            command=command_line(),
            overwrite=overwrite,
            epsilon=epsilon,
        )
        wrote.append(str(path))
    if json_out and json_out != "-":
        result.to_json(Path(json_out), overwrite=overwrite)
        wrote.insert(0, json_out)
    if not quiet and json_out != "-" and wrote:
        click.echo("\n" + "\n".join(f"Wrote {printable(w)}" for w in wrote))


def json_option(what: str) -> Callable[[F], F]:
    return option(
        "--json",
        "json_out",
        section="Output",
        metavar="OUT",
        default=None,
        help=f"Write {what} as JSON to OUT ('-' for standard output).",
    )


overwrite_option = option(
    "--overwrite",
    section="Output",
    is_flag=True,
    help="Replace output files that exist (never one of the command's own inputs).",
)
quiet_option = option(
    "--quiet", "-q", section="Output", is_flag=True, help="Print nothing but errors."
)


suppress_option = option(
    "--suppress-below",
    "k",
    section="Report",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="In the HTML report, suppress groups with fewer rows than this.",
)


def _valid_epsilon(ctx: click.Context, param: click.Parameter, value: float | None) -> Any:
    if value is None:
        return None
    from audit.exceptions import ConfigError
    from audit.privacy.dp import validate_epsilon

    try:
        return validate_epsilon(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


epsilon_option = option(
    "--epsilon",
    "epsilon",
    section="Report",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    callback=_valid_epsilon,
    help="Publish the HTML report with differential privacy (this budget) instead of "
    "suppression: every count gets OpenDP noise; none is exact.",
)


def html_options(func: F) -> F:
    func = epsilon_option(func)
    func = suppress_option(func)
    return option(
        "--html",
        "html_out",
        section="Output",
        metavar="PATH",
        default=None,
        help="Also write the HTML report to PATH (e.g. reports/audit.html).",
    )(func)
