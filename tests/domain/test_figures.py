"""The day's figures of a small scripted day equal the values worked out by hand."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from queue_core.domain import tickets as moves
from queue_core.domain.figures import (
    CounterSpan,
    daily_figures,
    figures_csv,
    percentile,
    tickets_csv,
)
from queue_core.domain.tickets import Status, Ticket

SHANGHAI = timezone(timedelta(hours=8))
#: 09:00 Shanghai time on 2026-03-13 (a pension day) as epoch seconds.
NINE = datetime(2026, 3, 13, 9, 0, tzinfo=SHANGHAI).timestamp()


def at(minutes: float) -> float:
    return NINE + minutes * 60


def issue(
    number: str,
    service: str,
    minute: float,
    tier: str = "normal",
    rank: int = 0,
    green: bool = False,
) -> Ticket:
    return Ticket(
        id=f"id-{number}",
        number=number,
        service=service,
        tier=tier,
        tier_rank=rank,
        green_channel=green,
        status=Status.WAITING,
        issued_at=at(minute),
        queued_at=at(minute),
        business_day="2026-03-13",
    )


def served(
    t: Ticket,
    counter: int,
    teller: str,
    call: float,
    begin: float,
    end: float,
    rating: int | None = None,
) -> Ticket:
    t = moves.call(t, counter, at(call), teller)
    t = moves.start(t, at(begin))
    return moves.finish(t, at(end), rating)


def scripted_day() -> list[Ticket]:
    """Six customers, worked by hand below.

    A001 09:00 normal, called 09:01 at 1 by t01, served 09:01–09:03, rating 5 → wait 60, svc 120
    A002 09:00 gold,   called 09:04 at 1 by t01, served 09:04–09:07, rating 4 → wait 240, svc 180
    B001 09:30 normal green, called 09:32 at 3 by t03, served 09:32–09:37 → wait 120, svc 300
    A003 09:50 normal, called 09:55 at 1, skipped 09:57, reassigned front 09:58, called 10:10
         at 3 by t03, served 10:10–10:12, rating 3 → wait 1200 (issue → the serving call), svc 120
    C001 10:05 diamond, called 10:06 at 3 by t03, served 10:06–10:08 then transferred to D;
         D visit called 10:20 at 1 by t01, served 10:20–10:30 → one customer, wait 60, svc 600
    A004 10:40 normal, still waiting; A005 10:41 normal, cancelled 10:45.
    """
    a1 = served(issue("A001", "A", 0), 1, "t01", 1, 1, 3, 5)
    a2 = served(issue("A002", "A", 0, "gold", 1), 1, "t01", 4, 4, 7, 4)
    b1 = served(issue("B001", "B", 30, green=True), 3, "t03", 32, 32, 37)
    a3 = moves.call(issue("A003", "A", 50), 1, at(55), "t01")
    a3 = moves.skip(a3, at(57))
    a3 = moves.reassign(a3, at(58), front=True)
    a3 = served(a3, 3, "t03", 70, 70, 72, 3)
    c1 = moves.start(moves.call(issue("C001", "C", 65, "diamond", 2), 3, at(66), "t03"), at(66))
    c1_closed, d1 = moves.transfer(c1, at(68), "id-C001-2", service="D")
    d1 = served(d1, 1, "t01", 80, 80, 90)
    a4 = issue("A004", "A", 100)
    a5 = moves.cancel(issue("A005", "A", 101), at(105))
    return [a1, a2, b1, a3, c1_closed, d1, a4, a5]


def test_percentile_is_nearest_rank() -> None:
    values = [60.0, 240.0, 120.0, 1200.0, 60.0]
    assert percentile(values, 50) == 120.0
    assert percentile(values, 90) == 1200.0
    assert percentile([7.0], 90) == 7.0


def test_counts_each_customer_once_across_a_transfer() -> None:
    f = daily_figures(scripted_day(), tz=SHANGHAI)
    assert f["issued"] == 7  # A001 A002 B001 A003 C001(+D) A004 A005
    assert f["served"] == 5  # A001 A002 B001 A003 and C001's D visit
    assert f["transferred"] == 1
    assert f["cancelled"] == 1
    assert f["waiting"] == 1  # A004
    assert f["skipped"] == 0  # A003's skip was undone by the reassign


def test_waits_overall_by_hand() -> None:
    waits = daily_figures(scripted_day(), tz=SHANGHAI)["waits"]
    # Waits: 60, 240, 120, 1200, 60 → sorted 60 60 120 240 1200.
    assert waits == {
        "count": 5,
        "mean_s": 336.0,
        "p50_s": 120.0,
        "p90_s": 1200.0,
        "max_s": 1200.0,
        "over_threshold_share": 0.4,
    }


def test_service_times_and_ratings_by_hand() -> None:
    f = daily_figures(scripted_day(), tz=SHANGHAI)
    # 120, 180, 300, 120, 600 → mean 264.
    assert f["service_times"]["mean_s"] == 264.0
    assert f["service_times"]["max_s"] == 600.0
    assert f["ratings"] == {
        "count": 3,
        "mean": 4.0,
        "distribution": {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1},
    }


def test_by_service_tier_and_hour() -> None:
    f = daily_figures(
        scripted_day(),
        tz=SHANGHAI,
        tier_ranks={"normal": 0, "gold": 1, "diamond": 2, "platinum": 3},
    )
    a = f["by_service"]["A"]
    assert (a["issued"], a["served"], a["cancelled"]) == (5, 3, 1)
    assert a["waits"]["mean_s"] == 500.0  # (60 + 240 + 1200) / 3
    # The customer's wait belongs to the first visit's service; D only has the served visit.
    assert f["by_service"]["C"]["waits"]["count"] == 1
    assert f["by_service"]["D"]["served"] == 1 and f["by_service"]["D"]["issued"] == 0
    assert f["by_tier"]["platinum"]["issued"] == 0  # configured, unused, still listed
    assert f["by_tier"]["gold"]["waits"]["max_s"] == 240.0
    assert f["by_hour"]["09"]["issued"] == 4 and f["by_hour"]["10"]["issued"] == 3
    assert f["by_hour"]["09"]["served"] == 3  # served by finish hour: A001 A002 B001
    assert f["by_hour"]["10"]["served"] == 2
    assert f["vip_served"] == 2  # A002 gold, C001 diamond (served on its D visit)
    assert f["green_channel"]["issued"] == 1 and f["green_channel"]["waits"]["mean_s"] == 120.0


def test_by_teller_and_counter_with_spans() -> None:
    spans = [
        CounterSpan(1, "open", at(0), at(120), "t01"),
        CounterSpan(1, "paused", at(30), at(45), "t01"),
        CounterSpan(3, "open", at(0), at(120), "t03"),
    ]
    f = daily_figures(scripted_day(), tz=SHANGHAI, counter_spans=spans)
    t01 = f["by_teller"]["t01"]
    # t01 called A001 (2 min), A002 (3), D001 (10): busy 15 min. Its call of A003, skipped and
    # then reassigned, is not in the rows (the row keeps the serving call, by t03).
    assert t01["served"] == 3 and t01["skipped"] == 0 and t01["called"] == 3
    assert t01["busy_s"] == 15 * 60
    assert t01["open_s"] == 120 * 60 and t01["idle_s"] == 105 * 60
    assert t01["paused_s"] == 15 * 60
    assert t01["service_times"]["mean_s"] == 300.0  # 120, 180, 600
    assert t01["ratings"]["mean"] == 4.5
    t03 = f["by_teller"]["t03"]
    # B001 5 min, C001 2 min until its transfer, A003 2 min.
    assert t03["busy_s"] == 9 * 60 and t03["transferred"] == 1
    assert list(f["by_counter"]) == ["1", "3"]
    assert f["by_counter"]["1"]["waits"]["count"] == 2  # A001, A002 were first called at 1


def test_without_spans_idle_runs_first_call_to_last_close() -> None:
    t01 = daily_figures(scripted_day(), tz=SHANGHAI)["by_teller"]["t01"]
    assert t01["open_s"] == (90 - 1) * 60  # 09:01 → 10:30
    assert t01["paused_s"] is None


def test_empty_day() -> None:
    f = daily_figures([], tz=UTC)
    assert f["issued"] == 0 and f["waits"]["mean_s"] is None
    assert f["waits"]["over_threshold_share"] is None


def test_tickets_csv_has_one_row_per_visit_in_local_time() -> None:
    text = tickets_csv(scripted_day(), SHANGHAI)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 8
    assert rows[0]["number"] == "A001" and rows[0]["issued_at"] == "2026-03-13T09:00:00+08:00"
    assert rows[0]["wait_s"] == "60.0" and rows[0]["service_s"] == "120.0"
    d_visit = next(r for r in rows if r["service"] == "D")
    assert d_visit["visit"] == "2" and d_visit["origin_id"] == "id-C001"
    assert d_visit["wait_s"] == "720.0"  # transferred 10:08, called 10:20


def test_figures_csv_flattens_every_block() -> None:
    f = daily_figures(scripted_day(), tz=SHANGHAI)
    rows = list(csv.DictReader(io.StringIO(figures_csv(f))))
    found = {(r["dimension"], r["key"], r["metric"]): r["value"] for r in rows}
    assert found[("overall", "", "waits.mean_s")] == "336.0"
    assert found[("service", "A", "served")] == "3"
    assert found[("teller", "t01", "busy_s")] == "900.0"


def test_restarted_rows_give_the_same_figures() -> None:
    """Figures depend on the stored rows only: copies of the rows give equal figures."""
    day = scripted_day()
    assert daily_figures([replace(t) for t in reversed(day)], tz=SHANGHAI) == daily_figures(
        day, tz=SHANGHAI
    )


def test_by_hour_counts_calls_and_transfers_in_the_hour_they_happened() -> None:
    hours = daily_figures(scripted_day(), tz=SHANGHAI)["by_hour"]
    # Called at 09:01, 09:04, 09:32 / at 10:06 (C001), 10:10 (A003's serving call), 10:20 (D).
    assert (hours["09"]["called"], hours["10"]["called"]) == (3, 3)
    # C001 went over to D at 10:08.
    assert (hours["09"]["transferred"], hours["10"]["transferred"]) == (0, 1)


def test_the_care_window_counts_service_given_and_nothing_counts_the_elderly_sent_away() -> None:
    # Counter 3 is the care window: B001 (green channel, wait 120), A003 (wait 1200) were
    # served there; C001 started there but its customer was served at 1 after the transfer.
    f = daily_figures(scripted_day(), tz=SHANGHAI, care_counters={3})
    assert f["care_window"]["counters"] == [3]
    assert f["care_window"]["served"] == 2
    assert f["care_window"]["green_channel_served"] == 1
    assert f["care_window"]["waits"]["count"] == 2 and f["care_window"]["waits"]["max_s"] == 1200
    assert f["green_channel"]["issued"] == 1 and f["green_channel"]["served"] == 1
    flat = repr(f).lower()
    assert "divert" not in flat and "diversion" not in flat
    assert daily_figures(scripted_day(), tz=SHANGHAI)["care_window"]["served"] == 0


def test_a_remote_tickets_wait_runs_from_its_check_in() -> None:
    # Taken at home at 09:00, checked in at 09:40, called at 09:43: a 3-minute wait.
    taken = replace(issue("A001", "A", 0), status=Status.REMOTE, remote_until=at(90))
    checked_in = moves.check_in(taken, at(40), at(40))
    figures = daily_figures([served(checked_in, 3, "t03", 43, 43, 45)], tz=SHANGHAI)
    assert figures["waits"]["max_s"] == 180.0
    assert "180" in tickets_csv([served(checked_in, 3, "t03", 43, 43, 45)], SHANGHAI)
