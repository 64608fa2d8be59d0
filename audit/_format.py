"""Text shown to people: numbers, intervals and p-values as the terminal, the report and the
gate print them, and control characters made visible so data cannot drive a terminal."""

from __future__ import annotations

import math
import unicodedata
from typing import Protocol

__all__ = [
    "DASH",
    "MINUS",
    "count",
    "fmt_bracketed",
    "fmt_diff",
    "fmt_estimate",
    "fmt_p",
    "fmt_pp",
    "fmt_rate",
    "fmt_ratio",
    "fmt_sig",
    "printable",
    "sig_digits",
]

DASH = "–"  # en dash between interval ends
MINUS = "−"


class Interval(Protocol):
    """A value with its interval and, when undefined, the reason (an ``Estimate``)."""

    @property
    def value(self) -> float: ...

    @property
    def ci_low(self) -> float: ...

    @property
    def ci_high(self) -> float: ...

    @property
    def reason(self) -> str | None: ...


# Bidirectional overrides and isolates can reorder what a reader sees ("Trojan source").
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with control characters (ANSI escapes, bidi overrides, NUL...) written as
    visible escapes such as ``\\x1b``; everything else unchanged.

    Examples
    --------
    >>> printable("\\x1b[31mred")
    '\\\\x1b[31mred'
    >>> printable("Amer-Indian-Eskimo")
    'Amer-Indian-Eskimo'
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if keep_newlines and ch == "\n":
            out.append(ch)
        elif ch in _BIDI or unicodedata.category(ch) == "Cc":
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def count(n: float) -> str:
    """``32,561``; weights keep one decimal; NaN (withheld) says so."""
    if math.isnan(n):
        return "withheld"
    if float(n).is_integer():
        return f"{int(n):,}"
    return f"{n:,.1f}"


def _num(x: float, digits: int, percent: bool = False) -> str:
    if math.isinf(x):
        return "∞" if x > 0 else f"{MINUS}∞"
    text = f"{x * 100:.{digits}f}" if percent else f"{x:.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]  # -0.0001 rounds to 0.000, not −0.000
    return text.replace("-", MINUS)


def fmt_estimate(e: Interval | None, digits: int = 3, *, percent: bool = False) -> str:
    """``"0.358 (0.338–0.379)"``; an undefined value says why."""
    if e is None:
        return "n/a"
    if math.isnan(e.value):
        if e.reason and e.reason.startswith("withheld"):
            return e.reason  # suppression, not an undefined value
        return f"undefined ({e.reason})" if e.reason else "undefined"
    unit = "%" if percent else ""
    value = _num(e.value, digits, percent) + unit
    if math.isnan(e.ci_low) or math.isnan(e.ci_high):
        return value
    if math.isinf(e.ci_high):
        return f"{value} ({_num(e.ci_low, digits, percent)} to ∞)"
    low, high = _num(e.ci_low, digits, percent), _num(e.ci_high, digits, percent)
    sep = " to " if MINUS in low + high else DASH  # a dash beside a minus sign misreads
    return f"{value} ({low}{sep}{high}{unit})"


def fmt_rate(e: Interval | None) -> str:
    return fmt_estimate(e, 1, percent=True)


def fmt_ratio(e: Interval | None) -> str:
    return fmt_estimate(e, 3)


def fmt_diff(e: Interval | None) -> str:
    return fmt_estimate(e, 3)


def fmt_pp(e: Interval | None) -> str:
    """A difference of two rates in percentage points: ``"13.1 pp (12.1 to 14.2)"``."""
    if e is None or math.isnan(e.value):
        return fmt_estimate(e)
    value = _num(e.value, 1, True)
    if math.isnan(e.ci_low) or math.isnan(e.ci_high):
        return f"{value} pp"
    return f"{value} pp ({_num(e.ci_low, 1, True)} to {_num(e.ci_high, 1, True)})"


def fmt_p(p: float) -> str:
    if math.isnan(p):
        return "n/a"
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"


def fmt_bracketed(e: Interval | None, digits: int = 3, *, signed: bool = False) -> str:
    """The terminal's form, ``0.358 [0.338, 0.379]``, or ``n/a`` when undefined."""
    if e is None or math.isnan(e.value):
        return "n/a"
    sign = "+" if signed else ""
    value = f"{e.value:{sign}.{digits}f}"
    if math.isnan(e.ci_low) or (e.ci_low == e.value == e.ci_high):
        return value
    return f"{value} [{e.ci_low:{sign}.{digits}f}, {e.ci_high:{sign}.{digits}f}]"


def sig_digits(x: float, significant: int = 3) -> int:
    """Decimals that show ``x`` to ``significant`` figures: 0.358 → 3, 1.25 → 2, 12.3 → 1.

    >>> sig_digits(0.358), sig_digits(1.25), sig_digits(12.3), sig_digits(0.99996)
    (3, 2, 1, 2)
    """
    if x == 0 or not math.isfinite(x):
        return significant - 1
    magnitude = math.floor(math.log10(abs(x)))
    if round(abs(x), significant - 1 - magnitude) >= 10 ** (magnitude + 1):
        magnitude += 1  # 0.99996 reads 1.00, not 1.000
    return max(0, significant - 1 - magnitude)


def fmt_sig(e: Interval, significant: int = 3) -> str:
    """An estimate for reading: 3 significant figures, its interval at the same decimals,
    ``"0.358 (95% CI 0.338 to 0.379)"``; exact values stay in the tables.

    Examples
    --------
    >>> from audit.metrics.inference import Estimate
    >>> fmt_sig(Estimate(0.35812, 0.33791, 0.37944, 100))
    '0.358 (95% CI 0.338 to 0.379)'
    >>> fmt_sig(Estimate(1.2466, 1.0, 1.5539, 100))
    '1.25 (95% CI 1.00 to 1.55)'
    """
    digits = sig_digits(e.value, significant)
    value = _num(e.value, digits)
    if math.isnan(e.ci_low) or math.isnan(e.ci_high):
        return value
    high = "∞" if math.isinf(e.ci_high) else _num(e.ci_high, digits)
    return f"{value} (95% CI {_num(e.ci_low, digits)} to {high})"
