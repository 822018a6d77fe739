"""Editing the catalogue (the admin panel's product screens): the rules live here, not in views.

Every function validates everything first and raises `Unprocessable` with per-field messages,
so a refused edit changes nothing. Functions flush; the request commits.
"""
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from shop.catalog.models import (
    DEFAULT_TAX_CODE, FDA_DISCLAIMER, STEP_DOSE, STEP_KINDS, Bundle, Ingredient, Product, TitrationStep,
)
from shop.catalog import alerts
from shop.catalog.services import escape_like
from shop.errors import NotFound, Unprocessable
from shop.extensions import db
from shop.money import DEFAULT_CURRENCY, is_currency
from shop.pagination import Page, paginate

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAX_CODE_PATTERN = re.compile(r"^txcd_[0-9]{8}$")  # Stripe Tax's product tax codes
MAX_GUARANTEE_DAYS = 3650
MAX_STEP_DAY = 3650
MAX_NUMBER = 2**31 - 1  # the columns are 32-bit integers on PostgreSQL

# Stripe Checkout cannot take a payment of 0, so such an order would wait for payment forever.
FREE_UNSELLABLE = "A product priced 0 cannot be sold: set a price before publishing it"

# The product's own advice and Supplement Facts text, with their longest allowed length.
ADVICE_FIELDS = {"dose_timing": 200, "side_effect_advice": 2000, "stopping_advice": 2000, "see_doctor_if": 2000}
FACTS_TEXT_FIELDS = {"serving_size": 100, "other_ingredients": 2000, "allergens": 1000, "warnings": 5000}
MAX_DAILY_VALUE = 100_000  # percent: some vitamins are sold at thousands of percent

PRODUCT_FIELDS = (
    "slug", "name", "summary", "description", "price", "currency", "capsules_per_bottle",
    "serving_capsules", "stock", "guarantee_days", "disclaimer", "published", "tax_code",
    "subscription_discount_percent",
    *ADVICE_FIELDS, *FACTS_TEXT_FIELDS, "servings_per_container",
)


@dataclass(frozen=True)
class IngredientRow:
    name: str
    amount: Decimal
    unit: str
    daily_value_percent: int | None = None


@dataclass(frozen=True)
class StepRow:
    day: int
    capsules: int
    kind: str = STEP_DOSE
    note: str = ""


def list_all_products(page: int = 1, per_page: int = 50, q: str | None = None) -> Page:
    """Every product, published or not, by name; `q` matches name or slug."""
    query = select(Product)
    q = (q or "").strip()
    if q:
        pattern = f"%{escape_like(q.lower())}%"
        query = query.where(or_(func.lower(Product.name).like(pattern, escape="\\"),
                                Product.slug.like(pattern, escape="\\")))
    return paginate(query.order_by(Product.name, Product.id), page, per_page)


def get_product(product_id: int) -> Product:
    product = db.session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .options(selectinload(Product.ingredients), selectinload(Product.titration_steps),
                 selectinload(Product.images))
    )
    if product is None:
        raise NotFound("Product not found")
    return product


def create_product(fields: dict) -> Product:
    """A new product (unpublished unless `published` says so) from the editor's fields."""
    values = _checked_product_fields(fields, product=None)
    product = Product(**values)
    db.session.add(product)
    db.session.flush()
    return product


def update_product(product: Product, fields: dict) -> Product:
    """Change any of the product's own fields (stock and guarantee days included)."""
    values = _checked_product_fields(fields, product=product)
    stock_before = product.stock
    for name, value in values.items():
        setattr(product, name, value)
    db.session.flush()
    if product.stock != stock_before:
        alerts.stock_changed(product, stock_before)  # back-in-stock emails, the low-stock alert re-armed
    return product


def set_published(product: Product, published: bool) -> None:
    """Show or hide the product; a product priced 0 is never published (see FREE_UNSELLABLE)."""
    if published and product.price == 0:
        raise Unprocessable(FREE_UNSELLABLE, errors={"price": [FREE_UNSELLABLE]})
    product.published = bool(published)
    db.session.flush()


