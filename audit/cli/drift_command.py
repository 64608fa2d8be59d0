"""``biasaudit drift``: how each group's share and base rate move over periods."""

from __future__ import annotations

from typing import Any

import click

from audit.cli.base import (
    Command,
    check_outputs,
    emit,
    html_options,
    json_option,
    option,
    overwrite_option,
    quiet_option,
)
from audit.cli.options import build_spec, spec_options

__all__ = ["drift_command"]


@click.command("drift", cls=Command)
@click.argument("data", nargs=-1, required=True, type=str)
@option(
    "--time",
    section="Periods",
    default=None,
    metavar="COL",
    help="The column of dates the periods come from (one DATA).",
)
@option(
    "--freq",
    section="Periods",
    default="year",
    show_default=True,
    type=click.Choice(["year", "quarter", "month", "value"]),
    help="The period of a date; 'value': the column's values are the periods.",
)
@option(
    "--baseline",
    section="Periods",
    default=None,
    metavar="PERIOD",
    help="The period every other is compared with  [default: the first]",
)
@option(
    "--names",
    section="Periods",
    default=None,
    metavar="A,B,...",
    help="Names of the periods when several DATA are given  [default: the file names]",
)
@spec_options
@json_option("the drift result")
@html_options
@overwrite_option
@quiet_option
def drift_command(
    data: tuple[str, ...],
    time: str | None,
    freq: str,
    baseline: str | None,
    names: str | None,
    json_out: str | None,
    html_out: str | None,
    k: int,
    epsilon: float | None,
    overwrite: bool,
    quiet: bool,
    **kw: Any,
) -> None:  # fmt: skip
    """Each group's share and base rate per period against the baseline period: DATA with a
    --time column, or several DATA files, one a period, in order.

    \b
    Example:
      biasaudit drift applications.parquet --time date --freq quarter -s sex -l hired -f 1
      biasaudit drift train.csv test.csv -s sex -s race -l income -f '>50K'
    """
    from audit.drift_periods import drift
    from audit.terminal_drift import render_drift

    if epsilon is not None:
        raise click.UsageError(
            "--epsilon is not available for drift reports; small groups are suppressed "
            "(--suppress-below)."
        )
    check_outputs(overwrite, [*data, kw.get("reference_population")], json=json_out, html=html_out)
    spec = build_spec(**kw)
    split = None if names is None else [n.strip() for n in names.split(",")]
    period = None if freq == "value" else freq
    if len(data) == 1:
        if split is not None:
            raise click.UsageError("--names names the periods of several DATA files.")
        result = drift(data[0], time=time, freq=period, baseline=baseline, spec=spec)
    else:
        if time is not None:
            raise click.UsageError("--time takes one DATA; several DATA are the periods.")
        result = drift(list(data), names=split, baseline=baseline, spec=spec)
    emit(result, json_out, quiet, lambda c: render_drift(result, c), (html_out, k, None),
         overwrite=overwrite)  # fmt: skip
