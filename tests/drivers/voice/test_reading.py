"""How ticket numbers, counters and letters are read."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from drivers.voice.reading import (
    LETTER_PHONEMES,
    digits_zh,
    latin_runs,
    letters_phonemes,
    number_en,
    number_zh,
    ticket_en,
    ticket_zh,
)


def test_ticket_digits_are_read_one_by_one_with_zero_as_ling() -> None:
    assert ticket_zh("A012") == "A零一二"
    assert ticket_zh("v008") == "V零零八"
    assert digits_zh("1000") == "一零零零"


def test_counters_are_read_as_numbers() -> None:
    said = {1: "一", 3: "三", 10: "十", 12: "十二", 20: "二十", 21: "二十一", 100: "一百",
            105: "一百零五", 110: "一百一十", 115: "一百一十五", 230: "二百三十"}  # fmt: skip
    assert {n: number_zh(n) for n in said} == said


def test_english_numbers_and_tickets() -> None:
    assert [number_en(n) for n in (3, 12, 21, 40, 105)] == [
        "three", "twelve", "twenty-one", "forty", "one hundred and five"]  # fmt: skip
    assert ticket_en("A012") == "A, zero one two"


def test_every_latin_letter_has_a_spoken_name_in_phonemes() -> None:
    assert set(LETTER_PHONEMES) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert letters_phonemes("vb") == "vˈi bˈi"


def test_latin_letters_are_cut_out_of_a_chinese_sentence() -> None:
    assert latin_runs("请VIP零一号") == [(False, "请"), (True, "VIP"), (False, "零一号")]


@given(st.integers(min_value=0, max_value=999))
def test_a_counter_reading_uses_only_chinese_numerals(n: int) -> None:
    assert set(number_zh(n)) <= set("零一二三四五六七八九十百")


@given(st.from_regex(r"[A-Z]{1,2}[0-9]{3,4}", fullmatch=True))
def test_a_ticket_reading_keeps_letters_and_spells_every_digit(number: str) -> None:
    said = ticket_zh(number)
    assert len(said) == len(number)
    assert not any(ch.isdigit() and ch.isascii() for ch in said)
