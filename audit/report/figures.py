"""plotly figures for the report, from plain numbers the builder has already filtered.

Every figure has a fixed ``div_id`` and is rendered without plotly.js (inlined once by the
page). Text from the data is HTML-escaped before plotly sees it: plotly.js reads a small set
of HTML tags in labels, and a group named ``<b>x</b>`` must show those characters, not bold.
Colours are the Okabe-Ito palette, distinguishable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

__all__ = [
    "AFTER",
    "BEFORE",
    "Point",
    "bars",
    "dumbbell",
    "forest",
    "heatmap",
    "lines",
    "render",
    "tradeoff",
]

BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#6b6b6b",
)
BEFORE, AFTER = BLUE, VERMILLION
SERIES = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY)
_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
}
_FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}


@dataclass(frozen=True)
class Point:
    """One labelled value with its interval (NaN bounds: no error bar)."""

    label: str
    value: float
    low: float = math.nan
    high: float = math.nan


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def _layout(title: str, height: int, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "none",
        "title": {"text": esc(title), "x": 0, "xanchor": "left", "font": {"size": 15}},
        "height": height,
        "margin": {"l": 10, "r": 20, "t": 80, "b": 40},
        "font": _FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"},
    }
    layout.update(extra)
    return layout


def _errors(points: Sequence[Point]) -> dict[str, Any] | None:
    if all(math.isnan(p.low) for p in points):
        return None
    plus = [p.high - p.value if not math.isnan(p.high) else 0.0 for p in points]
    minus = [p.value - p.low if not math.isnan(p.low) else 0.0 for p in points]
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": GREY}


def render(figure: Any, div_id: str) -> Markup:
    """plotly's div and script for ``figure``, without plotly.js."""
    import plotly.io as pio

    text = pio.to_html(
        figure,
        include_plotlyjs=False,
        full_html=False,
        div_id=div_id,
        config=_CONFIG,
        validate=False,
    )
    return Markup(text)


def bars(
    title: str,
    series: Sequence[tuple[str, Sequence[Point]]],
    *,
    axis: str,
    percent: bool = True,
    reference_line: float | None = None,
) -> Any:
    """Horizontal bars (one trace per series) with interval error bars."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (name, points) in enumerate(series):
        fig.add_trace(
            go.Bar(
                name=esc(name),
                orientation="h",
                y=[esc(p.label) for p in points],
                x=[p.value for p in points],
                error_x=_errors(points),
                marker_color=SERIES[i % len(SERIES)],
                hovertemplate="%{y}: %{x:.3f}<extra>" + esc(name) + "</extra>",
            )
        )
    labels = {p.label for _, ps in series for p in ps}
    fig.update_layout(_layout(title, 150 + 32 * len(labels) * max(1, len(series)), barmode="group"))
    fig.update_xaxes(
        title_text=esc(axis), tickformat=".0%" if percent else None, rangemode="tozero"
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    if reference_line is not None:
        fig.add_vline(x=reference_line, line_dash="dot", line_color=GREY)
    return fig


def lines(
    title: str, x: Sequence[str], series: Sequence[tuple[str, Sequence[Point]]], *, axis: str
) -> Any:
    """One line per series over the periods ``x``, with interval error bars; a NaN value
    (withheld or undefined) leaves a gap."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (name, points) in enumerate(series):
        fig.add_trace(
            go.Scatter(
                name=esc(name),
                x=[esc(v) for v in x],
                y=[None if math.isnan(p.value) else p.value for p in points],
                error_y=_errors(points),
                mode="lines+markers",
                line={"color": SERIES[i % len(SERIES)]},
                hovertemplate="%{x}: %{y:.1%}<extra>" + esc(name) + "</extra>",
            )
        )
    fig.update_layout(_layout(title, 380))
    fig.update_xaxes(type="category", automargin=True)
    fig.update_yaxes(title_text=esc(axis), tickformat=".0%", rangemode="tozero", automargin=True)
    return fig


