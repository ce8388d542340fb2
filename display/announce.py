"""What the hall hears and in what order: the announcement queue and the spoken phrase.

Pure. The queue takes the calls the state saw, in event order, and hands them to the voice
one at a time, so two calls never talk over each other. It remembers which calls it has
already taken (a ticket and its call count), so an event replayed after a reconnect is not
spoken twice, while a recall (a new call count) is spoken again. A call whose customer has
already reached the counter (started, finished…) before its turn is dropped.

The repeat rule, sized to the hall: a call is said ``repeat`` times when the hall is quiet,
``repeat_busy`` times when other calls wait behind it or the speaker has been busy more than
``max_duty`` of the last ``duty_window_s`` seconds; its English sentence is left out while
other calls wait (``english_busy``), and a call right after another needs no chime. So at a
pension-day peak the speaker keeps pauses and no call waits long for its turn
(``bench/voice.py`` plays the simulator's pension day through this queue).
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass

from display.settings import VoiceSettings
from display.state import Call
from drivers.voice.reading import number_en, number_zh, ticket_en, ticket_zh

#: Ticket events after which nobody needs to hear the call any more.
SETTLES_CALL = frozenset(
    {"ticket.started", "ticket.finished", "ticket.skipped", "ticket.cancelled",
     "ticket.transferred"}
)  # fmt: skip


#: A call that follows another within this many seconds needs no chime to be noticed.
CHIME_AFTER_S = 3.0


@dataclass(frozen=True, slots=True)
class Utterance:
    """One call to say, and how many times."""

    call: Call
    repeats: int
    #: Say the English sentence too (when the branch has one): not while calls wait, by default.
    english: bool = True
    #: Open with the chime: not when it follows right after another call (the hall listens).
    chime: bool = True


class DutyCycle:
    """How much of a recent window the speaker spent talking."""

    def __init__(self, window_s: float = 300.0) -> None:
        self.window_s = window_s
        self._spans: deque[tuple[float, float]] = deque()

    def spoke(self, start: float, end: float) -> None:
        self._spans.append((start, end))

    def quiet_for(self, now: float) -> float:
        """Seconds since the speaker last stopped talking (a long time if it never talked)."""
        return now - self._spans[-1][1] if self._spans else 1e9

    def fraction(self, now: float) -> float:
        since = now - self.window_s
        while self._spans and self._spans[0][1] <= since:
            self._spans.popleft()
        busy = sum(min(end, now) - max(start, since) for start, end in self._spans if start < now)
        return max(0.0, busy) / self.window_s


class AnnouncementQueue:
    """Calls waiting to be spoken, first come first said, each once per call count."""

    def __init__(
        self,
        repeat: int = 2,
        max_age_s: float = 60.0,
        remember: int = 2000,
        repeat_busy: int = 1,
        max_duty: float = 0.5,
        duty_window_s: float = 300.0,
        english_busy: bool = False,
    ) -> None:
        self.repeat = repeat
        self.repeat_busy = repeat_busy
        self.english_busy = english_busy
        self.max_duty = max_duty
        self.max_age_s = max_age_s
        self.duty = DutyCycle(duty_window_s)
        self._pending: OrderedDict[str, Call] = OrderedDict()  # by ticket id
        self._seen: deque[tuple[str, int]] = deque(maxlen=remember)
        self._seen_set: set[tuple[str, int]] = set()
        self._settled: deque[str] = deque(maxlen=200)

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
        self._settled.append(ticket_id)

    def settled(self, call: Call) -> bool:
        """Has the customer of ``call`` arrived (or the ticket closed) since it was taken?"""
        return call.ticket_id in self._settled and call.ticket_id not in self._pending

    def busy(self, now: float) -> bool:
        """Calls wait, or the speaker has talked more than its share of the recent past."""
        return bool(self._pending) or self.duty.fraction(now) >= self.max_duty

    def take(self, now: float = 0.0) -> Utterance | None:
        """The next call to say, or None: ``repeat`` times when quiet, ``repeat_busy`` if busy;
        in English too unless other calls wait behind it (and ``english_busy`` is off)."""
        if not self._pending:
            return None
        _, call = self._pending.popitem(last=False)
        self._settled = deque((t for t in self._settled if t != call.ticket_id), maxlen=200)
        english = self.english_busy or not self._pending
        chime = self.duty.quiet_for(now) > CHIME_AFTER_S
        return Utterance(call, self.repeat_busy if self.busy(now) else self.repeat, english, chime)

    def say_again(self, utterance: Utterance, said: int, now: float) -> bool:
        """After ``said`` sayings: one more? Not once the customer came, or when calls wait."""
        if said >= utterance.repeats or self.settled(utterance.call):
            return False
        return said < self.repeat_busy or not self._pending

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


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a call: the text a synthesiser reads, and its words for recordings."""

    lang: str
    text: str
    words: tuple[str, ...]


def spoken_text(template: str, lang: str, number: str, counter: int) -> str:
    """The sentence with numbers spelled as they are said: 请A零一二号到三号窗口办理业务."""
    if lang == "zh":
        text = template.format(number=ticket_zh(number), counter=number_zh(counter))
        return "".join(text.split())
    text = template.format(number=ticket_en(number), counter=number_en(counter))
    return " ".join(text.split())


def sentences(
    call: Call, voice: VoiceSettings, only: Sequence[str] | None = None
) -> list[Sentence]:
    """The sentences of one saying of ``call``: Chinese, then English when configured
    (or just the languages in ``only``)."""
    langs = [("zh", voice.template_zh)] + ([("en", voice.template_en)] if voice.english else [])
    if only is not None:
        templates = {"zh": voice.template_zh, "en": voice.template_en}
        langs = [(lang, templates[lang]) for lang in only]
    return [
        Sentence(lang, spoken_text(template, lang, call.number, call.counter),
                 tuple(s.text for s in phrase(template, lang, call.number, call.counter)))
        for lang, template in langs
    ]  # fmt: skip


def text_of(call: Call, voice: VoiceSettings) -> str:
    """The sentence as text, for the log (and the log is the voice when there is no speaker)."""
    zh = voice.template_zh.format(number=call.number, counter=call.counter)
    if not voice.english:
        return zh
    return f"{zh} / {voice.template_en.format(number=call.number, counter=call.counter)}"
