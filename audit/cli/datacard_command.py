"""``biasaudit datacard``: a data card (Markdown and Croissant JSON-LD) from a saved result."""

from __future__ import annotations

import click

from audit._format import printable
from audit.cli.base import (
    Command,
    check_outputs,
    option,
    overwrite_option,
    quiet_option,
    suppress_option,
)
from audit.exceptions import ConfigError

__all__ = ["datacard_command"]


@click.command("datacard", cls=Command)
@click.argument("result_json", metavar="RESULT.json")
@option(
    "--output",
    "-o",
    section="Output",
    metavar="DIR",
    required=True,
    help="Folder to write DATACARD.md and croissant.json into (created).",
)
@suppress_option
@overwrite_option
@quiet_option
def datacard_command(result_json: str, output: str, k: int, overwrite: bool, quiet: bool) -> None:
    """Write the data card of RESULT.json (an audit or a mitigation result, as written with
    --json): DATACARD.md with the sections of Datasheets for Datasets, the measured facts
    filled in and the rest marked TODO, and croissant.json (Croissant 1.0 with its
    Responsible-AI fields).

    \b
    Example:
      biasaudit audit adult.csv -s sex -l income -f '>50K' --json audit.json
      biasaudit datacard audit.json -o datacard/
    """
    from pathlib import Path

    from audit.datacard import write_datacard
    from audit.loading import load_result
    from audit.result import AuditResult

    check_outputs(overwrite, [result_json], output=str(Path(output) / "DATACARD.md"))
    loaded = load_result(result_json)
    mitigation = None
    if isinstance(loaded, AuditResult):
        result = loaded
    elif hasattr(loaded, "plan") and hasattr(loaded, "before"):  # a mitigation result
        result, over = loaded.before, ", ".join(loaded.plan.over)
        mitigation = f"{loaded.method} over {over} (the card describes the data before it)"
    else:
        raise ConfigError(
            f"A data card is made from an audit or a mitigation result; '{result_json}' holds "
            f"a {type(loaded).__name__}. Hint: biasaudit audit DATA ... --json result.json."
        )
    paths = write_datacard(result, output, k=k, overwrite=overwrite, mitigation=mitigation)
    if not quiet:
        for path in paths:
            click.echo(f"Wrote {printable(str(path))}")
