"""Renewal dates follow the bottle: pure maths over the titration plan."""
from datetime import date

import pytest

from shop.subscriptions import renewals

MAG = [(0, 1), (7, 2), (14, 3)]  # Mag R&R: 1 -> 2 -> 3 a night


def test_mag_rr_one_bottle_runs_out_on_day_37_and_renews_on_day_30_then_every_30():
    assert renewals.runout_day(MAG, 90) == 37
    assert renewals.first_renewal_day(MAG, 90, 7) == 30
    assert renewals.interval_days(MAG, 90) == 30


@pytest.mark.parametrize("bottles, runout, first, interval", [
    (1, 37, 30, 30),
    (2, 67, 60, 60),  # 180 capsules: 7 + 14 = 21 by day 14, then 159 / 3 = 53 nights
    (3, 97, 90, 90),
])
def test_more_bottles_last_longer(bottles, runout, first, interval):
    capsules = 90 * bottles
    assert renewals.runout_day(MAG, capsules) == runout
    assert renewals.first_renewal_day(MAG, capsules, 7) == first
    assert renewals.interval_days(MAG, capsules) == interval


def test_a_flat_plan_and_a_product_without_plan():
    assert renewals.runout_day([(0, 2)], 60) == 30
    assert renewals.first_renewal_day([(0, 2)], 60, 7) == 23
    assert renewals.interval_days([(0, 2)], 60) == 30
    # no plan: the serving size every night
    assert renewals.runout_day([], 120, serving_capsules=1) == 120
    assert renewals.interval_days([], 120, serving_capsules=1) == 120


def test_the_buffer_never_puts_the_renewal_before_day_one():
    assert renewals.first_renewal_day([(0, 3)], 9, 7) == 1
    assert renewals.first_renewal_day(MAG, 90, 0) == 37


def test_a_hold_adds_a_week_at_the_held_dose():
    # held at day 7 (2 a night): 7 more nights at 2 = 14 capsules, so 14 / 3 nights fewer at full
    # dose: 1*7 + 2*14 = 35 by day 21, then 55 / 3 = 18 nights -> day 39
    assert renewals.held_steps(MAG, [7]) == [(0, 1), (7, 2), (21, 3)]
    assert renewals.runout_day(MAG, 90, holds=[7]) == 39
    assert renewals.first_renewal_day(MAG, 90, 7, holds=[7]) == 32
    # two holds (day 0 then day 7): every later step two weeks on
    assert renewals.held_steps(MAG, [0, 7]) == [(0, 1), (14, 2), (28, 3)]
    assert renewals.runout_day(MAG, 90, holds=[0, 7]) == 28 + (90 - 14 - 28) // 3
    # the interval (full dose) does not change with holds
    assert renewals.interval_days(MAG, 90) == 30


def test_a_hold_at_the_last_step_moves_nothing():
    assert renewals.runout_day(MAG, 90, holds=[14]) == 37


def test_schedule_in_dates_and_a_restart_reanchors_it():
    delivered = date(2026, 3, 1)
    first = renewals.schedule(MAG, 90, starts_on=delivered, buffer_days=7)
    assert first == renewals.Renewal(runs_out_on=date(2026, 4, 7), first_renewal_on=date(2026, 3, 31),
                                     interval_days=30)
    restarted = renewals.schedule(MAG, 90, starts_on=date(2026, 3, 10), buffer_days=7)
    assert restarted.first_renewal_on == date(2026, 4, 9)
    held = renewals.schedule(MAG, 90, starts_on=delivered, buffer_days=7, holds=[7])
    assert held.first_renewal_on == date(2026, 4, 2)


@pytest.mark.parametrize("bottles, interval", [(1, 30), (2, 60), (3, 90), (12, 360)])
def test_a_renewal_of_n_bottles_comes_every_n_times_the_interval_of_one(bottles, interval):
    assert renewals.interval_days(MAG, 90 * bottles) == interval == bottles * renewals.interval_days(MAG, 90)


def test_the_most_bottles_a_renewal_ships_keeps_stripe_s_interval_within_a_year():
    assert renewals.most_bottles(MAG, 90, limit=99) == 12  # 12 x 30 = 360 days; 13 would be 390
    assert renewals.most_bottles(MAG, 90, limit=5) == 5
    assert renewals.most_bottles([], 365, limit=99) == 1  # one bottle already lasts a year
    assert renewals.most_bottles([(0, 2)], 60, limit=99) == 12
