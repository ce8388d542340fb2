"""Appointments on simulated days: the head start shortens appointment waits and costs
walk-ins a bounded extra wait (walk-ins do not starve)."""

from __future__ import annotations

from queue_core.sim.appointments import figures


def test_the_head_start_serves_appointments_near_their_time_without_starving_walk_ins() -> None:
    none, fifteen = figures("pension_day", seeds=2, share=0.15, service="A", heads_min=[0, 15])
    assert fifteen.appt_mean < none.appt_mean / 2
    assert fifteen.appt_within_10min > none.appt_within_10min
    assert fifteen.walkin_mean < none.walkin_mean + 60  # under a minute more on average
    assert fifteen.extra_p99 <= 15 * 60  # a walk-in's extra wait stays under the head start
    assert none.extra_max == 0 and fifteen.appointments > 0
