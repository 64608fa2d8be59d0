"""``biasaudit validate-synthetic``: is a synthetic dataset faithful to the real one?"""

from __future__ import annotations

import sys
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

__all__ = ["validate_synthetic_command"]


@click.command("validate-synthetic", cls=Command)
@click.argument("real", type=str)
@click.argument("synthetic", type=str)
@spec_options
@option(
    "--coverage-k",
    "coverage_k",
    section="Policy",
    type=int,
    default=10,
    show_default=True,
    help="Coverage: a group with at least k real rows needs k synthetic rows.",
)
@option(
    "--max",
    "bounds",
    section="Policy",
    multiple=True,
    metavar="KEY=VALUE",
    help="A bound of the policy, e.g. --max base_rate_difference.max_abs=0.03 (keys: "
    "share_tvd.max, base_rate_difference.max_abs, disparate_impact_difference.max_abs, "
    "tstr_accuracy_drop.max).",
)
@option(
    "--no-model-check",
    is_flag=True,
    section="Policy",
    help="Skip train-on-synthetic / test-on-real.",
)
@option("--intersections", is_flag=True, section="Policy", help="Judge intersections too.")
@json_option("the validation")
@html_options
@overwrite_option
@quiet_option
def validate_synthetic_command(
    real: str, synthetic: str, coverage_k: int, bounds: tuple[str, ...], no_model_check: bool,
    intersections: bool, json_out: str | None, html_out: str | None, k: int,
    epsilon: float | None, overwrite: bool, quiet: bool, **kw: Any,
) -> None:  # fmt: skip
    """Check that SYNTHETIC is faithful to REAL for every group: coverage, share TVD, base
    rates, disparate impact and train-on-synthetic accuracy. Exit 1 when it is not.

    \b
    Example:
      biasaudit validate-synthetic adult.csv adult-synth.csv -s sex -s race -l income -f '>50K'
    """
    from audit.synthetic_check import validate_synthetic
    from audit.terminal_synthetic import render_validation

    if epsilon is not None:
        raise click.UsageError("--epsilon is not available for this report.")
    check_outputs(overwrite, [real, synthetic], json=json_out, html=html_out)
    policy = {}
    for item in bounds:
        key, sep, value = item.partition("=")
        try:
            policy[key.strip()] = float(value)
        except ValueError:
            raise click.UsageError(f"--max takes KEY=NUMBER; got {item!r}.") from None
        if not sep:
            raise click.UsageError(f"--max takes KEY=NUMBER; got {item!r}.")
    result = validate_synthetic(
        real, synthetic, spec=build_spec(**kw), k=coverage_k, policy=policy,
        model_check=not no_model_check, intersections=intersections,
    )  # fmt: skip
    emit(result, json_out, quiet, lambda c: render_validation(result, c), (html_out, k, None),
         overwrite=overwrite)  # fmt: skip
    if not result.faithful:
        sys.exit(1)
