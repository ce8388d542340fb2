"""The operator's screens: the PIN pad and the kiosk's settings. Pure, like ``state``.

They open only from the operator's key (F12 or Ctrl+Alt+S on a keyboard plugged into the
kiosk): no sequence of taps on the customer's screens leads here, and the card reader types
only digits and Enter. The PIN is checked by the app against a hash kept on the kiosk; after
``pin_attempts`` wrong PINs the pad locks for ``pin_lock_s``.
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.model import (
    NONE,
    Attract,
    CheckPin,
    Choose,
    Issuing,
    Key,
    KioskState,
    LocalSettings,
    Notice,
    PinChecked,
    PinEntry,
    Result,
    SaveSettings,
    Settings,
    Tap,
    go,
)

TRANSPORTS = (
    "",
    "network",
    "serial",
    "usb",
    "usblp",
    "file",
    "dummy",
)  # "": the branch's [printer]
TEXT_FIELDS = ("engine", "printer.host", "printer.port", "printer.device")
PIN_MAX = 12


def open_pin(state: KioskState, now: float) -> Result:
    if isinstance(state.screen, Issuing):
        return state, NONE
    if not state.pin_set:
        return go(state, Notice("no_pin", now + state.timing.notice_s), now), NONE
    if now < state.pin_locked_until:
        return go(state, Notice("locked", now + state.timing.notice_s), now), NONE
    return go(replace(state, last_touch=now), PinEntry(), now), NONE


def key(state: KioskState, message: Key) -> Result:
    now, k = message.now, message.key
    screen = state.screen
    if k == "operator":
        return open_pin(state, now)
    state = replace(state, last_touch=now)
    if k == "escape":
        return go(state, Choose(), now), NONE
    if isinstance(screen, PinEntry):
        if k == "enter":
            return _submit(state, screen, now)
        if k == "backspace":
            return replace(state, screen=replace(screen, digits=screen.digits[:-1])), NONE
        if k.isdigit() and len(screen.digits) < PIN_MAX and not screen.checking:
            return replace(state, screen=replace(screen, digits=screen.digits + k)), NONE
        return state, NONE
    if isinstance(screen, Settings) and screen.field is not None:
        if k == "enter":
            return replace(state, screen=replace(screen, field=None)), NONE
        text = field_value(screen.draft, screen.field)
        text = text[:-1] if k == "backspace" else text + k if len(k) == 1 else text
        if screen.field == "printer.port" and text and not text.isdigit():
            return state, NONE
        draft = with_field(screen.draft, screen.field, text)
        return replace(state, screen=replace(screen, draft=draft)), NONE
    return state, NONE


def tap(state: KioskState, message: Tap) -> Result:
    now, target = message.now, message.target
    state = replace(state, last_touch=now)
    screen = state.screen
    if isinstance(screen, PinEntry):
        if target == "pin:cancel":
            return go(state, Choose(), now), NONE
        if target == "pin:ok":
            return _submit(state, screen, now)
        if target == "pin:del":
            return replace(state, screen=replace(screen, digits=screen.digits[:-1])), NONE
        digit = target.removeprefix("pin:")
        if digit.isdigit() and len(screen.digits) < PIN_MAX and not screen.checking:
            return replace(state, screen=replace(screen, digits=screen.digits + digit)), NONE
        return state, NONE
    if isinstance(screen, Settings):
        return _settings_tap(state, screen, target, now)
    return state, NONE


def _submit(state: KioskState, screen: PinEntry, now: float) -> Result:
    if screen.checking or not screen.digits:
        return state, NONE
    checking = replace(screen, checking=True, digits="")
    return replace(state, screen=checking), (CheckPin(screen.digits),)


def pin_checked(state: KioskState, message: PinChecked) -> Result:
    screen, now = state.screen, message.now
    if not isinstance(screen, PinEntry):
        return state, NONE
    if message.ok:
        return go(state, Settings(state.local), now), NONE
    wrong = screen.wrong + 1
    if wrong >= state.timing.pin_attempts:
        locked = replace(state, pin_locked_until=now + state.timing.pin_lock_s)
        return go(locked, Notice("locked", now + state.timing.notice_s), now), NONE
    return replace(state, screen=PinEntry(wrong=wrong)), NONE


def _settings_tap(state: KioskState, screen: Settings, target: str, now: float) -> Result:
    draft = screen.draft
    if target == "set:cancel":
        return go(state, Choose(), now), NONE
    if target == "set:save":
        saved = replace(state, local=draft, lang=draft.language)
        return go(saved, Attract(), now), (SaveSettings(draft),)
    name = target.removeprefix("set:field:")
    if name == "printer.transport":
        current = str(draft.printer.get("transport", ""))
        i = TRANSPORTS.index(current) if current in TRANSPORTS else 0
        draft = with_field(draft, name, TRANSPORTS[(i + 1) % len(TRANSPORTS)])
        return replace(state, screen=Settings(draft, None)), NONE
    if name == "language":
        draft = replace(draft, language="en" if draft.language == "zh" else "zh")
        return replace(state, screen=Settings(draft, None)), NONE
    if name in TEXT_FIELDS:
        return replace(state, screen=Settings(draft, name)), NONE
    return state, NONE


def field_value(settings: LocalSettings, name: str) -> str:
    if name == "engine":
        return settings.engine
    if name == "language":
        return settings.language
    return str(settings.printer.get(name.removeprefix("printer."), ""))


def with_field(settings: LocalSettings, name: str, text: str) -> LocalSettings:
    if name == "engine":
        return replace(settings, engine=text.strip())
    printer = dict(settings.printer)
    key = name.removeprefix("printer.")
    if text == "":
        printer.pop(key, None)
    else:
        printer[key] = int(text) if key == "port" else text
    return replace(settings, printer=printer)
