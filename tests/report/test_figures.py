"""Chart axes: what a reader sees on them."""

from __future__ import annotations

import math

from audit.report import figures as fg


def test_forest_log_axis_spans_the_data_not_past_it():
    # values 0.36-1.4 with intervals 0.3-1.45 and the four-fifths band [0.8, inf): the axis
    # ends a tenth of the log range beyond 1.45, far below 10, with one label per tick
    points = [
        fg.Point("a", 0.36, 0.30, 0.42),
        fg.Point("b", 1.0, 0.9, 1.1),
        fg.Point("c", 1.4, 1.35, 1.45),
    ]
    fig = fg.forest("t", points, axis="ratio", band=(0.8, math.inf), band_label="ok")
    low, high = fig.layout.xaxis.range
    span = math.log10(1.45) - math.log10(0.30)
    assert math.isclose(high, math.log10(1.45) + 0.1 * span)
    assert math.isclose(low, math.log10(0.30) - 0.1 * span)
    ticks = list(fig.layout.xaxis.tickvals)
    assert ticks == [0.5, 0.8, 1.0, 1.25]
    assert list(fig.layout.xaxis.ticktext) == ["0.5", "0.8", "1", "1.25"]
    band = fig.layout.shapes[0]
    assert band.x1 <= 10**high  # the shaded band stops at the axis end


def test_forest_ignores_a_zero_on_the_log_axis():
    points = [fg.Point("a", 0.0), fg.Point("b", 0.5, 0.4, 0.6)]
    fig = fg.forest("t", points, axis="ratio", band=(0.8, math.inf), band_label="ok")
    low, high = fig.layout.xaxis.range
    assert math.isfinite(low)
    assert math.isfinite(high)


def test_before_after_rates_and_shares_are_percentages_like_the_bar_charts():
    rates = fg.dumbbell("r", ["a"], [0.109], [0.241], axis="favourable rate", percent=True)
    assert rates.layout.xaxis.tickformat == ".0%"
    assert all("%{x:.1%}" in t.hovertemplate for t in rates.data if t.hovertemplate)
    ratios = fg.dumbbell("d", ["a"], [0.36], [1.0], axis="disparate impact ratio")
    assert ratios.layout.xaxis.tickformat is None
    assert all("%{x:.3f}" in t.hovertemplate for t in ratios.data if t.hovertemplate)
