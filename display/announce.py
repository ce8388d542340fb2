"""What the hall hears and in what order: the announcement queue and the spoken phrase.

Pure. The queue takes the calls the state saw, in event order, and hands them to the voice
one at a time, so two calls never talk over each other. It remembers which calls it has
already taken (a ticket and its call count), so an event replayed after a reconnect is not
spoken twice, while a recall (a new call count) is spoken again. A call whose customer has
already reached the counter (started, finished…) before its turn is dropped. When calls
pile up (a busy peak), each is said once instead of ``repeat`` times so the backlog drains.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from dataclasses import dataclass

from display.settings import VoiceSettings
from display.state import Call

#: Ticket events after which nobody needs to hear the call any more.
SETTLES_CALL = frozenset(
    {"ticket.started", "ticket.finished", "ticket.skipped", "ticket.cancelled",
     "ticket.transferred"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Utterance:
    """One call to say, and how many times."""

    call: Call
    repeats: int


class AnnouncementQueue:
    """Calls waiting to be spoken, first come first said, each once per call count."""

    def __init__(self, repeat: int = 2, max_age_s: float = 60.0, remember: int = 2000) -> None:
        self.repeat = repeat
        self.max_age_s = max_age_s
        self._pending: OrderedDict[str, Call] = OrderedDict()  # by ticket id
        self._seen: deque[tuple[str, int]] = deque(maxlen=remember)
        self._seen_set: set[tuple[str, int]] = set()

    def __len__(self) -> int:
        return len(self._pending)

    def _remember(self, key: tuple[str, int]) -> None:
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(key)
        self._seen_set.add(key)

    def offer(self, call: Call, now: float) -> bool:
        """Queue ``call`` to be spoken; False when it was heard already or is too old.

        A recall of a ticket still waiting its turn replaces that entry in place: the
        customer hears their number once, not twice in a row.
        """
        if call.key in self._seen_set or not call.live:
            return False
        self._remember(call.key)
        if call.at is not None and now - call.at > self.max_age_s:
            return False
        self._pending[call.ticket_id] = call  # a pending recall keeps its place
        return True

    def settle(self, ticket_id: str) -> None:
        """The ticket no longer needs calling (the customer came, or it closed)."""
        self._pending.pop(ticket_id, None)

    def take(self) -> Utterance | None:
        """The next call to say, or None; said once when others are waiting behind it."""
        if not self._pending:
            return None
        _, call = self._pending.popitem(last=False)
        return Utterance(call, 1 if self._pending else self.repeat)

    def pending(self) -> list[str]:
        return [c.number for c in self._pending.values()]


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of speech: a word in a language, looked up or synthesised on its own."""

    lang: str  # "zh" | "en"
    text: str


_PLACEHOLDER = re.compile(r"(\{number\}|\{counter\})")


def spoken_number(number: str) -> list[str]:
    """A ticket number is read character by character: "A012" → A, 0, 1, 2."""
    return [ch for ch in number if not ch.isspace()]


def phrase(template: str, lang: str, number: str, counter: int) -> list[Segment]:
    """The segments of one sentence; a counter number is read as a whole (12 → 十二)."""
    segments: list[Segment] = []
    for part in _PLACEHOLDER.split(template):
        if part == "{number}":
            segments.extend(Segment(lang, ch) for ch in spoken_number(number))
        elif part == "{counter}":
            segments.append(Segment(lang, str(counter)))
        else:
            segments.extend(Segment(lang, w) for w in part.replace(",", " ,").split())
    return segments


def sentences(call: Call, voice: VoiceSettings) -> list[list[Segment]]:
    """The sentences of one saying of ``call``: Chinese, then English when configured."""
    said = [phrase(voice.template_zh, "zh", call.number, call.counter)]
    if voice.english:
        said.append(phrase(voice.template_en, "en", call.number, call.counter))
    return said


def text_of(call: Call, voice: VoiceSettings) -> str:
    """The sentence as text, for the log (and the log is the voice when there is no speaker)."""
    zh = voice.template_zh.format(number=call.number, counter=call.counter)
    if not voice.english:
        return zh
    return f"{zh} / {voice.template_en.format(number=call.number, counter=call.counter)}"
