"""What a counter's LED sign says, from the counter's state: pure."""

from __future__ import annotations

import unicodedata

from drivers.serial.layout import SignSettings


def columns_of(text: str) -> int:
    """Half-width columns ``text`` takes on a sign: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit(text: str, columns: int) -> str:
    """``text`` cut to what the sign can show (whole characters only)."""
    out, used = [], 0
    for ch in text:
        width = columns_of(ch)
        if used + width > columns:
            break
        out.append(ch)
        used += width
    return "".join(out)


def sign_text(state: str, number: str | None, settings: SignSettings) -> str:
    """The sign of a counter that is ``open``/``paused``/``closed`` with ``number`` called.

    A paused counter says so even with a customer at it: the teller has left the counter.
    """
    if state == "paused":
        text = settings.paused
    elif state == "closed":
        text = settings.closed
    elif number:
        text = settings.number_format.format(number=number)
    else:
        text = settings.welcome
    return fit(text, settings.columns)
