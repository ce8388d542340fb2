"""Daily numbers: prefix + at least three digits, per business day in the branch's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from queue_core.domain.numbering import business_day, format_number, parse_number

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_format_and_parse() -> None:
    assert format_number("A", 1) == "A001"
    assert format_number("VA", 42) == "VA042"
    assert format_number("A", 999) == "A999"
    assert format_number("A", 1000) == "A1000"  # widens, never wraps to a repeat
    assert parse_number("VA042") == ("VA", 42)
    assert parse_number("A1000") == ("A", 1000)
    assert parse_number("A12") is None and parse_number("123") is None
    with pytest.raises(ValueError):
        format_number("A", 0)


def test_business_day_is_the_branchs_local_date() -> None:
    # 23:30 UTC on the 12th is 07:30 on the 13th in Shanghai: pension day has begun there.
    ts = datetime(2026, 11, 12, 23, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    assert business_day(ts, SHANGHAI) == "2026-11-13"
    assert business_day(ts, ZoneInfo("UTC")) == "2026-11-12"
