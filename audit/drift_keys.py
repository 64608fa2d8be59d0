"""The period of each row, on the engine: the year, quarter or month of a date (or the value
itself), as an integer key, and the name a period is shown by (2015, 2015-Q2, 2015-03)."""

from __future__ import annotations

from typing import Any

import narwhals as nw

from audit.exceptions import ConfigError

__all__ = ["UTC_ZONES", "period_expr", "period_name"]


UTC_ZONES = (None, "UTC", "Etc/UTC")  # None: a timestamp without a time zone, taken as written


def period_expr(column: str, dtype: Any, freq: str | None) -> nw.Expr:
    """The period of each row: its year (2015), year * 10 + quarter (20152) or year * 100 +
    month (201503); with ``freq=None`` the value itself. A time-zone-aware timestamp is an
    instant: its period is taken in UTC, on every engine (biasaudit's DuckDB connections use
    UTC)."""
    x = nw.col(column)
    if freq is None:
        return x
    if dtype in (nw.Categorical, nw.Enum):  # a category of ISO text
        x, dtype = x.cast(nw.String), nw.String
    if dtype == nw.String:
        x = x.str.slice(0, 10).str.to_datetime(format="%Y-%m-%d")
    elif dtype == nw.Object:  # pandas' column of datetime.date or datetime objects
        x = x.cast(nw.Date)
    elif dtype == nw.Datetime and getattr(dtype, "time_zone", None) not in UTC_ZONES:
        x = x.dt.convert_time_zone("UTC")  # an instant's period is taken in UTC
    elif dtype not in (nw.Date, nw.Datetime):
        raise ConfigError(
            f"The time column '{column}' is not a date, a timestamp or ISO text. Hint: with "
            "freq=None its values are the periods in sorted order (a year, a release)."
        )
    year = x.dt.year()  # no cast: pandas' year of a missing date is a float NaN
    if freq == "year":
        return year
    month = x.dt.month()
    if freq == "quarter":
        return year * 10 + (month - 1) // 3 + 1
    return year * 100 + month


def period_name(code: str, freq: str | None) -> str:
    if freq is None:
        return code
    value = int(float(code))
    if freq == "year":
        return str(value)
    if freq == "quarter":
        return f"{value // 10}-Q{value % 10}"
    return f"{value // 100}-{value % 100:02d}"
