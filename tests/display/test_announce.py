"""The announcement queue: calls said in order, once per call, recalls said again."""

from __future__ import annotations

from display.announce import AnnouncementQueue, Utterance, phrase, sentences, spoken_text, text_of
from display.settings import VoiceSettings
from display.state import Call, call_of
from tests.display.events import called

T0 = 1_790_000_000.0


def call(seq: int, number: str, counter: int, at: float = T0, **kw: object) -> Call:
    made = call_of(called(seq, number, counter, at, **kw), now=T0)  # type: ignore[arg-type]
    assert made is not None
    return made


def said(queue: AnnouncementQueue) -> list[tuple[str, int]]:
    out = []
    while (utterance := queue.take()) is not None:
        out.append((utterance.call.number, utterance.repeats))
    return out


def test_calls_are_said_in_the_order_they_came() -> None:
    queue = AnnouncementQueue(repeat=2)
    for seq, number in enumerate(["A001", "B001", "A002"], start=1):
        assert queue.offer(call(seq, number, seq), T0)
    assert [n for n, _ in said(queue)] == ["A001", "B001", "A002"]


def test_a_lone_call_is_repeated_but_a_backlog_is_said_once_each() -> None:
    queue = AnnouncementQueue(repeat=2)
    queue.offer(call(1, "A001", 1), T0)
    assert said(queue) == [("A001", 2)]
    queue.offer(call(2, "A002", 1), T0)
    queue.offer(call(3, "A003", 2), T0)
    assert said(queue) == [("A002", 1), ("A003", 2)]


def test_an_event_replayed_after_a_reconnect_is_not_said_twice() -> None:
    queue = AnnouncementQueue()
    assert queue.offer(call(7, "A007", 3), T0)
    assert said(queue) == [("A007", 2)]
    assert not queue.offer(call(7, "A007", 3), T0 + 5)
    assert said(queue) == []


def test_a_recall_is_said_again() -> None:
    queue = AnnouncementQueue()
    queue.offer(call(7, "A007", 3), T0)
    said(queue)
    assert queue.offer(call(9, "A007", 3, recall=True, count=2), T0 + 30)
    assert said(queue) == [("A007", 2)]


def test_a_recall_of_a_call_not_yet_said_keeps_one_place_in_the_queue() -> None:
    queue = AnnouncementQueue(repeat=1)
    queue.offer(call(1, "A001", 1), T0)
    queue.offer(call(2, "A002", 2), T0)
    queue.offer(call(3, "A001", 1, recall=True, count=2), T0)
    assert [n for n, _ in said(queue)] == ["A001", "A002"]


def test_a_customer_who_already_arrived_is_not_called_any_more() -> None:
    queue = AnnouncementQueue()
    queue.offer(call(1, "A001", 1), T0)
    queue.offer(call(2, "A002", 2), T0)
    queue.settle("id-A001")
    assert [n for n, _ in said(queue)] == ["A002"]


def test_calls_too_old_to_matter_are_shown_but_not_said() -> None:
    queue = AnnouncementQueue(max_age_s=60)
    assert not queue.offer(call(1, "A001", 1, at=T0 - 600), T0)
    assert queue.offer(call(2, "A002", 1, at=T0 - 10), T0)


def test_the_memory_of_said_calls_is_bounded() -> None:
    queue = AnnouncementQueue(remember=100)
    for i in range(1000):
        queue.offer(call(i + 1, f"A{i:03d}", 1), T0)
        queue.take()
    assert len(queue._seen) == 100 and len(queue._seen_set) == 100


def test_the_sentence_reads_the_number_by_character_and_the_counter_as_a_whole() -> None:
    segments = phrase("请 {number} 号 到 {counter} 号窗口 办理业务", "zh", "A012", 12)
    assert [s.text for s in segments] == [
        "请",
        "A",
        "0",
        "1",
        "2",
        "号",
        "到",
        "12",
        "号窗口",
        "办理业务",
    ]
    assert all(s.lang == "zh" for s in segments)


def test_english_follows_chinese_when_configured() -> None:
    voice = VoiceSettings(english=True)
    c = call(1, "A012", 3)
    zh, en = sentences(c, voice)
    assert zh.words[0] == "请" and zh.lang == "zh"
    assert list(en.words[:5]) == ["Number", "A", "0", "1", "2"]
    # What a synthesiser reads: digits spelled out, the counter as a number.
    assert zh.text == "请A零一二号到三号窗口办理业务"
    assert en.text == "Number A, zero one two, please go to counter three"
    assert (
        text_of(c, voice) == "请 A012 号 到 3 号窗口 办理业务 / Number A012, please go to counter 3"
    )
    assert text_of(c, VoiceSettings(english=False)) == "请 A012 号 到 3 号窗口 办理业务"


def test_the_chinese_sentence_spells_digits_and_reads_counters_as_numbers() -> None:
    template = "请 {number} 号 到 {counter} 号窗口 办理业务"
    assert spoken_text(template, "zh", "V008", 12) == "请V零零八号到十二号窗口办理业务"
    assert spoken_text(template, "zh", "A1000", 20) == "请A一零零零号到二十号窗口办理业务"


def test_a_quiet_hall_hears_a_call_twice_and_a_busy_one_once() -> None:
    queue = AnnouncementQueue(repeat=2, repeat_busy=1, max_duty=0.5, duty_window_s=100)
    queue.offer(call(1, "A001", 1), T0)
    first = queue.take(T0)
    assert first is not None and first.repeats == 2
    assert queue.say_again(first, 1, T0 + 5)
    assert not queue.say_again(first, 2, T0 + 10)


def test_a_second_saying_is_dropped_when_another_call_comes_in_meanwhile() -> None:
    queue = AnnouncementQueue(repeat=2)
    queue.offer(call(1, "A001", 1), T0)
    first = queue.take(T0)
    assert first is not None and first.repeats == 2
    queue.offer(call(2, "A002", 2), T0 + 3)
    assert not queue.say_again(first, 1, T0 + 5)


def test_a_speaker_busy_over_half_the_window_says_each_call_once() -> None:
    queue = AnnouncementQueue(repeat=2, repeat_busy=1, max_duty=0.5, duty_window_s=100)
    queue.duty.spoke(T0 - 80, T0 - 20)  # 60 of the last 100 s talking
    queue.offer(call(1, "A001", 1), T0)
    taken = queue.take(T0)
    assert taken is not None and taken.repeats == 1
    assert queue.duty.fraction(T0) == 0.6
    assert queue.duty.fraction(T0 + 100) == 0.0  # the window moved past it


def test_a_customer_who_arrives_during_the_call_is_not_called_again() -> None:
    queue = AnnouncementQueue(repeat=2)
    queue.offer(call(1, "A001", 1), T0)
    taken = queue.take(T0)
    assert isinstance(taken, Utterance)
    queue.settle("id-A001")
    assert queue.settled(taken.call)
    assert not queue.say_again(taken, 1, T0 + 4)


def test_while_calls_wait_the_english_sentence_and_the_back_to_back_chime_are_left_out() -> None:
    queue = AnnouncementQueue(repeat=2)
    queue.offer(call(1, "A001", 1), T0)
    queue.offer(call(2, "A002", 2), T0)
    first = queue.take(T0)
    assert first is not None and (first.english, first.chime) == (False, True)
    queue.duty.spoke(T0, T0 + 5)
    second = queue.take(T0 + 5.5)
    assert second is not None and (second.english, second.chime) == (True, False)
    queue.offer(call(3, "A003", 3), T0 + 60)
    third = queue.take(T0 + 60)
    assert third is not None and third.chime  # the hall was quiet: the chime calls attention