def _checked_product_fields(fields: dict, product: Product | None) -> dict:
    """The fields as the database stores them, or Unprocessable naming each bad one."""
    current = {name: getattr(product, name) for name in PRODUCT_FIELDS} if product else {}
    merged = {**current, **{k: v for k, v in fields.items() if k in PRODUCT_FIELDS}}
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    text = {}
    for name, limit in (("slug", 120), ("name", 200), ("summary", 500), ("currency", 3)):
        text[name] = (merged.get(name) or "").strip()
        if len(text[name]) > limit:
            fail(name, f"At most {limit} characters")
    text["slug"] = text["slug"].lower()
    text["currency"] = text["currency"].lower() or DEFAULT_CURRENCY
    for name in ("slug", "name"):
        if not text[name]:
            fail(name, "Required field missing")
    if text["slug"] and not SLUG_PATTERN.match(text["slug"]):
        fail("slug", "Use lower-case letters, digits and single hyphens (e.g. mag-rr)")
    elif text["slug"] and _slug_taken(text["slug"], product):
        fail("slug", "Another product uses this slug")
    if not is_currency(text["currency"]):
        fail("currency", "A three-letter ISO 4217 currency code the shop can charge in, e.g. usd")

    numbers = {}
    for name, minimum in (("price", 0), ("capsules_per_bottle", 1), ("serving_capsules", 1),
                          ("stock", 0), ("guarantee_days", 0)):
        value = merged.get(name, 0 if name in ("stock", "guarantee_days") else None)
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            fail(name, "Required field missing" if value is None else "A whole number")
        elif value < minimum:
            fail(name, f"At least {minimum}")
        elif value > MAX_NUMBER:
            fail(name, f"At most {MAX_NUMBER}")
        else:
            numbers[name] = value
    if numbers.get("guarantee_days", 0) > MAX_GUARANTEE_DAYS:
        fail("guarantee_days", f"At most {MAX_GUARANTEE_DAYS} days")
    if "serving_capsules" in numbers and "capsules_per_bottle" in numbers \
            and numbers["serving_capsules"] > numbers["capsules_per_bottle"]:
        fail("serving_capsules", "A serving cannot be larger than the bottle")
    discount = merged.get("subscription_discount_percent")
    if discount is not None and (isinstance(discount, bool) or not isinstance(discount, int)):
        fail("subscription_discount_percent", "A whole number")
    elif discount is not None and not 1 <= discount <= 90:
        fail("subscription_discount_percent", "Between 1 and 90 percent, or empty: not subscribable")
    tax_code = (merged.get("tax_code") or "").strip() or DEFAULT_TAX_CODE
    if not TAX_CODE_PATTERN.match(tax_code):
        fail("tax_code", "A Stripe tax code: txcd_ and 8 digits, e.g. txcd_99999999 (general tangible goods)")
    if merged.get("published") and numbers.get("price") == 0:
        fail("price", FREE_UNSELLABLE)
    notes = {}
    for name, limit in {**ADVICE_FIELDS, **FACTS_TEXT_FIELDS}.items():
        notes[name] = (merged.get(name) or "").replace("\r\n", "\n").strip()
        if len(notes[name]) > limit:
            fail(name, f"At most {limit} characters")
    servings = merged.get("servings_per_container")
    if servings is not None and (isinstance(servings, bool) or not isinstance(servings, int)
                                 or not 1 <= servings <= MAX_NUMBER):
        fail("servings_per_container", "A whole number of at least 1, or empty to count it from the capsules")
    if errors:
        raise Unprocessable("Please correct the highlighted fields", errors=errors)

    disclaimer = (merged.get("disclaimer") or "").strip() or FDA_DISCLAIMER
    return {
        **text, **numbers, **notes,
        "servings_per_container": servings,
        "description": merged.get("description") or "",
        "disclaimer": disclaimer,
        "tax_code": tax_code,
        "subscription_discount_percent": discount,
        "published": bool(merged.get("published", False)),
    }


def _slug_taken(slug: str, product: Product | None) -> bool:
    query = select(Product.id).where(Product.slug == slug)
    if product is not None and product.id is not None:
        query = query.where(Product.id != product.id)
    return db.session.scalar(query) is not None


# --- ingredients -------------------------------------------------------------------------------

