"""What a follow-up email says: tonight's dose, the next step and its date, the signed links."""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache

from flask import current_app
from sqlalchemy import Row, select

from shop.catalog.advice import doctor_signs
from shop.catalog.models import Product
from shop.db import as_utc
from shop.emails.models import MARKETING, TRANSACTIONAL
from shop.emails.services import EmailSpec
from shop.extensions import db
from shop.followups import links, plan as plan_maths
from shop.followups.models import CHECKIN, DOSE, MARKETING_KINDS, REORDER, SCHEDULED, FollowUp
from shop.orders.models import Order
from shop.templating import store_zone

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
TEMPLATE = {DOSE: "followup_dose", CHECKIN: "followup_checkin", REORDER: "followup_reorder"}


def capsules_phrase(count: int) -> str:
    """`1 capsule (one)`-style wording: numbers for scanning, words for reading aloud."""
    word = NUMBER_WORDS[count] if count < len(NUMBER_WORDS) else str(count)
    return f"{count} capsule{'s' if count != 1 else ''} ({word})"


def local_day(moment: datetime) -> str:
    local = as_utc(moment).astimezone(store_zone())
    return f"{local:%A, %B} {local.day}"


@lru_cache(maxsize=16)
def _unsubscribe_mailbox(default_sender: str, configured: str | None) -> str:
    # Parsed once per setting, not once per email of a dispatch pass.
    return configured or f"unsubscribe@{parseaddr(default_sender)[1].rpartition('@')[2]}"


def unsubscribe_headers(url: str) -> dict:
    """RFC 8058 one-click unsubscribe: an HTTPS URL (POSTed by the mailbox) and a mailto."""
    mailbox = _unsubscribe_mailbox(current_app.config["MAIL_DEFAULT_SENDER"], current_app.config.get("UNSUBSCRIBE_MAILTO"))
    token = url.rstrip("/").rpartition("/")[2]
    return {
        "List-Unsubscribe": f"<{url}>, <mailto:{mailbox}?subject=unsubscribe%20{token}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@dataclass(frozen=True)
class ProductFacts:
    """What a follow-up email says of its product, read once per dispatch pass. Plain data, so a
    batch's commit (which expires every ORM row in the session) does not send it back to the
    database for every batch of the pass."""

    id: int
    name: str
    slug: str
    disclaimer: str | None
    guarantee_days: int | None
    serving_capsules: int
    capsules_per_bottle: int
    dose_timing: str | None
    side_effect_advice: str | None
    stopping_advice: str | None
    doctor_signs: tuple[str, ...]


def product_facts(product_ids: Iterable[int], known: dict[int, ProductFacts] | None = None) -> dict[int, ProductFacts]:
    """`known` with the products of `product_ids` it lacks added (one query for those, none when
    it has them all). The dispatcher keeps one such dict for its whole pass."""
    known = {} if known is None else known
    missing = set(product_ids) - known.keys()
    if missing:
        for product in db.session.scalars(select(Product).where(Product.id.in_(missing))):
            known[product.id] = ProductFacts(
                id=product.id, name=product.name, slug=product.slug, disclaimer=product.disclaimer,
                guarantee_days=product.guarantee_days, serving_capsules=product.serving_capsules,
                capsules_per_bottle=product.capsules_per_bottle, dose_timing=product.dose_timing,
                side_effect_advice=product.side_effect_advice, stopping_advice=product.stopping_advice,
                doctor_signs=tuple(doctor_signs(product)))
    return known


def guarantee_deadline(order: Order, products: dict[int, ProductFacts]) -> datetime | None:
    """Delivery plus the strictest (shortest) guarantee among the order's products; None for a
    subscription's renewal (the guarantee covers its first order only)."""
    from shop.subscriptions.services import is_renewal

    days = [products[item.product_id].guarantee_days for item in order.items
            if products[item.product_id].guarantee_days]
    if not days or order.delivered_at is None or is_renewal(order):
        return None
    return as_utc(order.delivered_at) + timedelta(days=min(days))


# A step of the row's plan: a FollowUp, or a row of its columns (id, kind, status, due_at, ...).
PlanStep = FollowUp | Row


def followup_email(row: FollowUp, order: Order, plan: list[PlanStep], products: dict[int, ProductFacts]) -> EmailSpec:
    """The email of `row`; its dedupe key `followup:<id>` makes sure it is queued at most once.

    `products` holds the facts of every product of `order` (`product_facts`).
    """
    product = products[row.product_id]
    later_doses = [r for r in plan if r.kind == DOSE and r.status == SCHEDULED
                   and (as_utc(r.due_at), r.id) > (as_utc(row.due_at), row.id)]
    next_step = later_doses[0] if later_doses else None
    unsubscribe_url = links.link(row.id, links.UNSUBSCRIBE)
    deadline = guarantee_deadline(order, products)
    context = {
        "followup": row, "order": order, "product": product,
        "tonight": capsules_phrase(row.capsules), "capsules": row.capsules,
        # The product's own advice: when in the day, side effects, stopping, when to see a doctor.
        "dose_timing": product.dose_timing, "side_effect_advice": product.side_effect_advice,
        "stopping_advice": product.stopping_advice, "doctor_signs": list(product.doctor_signs),
        "full_dose": product.serving_capsules,
        "next_step": next_step,
        "next_phrase": capsules_phrase(next_step.capsules) if next_step else None,
        "next_date": local_day(next_step.due_at) if next_step else None,
        "hold_url": links.link(row.id, links.HOLD),
        "started_url": links.link(row.id, links.STARTED),
        "unsubscribe_url": unsubscribe_url,
        "product_url": current_app.config["PUBLIC_URL"] + f"/products/{product.slug}",
        "guarantee_deadline": local_day(deadline) if deadline else None,
        "runout_date": None,
    }
    if row.kind == REORDER:
        doses = [(r.step_day + r.delay_days, r.capsules) for r in plan if r.kind == DOSE]
        quantity = sum(i.bottles for i in order.items if i.product_id == row.product_id)  # bundles count their bottles
        runout = plan_maths.runout_day(doses, product.capsules_per_bottle * quantity)
        if runout is not None:
            context["runout_date"] = local_day(plan_maths.due_at(row.starts_on, runout, 0, current_app.config["SHOP_TIMEZONE"]))
    return EmailSpec(
        TEMPLATE[row.kind], order.email, context=context, order_id=order.id,
        dedupe_key=dedupe_key(row),
        category=MARKETING if row.kind in MARKETING_KINDS else TRANSACTIONAL,
        headers=unsubscribe_headers(unsubscribe_url),
    )


def dedupe_key(row: FollowUp) -> str:
    return f"followup:{row.id}"
