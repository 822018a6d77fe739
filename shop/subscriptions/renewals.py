"""When a subscription renews: pure day maths, no database, no Stripe.

A renewal should arrive before the delivered capsules run out. The first one is timed by the
product's titration plan (dose steps of (day, capsules a night), day 0 = the first night after
delivery): the day the capsules run out, less the reorder buffer (`REORDER_BUFFER_DAYS`).
90 capsules at 1 -> 2 -> 3 a night (days 0, 7, 14) run out on day 37: with a buffer of 7 the
first renewal is on day 30. Each later order is taken at the full dose, so renewals then follow
every `interval_days`: the full-dose nights one order covers (90 / 3 = 30).

"Stay at this dose one more week" on a step (a hold) adds 7 nights at that step's dose: every
later step moves 7 days on. "I started today" (a restart) re-anchors day 0 on that date.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from shop.followups import plan

HOLD_DAYS = 7  # as `shop.followups.services.HOLD_DAYS`
MIN_INTERVAL_DAYS = 1
MAX_INTERVAL_DAYS = 365  # Stripe's longest recurring interval in days


@dataclass(frozen=True)
class Renewal:
    runs_out_on: date
    first_renewal_on: date
    interval_days: int


def held_steps(steps: list[tuple[int, int]], holds: list[int] = ()) -> list[tuple[int, int]]:
    """The plan after holds: each hold at day `d` moves every step after `d` on by 7 days.

    `holds` are the plan days (as first scheduled) of the steps the customer held at.
    """
    shifted = []
    for day, dose in sorted(steps):
        moved = sum(HOLD_DAYS for hold in holds if hold < day)
        shifted.append((day + moved, dose))
    return shifted


def _doses(steps: list[tuple[int, int]], serving_capsules: int) -> list[tuple[int, int]]:
    """The plan, or one step at the serving size for a product without one."""
    return sorted(steps) if steps else [(0, max(serving_capsules, 1))]


def runout_day(steps: list[tuple[int, int]], capsules: int, *, serving_capsules: int = 1,
               holds: list[int] = ()) -> int:
    """The first night the capsules cannot cover the dose (days after the plan's start)."""
    return plan.runout_day(held_steps(_doses(steps, serving_capsules), holds), capsules)


def first_renewal_day(steps: list[tuple[int, int]], capsules: int, buffer_days: int, *,
                      serving_capsules: int = 1, holds: list[int] = ()) -> int:
    """Days after the plan's start the first renewal bills: run-out day less the buffer (>= 1)."""
    runout = runout_day(steps, capsules, serving_capsules=serving_capsules, holds=holds)
    return max(runout - max(buffer_days, 0), 1)


def interval_days(steps: list[tuple[int, int]], capsules: int, *, serving_capsules: int = 1) -> int:
    """The full-dose nights one order covers (the last step's dose): days between renewals."""
    full_dose = _doses(steps, serving_capsules)[-1][1]
    return max(capsules // full_dose, MIN_INTERVAL_DAYS)


def schedule(steps: list[tuple[int, int]], capsules: int, *, starts_on: date, buffer_days: int,
             serving_capsules: int = 1, holds: list[int] = ()) -> Renewal:
    """Run-out date, first renewal date and interval for a plan started on `starts_on`
    (the delivery date, or the day of the latest restart)."""
    runout = runout_day(steps, capsules, serving_capsules=serving_capsules, holds=holds)
    first = first_renewal_day(steps, capsules, buffer_days, serving_capsules=serving_capsules,
                              holds=holds)
    return Renewal(runs_out_on=starts_on + timedelta(days=runout),
                   first_renewal_on=starts_on + timedelta(days=first),
                   interval_days=interval_days(steps, capsules, serving_capsules=serving_capsules))


def most_bottles(steps: list[tuple[int, int]], capsules_per_bottle: int, *, serving_capsules: int = 1,
                 limit: int) -> int:
    """The most bottles one renewal may ship (at most `limit`): N bottles renew every
    `interval_days` of N bottles, and Stripe bills at least once a year (MAX_INTERVAL_DAYS)."""
    bottles = max(limit, 1)
    while bottles > 1 and interval_days(steps, capsules_per_bottle * bottles,
                                        serving_capsules=serving_capsules) > MAX_INTERVAL_DAYS:
        bottles -= 1
    return bottles
