"""A swiped bank card number: what counts as one (the engine keeps only its keyed hash)."""

from __future__ import annotations

#: How many digits a card number has (ISO/IEC 7812 allows 8 to 19).
CARD_DIGITS = range(8, 20)
#: What to tell someone whose card number was refused.
WHAT_A_CARD_IS = "a card number is 8 to 19 digits"


def is_card_number(text: str) -> bool:
    """Whether ``text`` (as the reader typed it) is a card number."""
    return text.isdigit() and len(text) in CARD_DIGITS
