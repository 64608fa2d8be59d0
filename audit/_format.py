"""Text shown to people: control characters made visible, so data cannot drive a terminal."""

from __future__ import annotations

import unicodedata

__all__ = ["printable"]

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
