"""``biasaudit mitigate``: reweigh or resample DATA on its engine and write a Parquet file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from audit._format import printable
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
from audit.cli.options import build_spec, health_options, input_files, spec_options
from audit.mitigation.methods import METHODS, SIZES

__all__ = ["mitigate_command", "show_mitigation"]


@click.command("mitigate", cls=Command)
@click.argument("data", type=str)
@spec_options
@health_options
@option(
    "--method",
    "-m",
    section="Mitigation",
    type=click.Choice(METHODS),
    default=METHODS[0],
    show_default=True,
    help="The mitigation.",
)
@option(
    "--over",
    section="Mitigation",
    multiple=True,
    help="A sensitive attribute whose intersection is balanced (repeat; default: all).",
)
@option(
    "--weight-column",
    section="Mitigation",
    default="mitigation_weight",
    show_default=True,
    help="Name of the new weight column (reweighing).",
)
@option(
    "--size",
    section="Mitigation",
    type=click.Choice(SIZES),
    default=None,
    help="Resampling size policy [default: keep; synthetic oversampling always oversamples].",
)
@option(
    "--random-state",
    section="Mitigation",
    type=int,
    default=None,
    help="Seed of the resampling (the same seed gives the same rows).",
)
@option(
    "--model-check/--no-model-check",
    section="Mitigation",
    default=False,
    show_default=True,
    help="Train a logistic regression before and after; score on held-out rows.",
)
@option(
    "--output",
    "-o",
    section="Output",
    required=True,
    metavar="OUT.parquet",
    help="Parquet file to write (refused if it exists, unless --overwrite).",
)
@json_option("the plan, comparison and model check")
@html_options
@overwrite_option
@quiet_option
def mitigate_command(
    data: str,
    method: str,
    over: tuple[str, ...],
    output: str,
    overwrite: bool,
    weight_column: str,
    size: str | None,
    random_state: int | None,
    model_check: bool,
    json_out: str | None,
    html_out: str | None,
    k: int,
    epsilon: float | None,
    quiet: bool,
    **kw: Any,
) -> None:  # fmt: skip
    """Mitigate DATA (CSV or Parquet) and write the result to a Parquet file.

    \b
    Example:
      biasaudit mitigate adult.csv -s sex -l income -f '>50K' --method reweighing \\
          --output adult-reweighed.parquet
    """
    from audit.mitigation.run import mitigate

    inputs = input_files(data, **kw)
    check_outputs(overwrite, inputs, output=output, json=json_out, html=html_out)
    result = mitigate(
        data,
        spec=build_spec(**kw),
        method=method,
        over=over or None,
        output=output,
        overwrite=overwrite,
        weight_column=weight_column,
        size=size,
        random_state=random_state,
        model_check=model_check,
    )
    emit(
        result,
        json_out,
        quiet,
        lambda console: show_mitigation(result, console),
        (html_out, k, epsilon),
        overwrite=overwrite,
    )


def show_mitigation(result: Any, console: Any, *, health: bool = True) -> None:
    """The mitigation in one line, the before/after tables, the data health of the data
    before (unless ``health`` is False: already shown) and the model check."""
    from rich.markup import escape

    from audit.terminal_compare import render_comparison, render_model_check
    from audit.terminal_health import render_health

    plan = result.plan
    over = escape(printable(" & ".join(plan.over)))
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
    if health:
        render_health(result.comparison.before, console)
    if result.model_check is not None:
        render_model_check(result.model_check, console)
    if isinstance(result.data, Path):
        console.print(f"\nWrote {escape(printable(str(result.data)))}", highlight=False)
