"""The day maths: when a bottle runs out, and evenings across daylight-saving changes."""
from datetime import UTC, date, datetime

import pytest

from shop.followups.plan import dose_on, due_at, local_date, runout_day

MAG_RR = [(0, 1), (7, 2), (14, 3)]


@pytest.mark.parametrize("steps, capsules, expected", [
    (MAG_RR, 90, 37),            # 7 + 14 + 23*3 = 90: nights 0-36, so it runs out on day 37, not 30
    (MAG_RR, 180, 67),           # two bottles
    (MAG_RR, 10, 8),             # runs out during the second step (7 + 2 on day 7; day 8 short)
    (MAG_RR, 92, 37),            # 2 left over cannot make a 3-capsule night
    ([(0, 3)], 90, 30),          # no titration: the label's 30 days
    ([(0, 1), (14, 2)], 60, 37),  # 14 at one, then 23 nights at two
    ([(0, 2), (7, 1)], 30, 23),  # a plan that steps down
    ([], 90, None),              # no plan, no reminder
])
def test_runout_day(steps, capsules, expected):
    assert runout_day(steps, capsules) == expected


def test_dose_on_a_day():
    assert [dose_on(MAG_RR, d) for d in (0, 6, 7, 13, 14, 40)] == [1, 1, 2, 2, 3, 3]


def test_evening_follows_daylight_saving_time_in_new_york():
    tz = "America/New_York"
    # the US springs forward on Sunday 8 March 2026: 19:00 is 00:00 UTC before, 23:00 UTC after
    assert due_at(date(2026, 3, 7), 0, 19, tz) == datetime(2026, 3, 8, 0, 0, tzinfo=UTC)
    assert due_at(date(2026, 3, 7), 1, 19, tz) == datetime(2026, 3, 8, 23, 0, tzinfo=UTC)
    # and falls back on Sunday 1 November 2026
    assert due_at(date(2026, 10, 31), 0, 19, tz) == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert due_at(date(2026, 10, 31), 1, 19, tz) == datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


def test_evening_in_another_time_zone():
    assert due_at(date(2026, 7, 1), 0, 19, "Europe/Berlin") == datetime(2026, 7, 1, 17, 0, tzinfo=UTC)


def test_the_plan_starts_on_the_local_date_of_delivery():
    # 02:00 UTC on 10 March is still the evening of 9 March in New York
    assert local_date(datetime(2026, 3, 10, 2, 0, tzinfo=UTC), "America/New_York") == date(2026, 3, 9)