def save_ingredients(product: Product, rows: list[IngredientRow]) -> None:
    """Replace the ingredient list with `rows`, in that order (the label's order)."""
    errors: dict[str, list[str]] = {}
    clean = []
    for index, row in enumerate(rows):
        name, unit = (row.name or "").strip(), (row.unit or "").strip()
        amount = _decimal(row.amount)
        if not name:
            errors.setdefault(f"ingredients.{index}.name", []).append("Required field missing")
        if not unit:
            errors.setdefault(f"ingredients.{index}.unit", []).append("Required field missing")
        if amount is None or not amount.is_finite() or amount < 0 or amount >= Decimal("1e9"):
            errors.setdefault(f"ingredients.{index}.amount", []).append("A non-negative amount")
        daily_value = row.daily_value_percent
        if daily_value is not None and (isinstance(daily_value, bool) or not isinstance(daily_value, int)
                                        or not 0 <= daily_value <= MAX_DAILY_VALUE):
            errors.setdefault(f"ingredients.{index}.daily_value_percent", []).append(
                f"A whole percentage from 0 to {MAX_DAILY_VALUE}, or empty where no Daily Value is established")
        clean.append((name[:200], amount, unit[:20], daily_value))
    if errors:
        raise Unprocessable("Please correct the ingredients", errors=errors)
    existing = list(product.ingredients)
    for position, (name, amount, unit, daily_value) in enumerate(clean):
        if position < len(existing):
            ingredient = existing[position]
            ingredient.name, ingredient.amount, ingredient.unit = name, amount, unit
            ingredient.daily_value_percent = daily_value
            ingredient.position = position
        else:
            product.ingredients.append(Ingredient(position=position, name=name, amount=amount, unit=unit,
                                                  daily_value_percent=daily_value))
    for ingredient in existing[len(clean):]:
        product.ingredients.remove(ingredient)
    db.session.flush()


def remove_ingredient(product: Product, ingredient_id: int) -> None:
    rows = [_ingredient_row(i) for i in product.ingredients if i.id != ingredient_id]
    if len(rows) == len(product.ingredients):
        raise NotFound("Ingredient not found")
    save_ingredients(product, rows)


def move_ingredient(product: Product, ingredient_id: int, offset: int) -> None:
    """Move an ingredient up (-1) or down (+1) the label; at either end it stays put."""
    items = list(product.ingredients)
    index = next((i for i, item in enumerate(items) if item.id == ingredient_id), None)
    if index is None:
        raise NotFound("Ingredient not found")
    target = index + (1 if offset > 0 else -1)
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
        for position, item in enumerate(items):
            item.position = position
        # Keep the loaded list in label order for whoever reads it in this request.
        product.ingredients.sort(key=lambda item: item.position)
        db.session.flush()


def _ingredient_row(ingredient: Ingredient) -> IngredientRow:
    return IngredientRow(ingredient.name, ingredient.amount, ingredient.unit, ingredient.daily_value_percent)


def _decimal(value) -> Decimal | None:
    try:
        return None if value is None or value == "" else Decimal(str(value))
    except InvalidOperation:
        return None


# --- the titration plan -----------------------------------------------------------------------

