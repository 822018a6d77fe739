"""The day maths of a titration plan: pure functions, no database, easy to test.

A plan is a list of (day, capsules) dose steps: from `day` (0 = the first night) the customer
takes `capsules` each night until the next step.
"""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def runout_day(steps: list[tuple[int, int]], capsules: int) -> int | None:
    """The first night the bottle(s) cannot cover the dose, or None without a plan.

    90 capsules at 1/2/3 a night (days 0, 7, 14) cover nights 0-36: they run out on day 37.
    """
    steps = sorted(steps)
    if not steps or capsules <= 0:
        return None
    left = capsules
    for index, (day, dose) in enumerate(steps):
        until = steps[index + 1][0] if index + 1 < len(steps) else None
        nights = None if until is None else until - day
        if nights is not None and left >= nights * dose:
            left -= nights * dose
            continue
        # The bottle runs out during this step.
        return day + left // dose
    raise AssertionError("unreachable: the last step has no end")


def local_date(moment: datetime, tz: str) -> date:
    """The calendar date of `moment` in the store's time zone."""
    return moment.astimezone(ZoneInfo(tz)).date()


def evening_of(day: date, hour: int, tz: str) -> datetime:
    """`hour`:00 local time on `day`, as aware UTC. zoneinfo applies that date's DST offset."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def due_at(starts_on: date, day: int, hour: int, tz: str) -> datetime:
    return evening_of(starts_on + timedelta(days=day), hour, tz)


def dose_on(steps: list[tuple[int, int]], day: int) -> int:
    """The nightly dose on `day` (the first step's dose before the plan starts)."""
    steps = sorted(steps)
    dose = steps[0][1]
    for step_day, capsules in steps:
        if step_day <= day:
            dose = capsules
    return dose
