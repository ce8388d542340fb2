"""The frame formats: bytes on the wire, checksums, and a stream reader that survives noise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.serial.dialects import dialect_named
from drivers.serial.messages import Ack, KeyCode, KeypadShow, Keys, Message, Ping, Poll, ShowText
from drivers.serial.protocol import (
    BranchQDialect,
    ProtocolError,
    Vendor68Dialect,
    crc16_modbus,
)

BQ = BranchQDialect()
V68 = Vendor68Dialect()


def test_crc16_modbus_matches_the_published_check_value() -> None:
    assert crc16_modbus(b"123456789") == 0x4B37


def test_a_sign_frame_is_laid_out_as_the_readme_says() -> None:
    frame = BQ.encode(ShowText(3, "A012", flash_s=6))
    assert frame[0] == 0x02 and frame[-1] == 0x03
    assert frame[1:4] == bytes([3, 0x10, 5])  # address, SHOW, payload length
    assert frame[4:9] == b"\x06A012"  # flash seconds, text
    crc = crc16_modbus(frame[1:9])
    assert frame[9:11] == bytes([crc & 0xFF, crc >> 8])


def test_chinese_sign_text_travels_as_gbk() -> None:
    frame = BQ.encode(ShowText(8, "暂停服务"))
    assert bytes.fromhex("d4ddcda3b7fecef1") in frame
    assert BQ.reader().feed(frame) == [ShowText(8, "暂停服务")]


def test_a_character_outside_gbk_becomes_a_question_mark_not_an_error() -> None:
    (message,) = BQ.reader().feed(BQ.encode(ShowText(1, "A012😀")))
    assert isinstance(message, ShowText) and message.text == "A012?"


MESSAGES: list[Message] = [
    Ping(1),
    ShowText(2, "欢迎光临", 0),
    ShowText(247, "A012", 6),
    Poll(101, 7),
    KeypadShow(101, "A012", 13),
    Ack(5),
    Ack(5, fault=True),
    Keys(101, 9, (KeyCode.TRANSFER, KeyCode.DIGIT_2, KeyCode.CONFIRM, KeyCode.EVAL_5)),
    Keys(101, 0, ()),
]


@pytest.mark.parametrize("message", MESSAGES, ids=repr)
def test_bq1_round_trips_every_message(message: Message) -> None:
    assert BQ.reader().feed(BQ.encode(message)) == [message]


@pytest.mark.parametrize(
    "message",
    [
        Ping(1),
        ShowText(2, "A012", 6),
        Poll(101),
        KeypadShow(101, "A012", 13),
        Ack(5),
        Keys(101, None, (KeyCode.CALL_NEXT,)),
        Keys(101, None, (KeyCode.EVAL_3,)),
    ],
    ids=repr,
)
def test_v68_round_trips_every_message(message: Message) -> None:
    assert V68.reader().feed(V68.encode(message)) == [message]


def test_v68_call_key_is_the_vendors_frame_with_its_sum_checksum() -> None:
    frame = V68.encode(Keys(101, None, (KeyCode.CALL_NEXT,)))
    assert frame == bytes([0xFF, 0x68, 2, 2, 0x68, 101, 0x0C, (101 + 0x0C) & 0xFF, 0x16])


def test_v68_no_key_answer_reads_as_an_ack() -> None:
    assert V68.reader().feed(V68.encode(Keys(101, None, ()))) == [Ack(101)]


def test_garbage_and_a_corrupted_frame_are_skipped_and_counted() -> None:
    reader = BQ.reader()
    bad = bytearray(BQ.encode(ShowText(1, "A001")))
    bad[5] ^= 0xFF  # checksum no longer matches
    good = BQ.encode(ShowText(2, "A002"))
    found = reader.feed(b"\x00\x55\xaa" + bytes(bad) + good)
    assert found == [ShowText(2, "A002")]
    assert reader.garbled == 1


def test_a_frame_split_anywhere_is_still_found() -> None:
    frames = b"".join(BQ.encode(m) for m in MESSAGES)
    for cut in range(1, len(frames)):
        reader = BQ.reader()
        assert reader.feed(frames[:cut]) + reader.feed(frames[cut:]) == MESSAGES
        assert reader.garbled == 0


@given(st.binary(max_size=200))
def test_random_noise_never_crashes_the_reader_and_a_good_frame_after_it_is_read(
    noise: bytes,
) -> None:
    reader = BQ.reader()
    reader.feed(noise)
    reader.clear()
    assert reader.feed(BQ.encode(ShowText(4, "A004"))) == [ShowText(4, "A004")]


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=20))
def test_any_common_chinese_text_round_trips(text: str) -> None:
    assert BQ.reader().feed(BQ.encode(ShowText(1, text))) == [ShowText(1, text)]


def test_addresses_outside_the_bus_range_are_refused() -> None:
    with pytest.raises(ProtocolError):
        BQ.encode(Ping(0))
    with pytest.raises(ProtocolError):
        BQ.encode(Ping(248))


def test_unknown_dialect_names_are_refused() -> None:
    assert dialect_named("v68").name == "v68"
    with pytest.raises(ProtocolError):
        dialect_named("acme")


def test_the_readme_example_frames_are_the_bytes_sent() -> None:
    assert BQ.encode(ShowText(3, "A012", flash_s=6)) == bytes.fromhex("02031005064130313219FC03")
    assert BQ.encode(Ack(3)) == bytes.fromhex("02038101 0051D803".replace(" ", ""))
