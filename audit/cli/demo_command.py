"""``biasaudit demo``: audit the bundled UCI Adult data, reweigh it, write the report."""

from __future__ import annotations

from pathlib import Path

import click

from audit.cli.base import Command, emit, option, quiet_option
from audit.cli.mitigate_command import show_mitigation

__all__ = ["demo_command"]


@click.command("demo", cls=Command)
@option(
    "--output-dir",
    section="Output",
    default="reports",
    show_default=True,
    help="Folder for the JSON results and the HTML report.",
)
@option(
    "--model-check/--no-model-check",
    section="Mitigation",
    default=True,
    show_default=True,
    help="Train a logistic regression before and after reweighing.",
)
@quiet_option
def demo_command(output_dir: str, model_check: bool, quiet: bool) -> None:
    """Audit the bundled UCI Adult training data, reweigh it, and write the before/after
    HTML report (reports/adult-demo.html) and the JSON results. The demo replaces these
    three files of its own when run again."""
    import pandas as pd

    from audit.auditor import Auditor
    from audit.datasets import adult_path
    from audit.mitigation.run import mitigate
    from audit.report.render import write_report
    from audit.terminal_health import render_with_health

    auditor = Auditor(
        sensitive_features=["sex", "race", "age"],
        label="income",
        favorable=">50K",
        bins={"age": [25, 45, 65]},
        reference={"sex": "Male", "race": "White"},
        na_values=["?"],  # how the UCI files mark a missing value
        health=True,
    )
    folder = Path(output_dir)
    before = auditor.audit(adult_path("train"))
    emit(
        before,
        str(folder / "adult-demo.json"),
        quiet,
        lambda console: render_with_health(before, console),
        overwrite=True,
    )
    frame = pd.read_csv(adult_path("train"))
    result = mitigate(
        frame,
        spec=auditor.spec,
        method="reweighing",
        over=["sex", "race"],
        model_check=model_check,
        random_state=0,
    )
    if not quiet:
        click.echo("\nReweighing over sex & race (Kamiran & Calders 2012):")
    emit(
        result,
        str(folder / "adult-demo-mitigation.json"),
        quiet,
        lambda console: show_mitigation(result, console, health=False),  # shown above
        overwrite=True,
    )
    html = write_report(
        result,
        folder / "adult-demo.html",
        title="UCI Adult (training split): before and after reweighing",
        command="biasaudit demo" + ("" if model_check else " --no-model-check"),
        overwrite=True,
    )
    if not quiet:
        click.echo(f"Wrote {html}")
        click.echo(
            "Data: UCI Adult (Becker & Kohavi 1996, CC BY 4.0), shipped in audit/datasets/ADULT.md."
        )
