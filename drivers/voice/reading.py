"""How numbers and letters are read aloud, in Chinese and in English. Pure.

A ticket number is read digit by digit ("A012" → A 零一二: "A twelve" would be wrong at a
counter), a counter number as a number (12 → 十二). Neither is left to a G2P: cn2an turns
"012" into 十二, and misaki drops every Latin letter but A. Latin letters are read as their
English names, as Chinese halls say them; for the neural voice they are given as phonemes.
"""

from __future__ import annotations

import re

DIGITS_ZH = "零一二三四五六七八九"
DIGITS_EN = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TEENS_EN = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
            "seventeen", "eighteen", "nineteen")  # fmt: skip
TENS_EN = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

#: English letter names in the neural voice's phoneme alphabet (misaki's: A = eɪ, I = aɪ,
#: O = oʊ), each with its stress mark.
LETTER_PHONEMES = {
    "A": "ˈA", "B": "bˈi", "C": "sˈi", "D": "dˈi", "E": "ˈi", "F": "ˈɛf", "G": "ʤˈi",
    "H": "ˈAʧ", "I": "ˈI", "J": "ʤˈA", "K": "kˈA", "L": "ˈɛl", "M": "ˈɛm", "N": "ˈɛn",
    "O": "ˈO", "P": "pˈi", "Q": "kjˈu", "R": "ˈɑɹ", "S": "ˈɛs", "T": "tˈi", "U": "jˈu",
    "V": "vˈi", "W": "dˈʌbəlju", "X": "ˈɛks", "Y": "wˈI", "Z": "zˈɛd",
}  # fmt: skip


def digits_zh(digits: str) -> str:
    """Each digit as its Chinese numeral: "012" → 零一二 (零, never 〇 or 洞)."""
    return "".join(DIGITS_ZH[int(d)] if d.isdigit() else d for d in digits)


def number_zh(n: int) -> str:
    """A counter number read as a number: 3 → 三, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五."""
    if n < 0:
        raise ValueError(f"no reading for {n}")
    if n < 10:
        return DIGITS_ZH[n]
    if n < 20:
        return "十" + (DIGITS_ZH[n % 10] if n % 10 else "")
    if n < 100:
        return DIGITS_ZH[n // 10] + "十" + (DIGITS_ZH[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        head = DIGITS_ZH[n // 100] + "百"
        if rest == 0:
            return head
        if rest < 10:
            return head + "零" + DIGITS_ZH[rest]
        return head + (("一" + number_zh(rest)) if rest < 20 else number_zh(rest))
    return digits_zh(str(n))


def number_en(n: int) -> str:
    """A counter number in English words: 3 → three, 12 → twelve, 21 → twenty-one."""
    if n < 10:
        return DIGITS_EN[n]
    if n < 20:
        return TEENS_EN[n - 10]
    if n < 100:
        return TENS_EN[n // 10] + (f"-{DIGITS_EN[n % 10]}" if n % 10 else "")
    if n < 1000:
        rest = n % 100
        head = f"{DIGITS_EN[n // 100]} hundred"
        return head if rest == 0 else f"{head} and {number_en(rest)}"
    return " ".join(DIGITS_EN[int(d)] for d in str(n))


def ticket_zh(number: str) -> str:
    """A ticket number as the Chinese voice reads it: "A012" → "A零一二" (letters kept)."""
    return digits_zh(number.strip().upper())


def ticket_en(number: str) -> str:
    """A ticket number in English: "A012" → "A, zero one two"."""
    letters = "".join(ch for ch in number.upper() if ch.isalpha())
    digits = " ".join(DIGITS_EN[int(ch)] for ch in number if ch.isdigit())
    return ", ".join(part for part in (" ".join(letters), digits) if part)


_LATIN = re.compile(r"[A-Za-z]+")


def latin_runs(text: str) -> list[tuple[bool, str]]:
    """``text`` split into (is_latin, run) pieces: "请A零一二号" → 请 / A / 零一二号."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for match in _LATIN.finditer(text):
        if match.start() > pos:
            out.append((False, text[pos : match.start()]))
        out.append((True, match.group()))
        pos = match.end()
    if pos < len(text):
        out.append((False, text[pos:]))
    return out


def letters_phonemes(letters: str) -> str:
    """Latin letters as their English names in phonemes; unknown characters are dropped."""
    return " ".join(LETTER_PHONEMES[ch] for ch in letters.upper() if ch in LETTER_PHONEMES)
