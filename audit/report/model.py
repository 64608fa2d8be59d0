"""The report's view-model: frozen dataclasses of display-ready text, built before templating.

Templates only lay these out; every number is formatted here, so no template does arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

__all__ = [
    "Bullets",
    "Cell",
    "Code",
    "Download",
    "Facts",
    "Figure",
    "Heading",
    "Paragraph",
    "Report",
    "Row",
    "Section",
    "Table",
]


@dataclass(frozen=True)
class Paragraph:
    text: str
    css: str = ""
    kind: str = field(default="paragraph", init=False)


@dataclass(frozen=True)
class Heading:
    text: str
    id: str
    kind: str = field(default="heading", init=False)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    kind: str = field(default="bullets", init=False)


@dataclass(frozen=True)
class Facts:
    pairs: tuple[tuple[str, str], ...]
    kind: str = field(default="facts", init=False)


@dataclass(frozen=True)
class Cell:
    text: str
    css: str = ""  # "num", "suppressed", "met", "not-met", "na", "ref"


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    header: bool = False  # the first cell labels the row (th scope=row)


@dataclass(frozen=True)
class Table:
    id: str
    caption: str
    head: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str | None = None
    kind: str = field(default="table", init=False)


@dataclass(frozen=True)
class Figure:
    """A plotly chart (``html`` is plotly's div and script) with its text alternative."""

    id: str
    caption: str
    alt: str
    html: Markup
    table_id: str | None = None
    kind: str = field(default="figure", init=False)


@dataclass(frozen=True)
class Code:
    text: str
    label: str
    kind: str = field(default="code", init=False)


@dataclass(frozen=True)
class Download:
    href: str  # a data: URL, so the file stays self-contained
    filename: str
    label: str
    size: str
    note: str = "suppressed groups are left out"
    kind: str = field(default="download", init=False)


Block = Paragraph | Heading | Bullets | Facts | Table | Figure | Code | Download


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    generated_at: str
    version: str
    sections: tuple[Section, ...]
    css: Markup
    plotly_js: Markup
