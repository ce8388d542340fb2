"""Vendor dialects against the frames their public sources print, byte for byte."""

from __future__ import annotations

import pytest

from drivers.serial.dialects import dialect_named
from drivers.serial.messages import Ack, KeyCode, Keys, Ping, Poll, ShowText
from drivers.serial.modbus_sign import ModbusDigitSignDialect
from drivers.serial.protocol import ProtocolError
from drivers.serial.rflink import PressFilter, RFLinkDialect
from drivers.serial.strip_sign import StripSignDialect

STRIP = StripSignDialect()
DIGITS = ModbusDigitSignDialect()

# Published frames (sources in drivers/README.md): a taxi roof sign saying 空车 ("for hire")
# and a training-kit sign saying "AB欢迎光临12", each with the properties its source used.
EMPTY_TAXI = bytes.fromhex("AA01BB5154D50B07630163BFD5B3B5FF")
WELCOME = bytes.fromhex("AA01BB51547201000002634142BBB6D3ADB9E2C1D93132FF")
# The digit-sign maker's examples: show "P2.3" on sign 1, and the sign's echo of that write.
SHOW_P23 = bytes.fromhex("01100070000 60C50322E33000000000000000 03B25".replace(" ", ""))
P23_ECHO = bytes.fromhex("01100070000641D0")


def test_strip_sign_frames_are_the_published_ones_byte_for_byte() -> None:
    assert STRIP.frame(1, bytes.fromhex("0B07630163"), "空车".encode("gbk")) == EMPTY_TAXI
    assert STRIP.frame(1, bytes.fromhex("0100000263"), "AB欢迎光临12".encode("gbk")) == WELCOME


def test_strip_sign_frames_read_back_as_what_the_sign_shows() -> None:
    reader = STRIP.reader()
    assert reader.feed(b"\x00\x13" + EMPTY_TAXI + WELCOME) == [
        ShowText(1, "空车"),
        ShowText(1, "AB欢迎光临12"),
    ]
    assert reader.garbled == 1


def test_a_strip_sign_call_flashes_and_a_steady_text_shows_at_once() -> None:
    frame = STRIP.encode(ShowText(3, "A012", flash_s=6))
    # AA addr BB 51 54 | sum | flash, speed 0, 6 s, red, 63 | "A012" | FF
    assert frame == bytes.fromhex("AA03BB5154 44 0700060063 41303132 FF".replace(" ", ""))
    assert STRIP.encode(ShowText(3, "暂停服务"))[6:11] == bytes.fromhex("0800000063")
    assert STRIP.reader().feed(frame) == [ShowText(3, "A012", 6)]


def test_a_strip_sign_is_write_only_and_cannot_be_pinged_or_polled() -> None:
    assert not STRIP.acknowledges and STRIP.frame_gap_s > 0
    for message in (Ping(3), Poll(3)):
        with pytest.raises(ProtocolError):
            STRIP.encode(message)


def test_digit_sign_write_is_the_makers_example_byte_for_byte() -> None:
    assert DIGITS.encode(ShowText(1, "P2.3")) == SHOW_P23
    assert DIGITS.encode(Ack(1)) == P23_ECHO


def test_digit_sign_reads_the_echo_as_the_acknowledgement() -> None:
    reader = DIGITS.reader()
    assert reader.feed(P23_ECHO[:5]) == []
    assert reader.feed(P23_ECHO[5:]) == [Ack(1)]
    assert DIGITS.reader().feed(SHOW_P23) == [ShowText(1, "P2.3")]


def test_a_digit_sign_shows_dashes_for_chinese_and_a_number_as_it_is() -> None:
    (shown,) = DIGITS.reader().feed(DIGITS.encode(ShowText(7, "暂停服务")))
    assert shown == ShowText(7, "----")
    (number,) = DIGITS.reader().feed(DIGITS.encode(ShowText(7, "A012", flash_s=6)))
    assert number == ShowText(7, "A012")  # no flashing in the register map


def test_the_receivers_lines_are_presses_of_the_configured_keys() -> None:
    dialect = RFLinkDialect({3: KeyCode.CALL_NEXT}, evaluators=[0x1234])
    line = b"20;45;EV1527;ID=295FD59;SWITCH=3;CMD=ON;\r\n"
    assert dialect.reader().feed(line) == [Keys(0x295FD59, None, (KeyCode.CALL_NEXT,))]
    assert dialect.reader().feed(b"20;46;EV1527;ID=1234;SWITCH=1;CMD=ON;\r\n") == [
        Keys(0x1234, None, (KeyCode.EVAL_5,))  # an evaluator's 满意
    ]
    assert dialect.reader().feed(b"20;47;PONG;\r\n") == [Ack(0)]
    assert dialect.encode(Ping(0)) == b"10;PING;\r\n"


def test_other_rf_devices_and_unmapped_keys_are_ignored_not_raised() -> None:
    reader = RFLinkDialect().reader()
    noise = b"20;48;Oregon TempHygro;ID=0ACC;TEMP=00be;HUM=40;\r\n20;49;EV1527;ID=1;SWITCH=F;\r\n"
    assert reader.feed(noise) == []
    assert reader.unknown == 2 and reader.garbled == 0


def test_a_held_button_repeating_its_code_is_one_press() -> None:
    presses = PressFilter(window_s=0.6)
    assert presses.accept(7, KeyCode.CALL_NEXT, 10.0)
    assert not presses.accept(7, KeyCode.CALL_NEXT, 10.2)
    assert not presses.accept(7, KeyCode.CALL_NEXT, 10.7)  # still the same burst
    assert presses.accept(7, KeyCode.RECALL, 10.8)
    assert presses.accept(7, KeyCode.CALL_NEXT, 11.5)


def test_dialects_refuse_devices_they_do_not_drive() -> None:
    with pytest.raises(ProtocolError, match="does not drive a keypad"):
        dialect_named("aa51", "keypad")
    with pytest.raises(ProtocolError, match="does not drive a sign"):
        dialect_named("v68", "sign")  # its sign commands were never the vendor's
    assert dialect_named("led485", "sign").name == "led485"
    assert dialect_named("rflink", "evaluator").pushes_keys
