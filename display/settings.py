"""What the hall display takes from the branch configuration (``GET /branch``).

The ``[display]`` and ``[voice]`` sections of the branch TOML are free-form for the engine;
this module reads the keys the display understands, with defaults, so that an older or
smaller config still gives a working screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TEMPLATE_ZH = "请 {number} 号 到 {counter} 号窗口 办理业务"
DEFAULT_TEMPLATE_EN = "Number {number}, please go to counter {counter}"


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    """How the screen looks: ``[display]`` of the branch config."""

    english: bool = True
    recent_calls: int = 8
    get_ready: int = 5
    #: The "please get ready" numbers half as large again, at most three a service: for halls
    #: where many read poorly (the service rows grow into the space they need).
    get_ready_large: bool = False
    flash_s: float = 6.0
    #: Calls of these services are set apart as VIP even for a normal-tier ticket.
    vip_services: frozenset[str] = frozenset()
    #: A call older than this (by its event time) when it reaches the display does not flash.
    fresh_s: float = 60.0
    font: str | None = None


@dataclass(frozen=True, slots=True)
class VoiceSettings:
    """What the hall hears: ``[voice]`` of the branch config."""

    enabled: bool = True
    #: Sayings of a call when the hall is quiet…
    repeat: int = 2
    #: …and when other calls wait or the speaker has been busy more than ``max_duty``.
    repeat_busy: int = 1
    max_duty: float = 0.5
    duty_window_s: float = 300.0
    english: bool = False
    #: The English sentence even while other calls wait to be said.
    english_busy: bool = False
    chime: bool = True
    template_zh: str = DEFAULT_TEMPLATE_ZH
    template_en: str = DEFAULT_TEMPLATE_EN
    #: The neural voice (a Mandarin voice of Kokoro) and its speed, used by ``voice build``.
    voice: str = "zf_xiaoyi"
    speed: float = 0.9
    #: eSpeak NG's rate (words per minute) when it is the voice.
    espeak_wpm: int = 170
    #: A call that reaches the display later than this after it happened is shown, not spoken.
    max_age_s: float = 60.0
    #: A folder of recorded words (``zh/请.wav``, ``zh/3.wav``…) used before any synthesis.
    segments_dir: str | None = None
    #: The voice pack folder (default: ``$BRANCHQ_VOICE_PACK`` or the installation's own).
    pack_dir: str | None = None
    #: Pause between the repetitions of one call, seconds.
    gap_s: float = 0.6


@dataclass(frozen=True, slots=True)
class BranchSettings:
    """The branch as the display needs it: names and the two sections above (who is a VIP the
    engine says on each ticket, ``is_vip``)."""

    name: str = ""
    name_en: str = ""
    timezone: str = "Asia/Shanghai"
    display: DisplaySettings = field(default_factory=DisplaySettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)


def _int(section: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return max(low, min(high, int(value)))


def _float(section: Mapping[str, Any], key: str, default: float) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return max(0.0, float(value))


def _str(section: Mapping[str, Any], key: str, default: str) -> str:
    value = section.get(key)
    return value if isinstance(value, str) and value.strip() else default


def display_settings(section: Mapping[str, Any]) -> DisplaySettings:
    vip = section.get("vip_services", [])
    font = section.get("font")
    return DisplaySettings(
        english=bool(section.get("english", True)),
        recent_calls=_int(section, "recent_calls", 8, 1, 10),
        get_ready=_int(section, "get_ready", 5, 0, 5),
        get_ready_large=section.get("get_ready_large") is True,
        flash_s=_float(section, "flash_s", 6.0),
        vip_services=frozenset(str(s) for s in vip) if isinstance(vip, list) else frozenset(),
        fresh_s=_float(section, "fresh_s", 60.0),
        font=font if isinstance(font, str) and font else None,
    )


def _folder(section: Mapping[str, Any], key: str) -> str | None:
    value = section.get(key)
    return value if isinstance(value, str) and value else None


def voice_settings(section: Mapping[str, Any]) -> VoiceSettings:
    repeat = _int(section, "repeat", 2, 1, 5)
    speed = _float(section, "speed", 0.9)
    return VoiceSettings(
        enabled=bool(section.get("enabled", True)),
        repeat=repeat,
        repeat_busy=min(repeat, _int(section, "repeat_busy", 1, 1, 5)),
        max_duty=min(1.0, _float(section, "max_duty", 0.5)),
        duty_window_s=max(30.0, _float(section, "duty_window_s", 300.0)),
        english=bool(section.get("english", False)),
        english_busy=bool(section.get("english_busy", False)),
        chime=bool(section.get("chime", True)),
        template_zh=_str(section, "template_zh", DEFAULT_TEMPLATE_ZH),
        template_en=_str(section, "template_en", DEFAULT_TEMPLATE_EN),
        voice=_str(section, "voice", "zf_xiaoyi"),
        speed=speed if 0.5 <= speed <= 2.0 else 0.9,  # an old espeak-ng wpm means: default
        espeak_wpm=_int(section, "espeak_wpm", 170, 80, 400),
        max_age_s=_float(section, "max_age_s", 60.0),
        segments_dir=_folder(section, "segments_dir"),
        pack_dir=_folder(section, "pack_dir"),
        gap_s=_float(section, "gap_s", 0.6),
    )


def branch_settings(branch: Mapping[str, Any]) -> BranchSettings:
    """Read the body of ``GET /branch``."""
    info = branch.get("branch") or {}
    return BranchSettings(
        name=str(info.get("name", "")),
        name_en=str(info.get("name_en") or ""),
        timezone=str(info.get("timezone") or "Asia/Shanghai"),
        display=display_settings(branch.get("display") or {}),
        voice=voice_settings(branch.get("voice") or {}),
    )
