"""How a product reads to a person: the plan week by week, and schema.org data for search engines."""
from dataclasses import dataclass

from flask import current_app, url_for

from shop.catalog.models import STEP_CHECKIN, Product
from shop.catalog.snapshots import ProductView
from shop.money import from_minor


@dataclass(frozen=True)
class PlanRow:
    label: str  # "Week 1", "Weeks 3–4", "Weeks 5–9 (nights 31–60)", "Week 9 onwards"
    first_day: int
    capsules: int
    note: str
    checkin: bool


def titration_weeks(product: Product | ProductView) -> list[PlanRow]:
    """The titration plan as rows a customer can follow ("Week 1: 1 capsule")."""
    steps = list(product.titration_steps)
    rows = []
    for index, step in enumerate(steps):
        next_day = steps[index + 1].day if index + 1 < len(steps) else None
        rows.append(PlanRow(_label(step.day, next_day), step.day, step.capsules, step.note,
                            step.kind == STEP_CHECKIN))
    return rows


def _label(day: int, next_day: int | None) -> str:
    """Weeks as a customer counts them (day 0 is the first night, in week 1).

    A step that does not start and end on a week boundary also names its nights, so the
    table stays exact: "Weeks 3–5 (nights 15–30)".
    """
    first_week = day // 7 + 1
    if next_day is None:
        return f"Week {first_week} onwards" + ("" if day % 7 == 0 else f" (from night {day + 1})")
    last_week = (next_day - 1) // 7 + 1
    weeks = f"Week {first_week}" if last_week == first_week else f"Weeks {first_week}–{last_week}"
    if day % 7 == 0 and next_day % 7 == 0:
        return weeks
    return f"{weeks} (nights {day + 1}–{next_day})"


def product_url(slug: str) -> str:
    """The product page's address for search engines and links that leave the page.

    PUBLIC_URL, not the request's Host header: what uses it is cached and shared by every visitor.
    """
    return current_app.config["PUBLIC_URL"] + url_for("catalog.product_detail", slug=slug)


def product_json_ld(product: ProductView) -> dict:
    """The page's one schema.org Product node; other parts of the page (reviews) refer to its @id."""
    url = product_url(product.slug)
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "@id": url,
        "name": product.name,
        "description": product.summary,
        "sku": product.slug,
        "brand": {"@type": "Brand", "name": current_app.config["SHOP_NAME"]},
        "url": url,
        "offers": {
            "@type": "Offer",
            "url": url,
            "price": f"{from_minor(product.price, product.currency):f}",
            "priceCurrency": product.currency.upper(),
            "availability": "https://schema.org/InStock" if product.in_stock else "https://schema.org/OutOfStock",
        },
    }
    if product.images:
        data["image"] = [image.url(absolute=True) for image in product.images]
    if product.rating_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": product.rating_average,
            "reviewCount": product.rating_count,
        }
    return data