def heatmap(title: str, x: Sequence[str], y: Sequence[str], z: Sequence[Sequence[float]]) -> Any:
    """Shares of an intersection of two attributes; NaN cells (suppressed) stay blank."""
    import plotly.graph_objects as go

    text = [["" if math.isnan(v) else f"{v:.1%}" for v in row] for row in z]
    zz = [[None if math.isnan(v) else v for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            x=[esc(v) for v in x],
            y=[esc(v) for v in y],
            z=zz,
            text=text,
            texttemplate="%{text}",
            colorscale="Cividis",
            colorbar={"title": {"text": "share"}, "tickformat": ".0%"},
            hovertemplate="%{y} & %{x}: %{z:.2%}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(_layout(title, 140 + 40 * len(y)))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(automargin=True)
    return fig


def forest(
    title: str,
    points: Sequence[Point],
    *,
    axis: str,
    band: tuple[float, float] | None,
    band_label: str,
    log: bool = True,
    ideal: float = 1.0,
) -> Any:
    """A forest plot: one row per group, its value and interval, the accepted band shaded."""
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Scatter(
            x=[p.value for p in points],
            y=[esc(p.label) for p in points],
            mode="markers",
            marker={"color": BLUE, "size": 9, "symbol": "square"},
            error_x=_errors(points),
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
            showlegend=False,
        )
    )
    span = _span(points, band, ideal, log)
    if band is not None:
        high = band[1] if math.isfinite(band[1]) else span[1]
        fig.add_vrect(
            x0=band[0],
            x1=high,
            fillcolor=GREEN,
            opacity=0.15,
            line_width=0,
            annotation_text=esc(band_label),
            annotation_position="top left",
        )
    fig.add_vline(x=ideal, line_color=GREY, line_dash="dot")
    fig.update_layout(_layout(title, 120 + 30 * len(points)))
    fig.update_xaxes(title_text=esc(axis), type="log" if log else "linear")
    if log:
        # the axis spans the data, not the shaded band; ticks are plain numbers, one set
        ticks = [t for t in _LOG_TICKS if span[0] <= t <= span[1]]
        fig.update_xaxes(
            range=[math.log10(span[0]), math.log10(span[1])],
            tickvals=ticks,
            ticktext=[f"{t:g}" for t in ticks],
        )
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


_LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.8, 1.0, 1.25, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)


def _span(
    points: Sequence[Point], band: tuple[float, float] | None, ideal: float, log: bool
) -> tuple[float, float]:
    """The least and greatest x worth showing: values, finite interval ends, the ideal and
    the band's finite edges, padded by a tenth (of the log range on a log axis)."""
    xs = [ideal] + [x for p in points for x in (p.value, p.low, p.high) if math.isfinite(x)]
    if band is not None:
        xs += [b for b in band if math.isfinite(b)]
    if log:
        xs = [x for x in xs if x > 0] or [ideal]
        low, high = math.log10(min(xs)), math.log10(max(xs))
        pad = max(0.1 * (high - low), 0.05)
        return 10 ** (low - pad), 10 ** (high + pad)
    low, high = min(xs), max(xs)
    pad = max(0.1 * (high - low), 0.01)
    return low - pad, high + pad


def dumbbell(
    title: str,
    labels: Sequence[str],
    before: Sequence[float],
    after: Sequence[float],
    *,
    axis: str,
    percent: bool = False,
) -> Any:
    """Each group's value before and after, joined by a line; ``percent``: rates and shares,
    shown as percentages like every other chart and table of them."""
    import plotly.graph_objects as go

    fig = go.Figure()
    ys = [esc(v) for v in labels]
    xs: list[float | None] = []
    yl: list[str | None] = []
    for y, b, a in zip(ys, before, after, strict=True):
        xs += [b, a, None]
        yl += [y, y, None]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=yl,
            mode="lines",
            line={"color": "#bbbbbb", "width": 3},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for name, values, colour, symbol in (
        ("before", before, BEFORE, "circle"),
        ("after", after, AFTER, "diamond"),
    ):
        fig.add_trace(
            go.Scatter(
                x=list(values),
                y=ys,
                mode="markers",
                name=name,
                marker={"color": colour, "size": 11, "symbol": symbol},
                hovertemplate="%{y}: %{x:"
                + (".1%" if percent else ".3f")
                + "}<extra>"
                + name
                + "</extra>",
            )
        )
    fig.update_layout(_layout(title, 130 + 30 * len(labels)))
    fig.update_xaxes(title_text=esc(axis), tickformat=".0%" if percent else None)
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


def tradeoff(
    title: str,
    series: Sequence[tuple[str, tuple[float, float], tuple[float, float]]],
    *,
    axis: str,
) -> Any:
    """Accuracy (y) against a disparity (x), ``(disparity, accuracy)`` before and after, one
    pair of points per series."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (name, before, after) in enumerate(series):
        colour = SERIES[i % len(SERIES)]
        fig.add_trace(
            go.Scatter(
                x=[before[0], after[0]],
                y=[before[1], after[1]],
                mode="lines+markers+text",
                name=esc(name),
                text=["before", "after"],
                textposition="top center",
                marker={"color": colour, "size": 11, "symbol": ["circle", "diamond"]},
                line={"color": colour, "dash": "dot"},
                hovertemplate=esc(name) + ": %{x:.3f}, accuracy %{y:.4f}<extra></extra>",
            )
        )
    fig.update_layout(_layout(title, 460))
    fig.update_xaxes(title_text=esc(axis), rangemode="tozero")
    fig.update_yaxes(title_text="accuracy on held-out rows", tickformat=".1%", automargin=True)
    return fig
