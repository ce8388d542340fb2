"""The compared ordering rules of other systems behave as those systems describe them."""

from __future__ import annotations

from queue_core.domain.routing import CounterView
from queue_core.domain.tickets import Status, Ticket
from queue_core.sim.selectors import RatioInterleave, WeightedWait, by_name

COUNTER = CounterView(1, ("A",))


def ticket(n: int, at: float, rank: int = 0, green: bool = False) -> Ticket:
    return Ticket(id=f"t{n}", number=f"A{n:03d}", service="A", tier="gold" if rank else "normal",
                  tier_rank=rank, green_channel=green, status=Status.WAITING, issued_at=at,
                  queued_at=at, business_day="2026-03-10")  # fmt: skip


def test_ratio_calls_three_priority_customers_then_one_normal() -> None:
    waiting = [ticket(i, float(i)) for i in range(1, 4)] + [
        ticket(10 + i, 100.0 + i, rank=1) for i in range(6)
    ]
    rule = RatioInterleave(n=3)
    order = []
    for _ in range(8):
        chosen = rule.choose(COUNTER, waiting, 1000.0)
        assert chosen is not None
        order.append("P" if chosen.tier_rank else "N")
        waiting.remove(chosen)
    assert "".join(order) == "PPPNPPPN"


def test_weighted_wait_lets_a_long_wait_beat_a_higher_weight() -> None:
    rule = WeightedWait()
    old_normal = ticket(1, 0.0)
    new_gold = ticket(2, 500.0, rank=1)
    # At 800 s: normal (0+1)*800 = 800 beats gold (1+1)*300 = 600.
    assert rule.choose(COUNTER, [old_normal, new_gold], 800.0) is old_normal
    # At 600 s: normal 600 loses to gold (1+1)*100 = 200? No: 600 > 200, normal still first.
    assert rule.choose(COUNTER, [old_normal, new_gold], 600.0) is old_normal
    newer_normal = ticket(3, 450.0)
    # Gold (1+1)*300 = 600 beats a normal that waited 350 s.
    assert rule.choose(COUNTER, [newer_normal, new_gold], 800.0) is new_gold


def test_policy_names_resolve_to_the_engine_or_the_compared_rules() -> None:
    assert by_name("aging:2").name == "aging 2"
    assert by_name("strict").name == "strict"
    assert by_name("ratio:4").name == "ratio 4:1"
    assert by_name("weighted").name == "(w+1)×wait"