def save_plan(product: Product, steps: list[StepRow]) -> None:
    """Replace the titration plan with `steps`, given in the order staff arranged them.

    Valid when every day is 0 or more, days strictly ascend in that order (so no two steps share
    a day), every step takes at least one capsule and names a known kind. An empty plan is fine:
    a product may need no titration at all.
    """
    errors: dict[str, list[str]] = {}

    def fail(index: int, field: str, message: str) -> None:
        errors.setdefault(f"steps.{index}.{field}", []).append(message)

    seen_days: set[int] = set()
    previous_day = None
    for index, step in enumerate(steps):
        day, capsules = step.day, step.capsules
        if not isinstance(day, int) or isinstance(day, bool):
            fail(index, "day", "A whole number of days")
        elif day < 0:
            fail(index, "day", "Day must be 0 or later")
        elif day > MAX_STEP_DAY:
            fail(index, "day", f"Day must be at most {MAX_STEP_DAY}")
        elif day in seen_days:
            fail(index, "day", f"Two steps on day {day}; each step needs a day of its own")
        elif previous_day is not None and day < previous_day:
            fail(index, "day", "Days must go up from one step to the next")
        if isinstance(day, int) and not isinstance(day, bool):
            seen_days.add(day)
            previous_day = day if previous_day is None else max(previous_day, day)
        if not isinstance(capsules, int) or isinstance(capsules, bool) or capsules < 1:
            fail(index, "capsules", "At least 1 capsule")
        elif capsules > 100:
            fail(index, "capsules", "At most 100 capsules")
        if step.kind not in STEP_KINDS:
            fail(index, "kind", f"One of {', '.join(STEP_KINDS)}")
        if len(step.note or "") > 2000:
            fail(index, "note", "At most 2000 characters")
    if errors:
        raise Unprocessable("Please correct the titration plan", errors=errors)

    # Remove the old steps before writing the new ones: (product, day) is unique, and the unit
    # of work would otherwise insert a new day 7 before deleting the old one.
    product.titration_steps.clear()
    db.session.flush()
    for step in steps:
        product.titration_steps.append(
            TitrationStep(day=step.day, capsules=step.capsules, kind=step.kind, note=(step.note or "").strip())
        )
    db.session.flush()


def add_step(product: Product, step: StepRow) -> None:
    """Add a step where its day puts it in the plan."""
    rows = sorted([_step_row(s) for s in product.titration_steps] + [step],
                  key=lambda s: s.day if isinstance(s.day, int) else -1)
    try:
        save_plan(product, rows)
    except Unprocessable as exc:
        # Report the errors against the new step's own fields, as the "add a step" form has them.
        index = rows.index(step)
        prefix = f"steps.{index}."
        raise Unprocessable(exc.message, errors={
            key[len(prefix):] if key.startswith(prefix) else key: value for key, value in exc.errors.items()
        }) from exc


def remove_step(product: Product, step_id: int) -> None:
    rows = [_step_row(s) for s in product.titration_steps if s.id != step_id]
    if len(rows) == len(product.titration_steps):
        raise NotFound("Step not found")
    save_plan(product, rows)


def _step_row(step: TitrationStep) -> StepRow:
    return StepRow(step.day, step.capsules, step.kind, step.note)


# --- bundles -----------------------------------------------------------------------------------

MAX_BUNDLE_BOTTLES = 99  # the checkout API takes bundles of 2 to 99 bottles


def add_bundle(product: Product, bottles: int | None, price: int | None, label: str = "") -> Bundle:
    """Offer `bottles` of the product for `price` (minor units, for all of them).

    A bundle is for 2 to 99 bottles, one per size, priced above 0 and below that many single
    bottles (otherwise it is no offer); an empty label reads "3 bottles, save 15%".
    """
    errors: dict[str, list[str]] = {}
    label = (label or "").strip()
    if bottles is None or not 2 <= bottles <= MAX_BUNDLE_BOTTLES:
        errors["bottles"] = [f"From 2 to {MAX_BUNDLE_BOTTLES} bottles"]
    elif any(b.bottles == bottles for b in product.bundles):
        errors["bottles"] = [f"There is already a bundle of {bottles}"]
    if price is None or not 0 < price <= MAX_NUMBER:
        errors["price"] = ["A price above 0"]
    elif bottles and "bottles" not in errors and price >= bottles * product.price:
        errors["price"] = [f"Must be less than {bottles} single bottles cost"]
    if len(label) > 100:
        errors["label"] = ["At most 100 characters"]
    if errors:
        raise Unprocessable("Please correct the bundle", errors=errors)
    bundle = Bundle(bottles=bottles, price=price, label=label)
    product.bundles.append(bundle)
    product.bundles.sort(key=lambda b: b.bottles)
    db.session.flush()
    return bundle


def remove_bundle(product: Product, bundle_id: int) -> None:
    """Stop offering a bundle (orders that bought it keep their lines)."""
    bundle = next((b for b in product.bundles if b.id == bundle_id), None)
    if bundle is None:
        raise NotFound("No such bundle")
    product.bundles.remove(bundle)
    db.session.flush()
