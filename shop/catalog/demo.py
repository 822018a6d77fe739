"""The demo catalogue of DESIGN.md: Mag R&R and friends, each with a plan of its own (or none),
its own advice and Supplement Facts, a picture, and two collections to browse them by."""
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shop.catalog.demo_pictures import bottle_picture
from shop.catalog.models import (STEP_CHECKIN, STEP_DOSE, Bundle, Collection, CollectionProduct, Ingredient, Product,
                                 TitrationStep)
from shop.catalog.pictures import add_picture
from shop.extensions import db

ALLERGEN_FREE = ("Free from the major food allergens: milk, eggs, fish, shellfish, tree nuts, peanuts, wheat, "
                 "soy and sesame.")
# Colours of each demo product's drawn bottle: background, label.
PICTURE_COLOURS = {"mag-rr": ("#e8ecf4", "#2f4b7a"), "calm-ashwagandha": ("#e9efe6", "#4c6b4f"),
                   "daylight-d3-k2": ("#f6efdf", "#b0701c")}
DEMO_COLLECTIONS = [
    {"slug": "sleep", "name": "Sleep", "products": ["mag-rr", "calm-ashwagandha"],
     "description": "For evenings that wind down and nights you sleep through."},
    {"slug": "daily", "name": "Daily", "products": ["daylight-d3-k2", "calm-ashwagandha"],
     "description": "The basics, taken every day with a meal."},
]
# What `seed-demo` fills in on a demo product that is already there, where it is still empty
# (a store from before the field existed): advice, facts, and Mag R&R's subscribe & save discount.
FILLED_FIELDS = ("dose_timing", "side_effect_advice", "stopping_advice", "see_doctor_if", "serving_size",
                 "servings_per_container", "other_ingredients", "allergens", "warnings",
                 "subscription_discount_percent")

DEMO_PRODUCTS = [
    {
        "slug": "mag-rr",
        "name": "Mag R&R",
        "summary": "Night-time magnesium formula: 8 natural compounds to help you unwind and sleep through.",
        "description": (
            "Mag R&R pairs gentle magnesium glycinate with vitamin B6, GABA, 5-HTP and a small dose "
            "of melatonin. A full serving is 3 capsules, taken immediately before bed.\n\n"
            "Build up over three weeks: 1 capsule nightly for a week, then 2 for a week, then the full 3. "
            "Steady progress shows over a few weeks; the best results come after 30–60 days of "
            "consistent use. If you stop, step down slowly rather than stopping all at once."
        ),
        "price": 4900, "currency": "usd", "capsules_per_bottle": 90, "serving_capsules": 3,
        "stock": 500, "guarantee_days": 60, "subscription_discount_percent": 15,
        "dose_timing": "immediately before bed",
        "side_effect_advice": (
            "Vivid dreams or disturbed sleep? That is a sign to go slower, not to stop: stay at your "
            "current dose for another week before stepping up."
        ),
        "stopping_advice": "When you stop, step down slowly over a week or two rather than all at once.",
        "see_doctor_if": (
            "shooting pain, tingling or numbness\nsevere pain\n"
            "cramps after an injury or exposure to a toxin\nmuscle weakness or dark urine"
        ),
        "serving_size": "3 capsules", "servings_per_container": 30,
        "other_ingredients": "Hypromellose (vegetable capsule), microcrystalline cellulose, magnesium stearate.",
        "allergens": ALLERGEN_FREE,
        "warnings": (
            "Contains 5-HTP: do not take with antidepressants (SSRIs, SNRIs, MAOIs), triptans or other "
            "serotonergic medication. Contains melatonin: it may make you drowsy; do not drive or operate "
            "machinery after taking it. Not for use if pregnant or nursing, or by anyone under 18. Ask your "
            "doctor before use if you take any medication or have a medical condition. Keep out of reach of children."
        ),
        # (bottles, price for all of them, label): 3 × 4900 = 14700, sold for 12495 (15% off).
        "bundles": [(3, 12495, "3 bottles, save 15%")],
        "ingredients": [
            ("Magnesium (as magnesium glycinate)", "300", "mg", 71),
            ("Vitamin B6 (as pyridoxine HCl)", "10", "mg", 588),
            ("GABA (gamma-aminobutyric acid)", "250", "mg"),
            ("L-theanine", "100", "mg"),
            ("5-HTP (from Griffonia simplicifolia seed)", "50", "mg"),
            ("Lemon balm leaf extract", "150", "mg"),
            ("Chamomile flower extract", "100", "mg"),
            ("Melatonin", "1", "mg"),
        ],
        "plan": [
            (0, 1, STEP_DOSE, "Start gently: one capsule, immediately before bed."),
            (7, 2, STEP_DOSE, "Step up to two capsules if the first week felt fine."),
            (14, 3, STEP_DOSE, "The full serving: three capsules before bed."),
            (30, 3, STEP_CHECKIN, "A month in: steady progress should be showing."),
            (60, 3, STEP_CHECKIN, "Two months: this is where the best results accumulate."),
        ],
    },
    {
        "slug": "calm-ashwagandha",
        "name": "Calm Ashwagandha",
        "summary": "KSM-66 ashwagandha root with black pepper extract, for evenings that wind down.",
        "description": (
            "One capsule with dinner for the first two weeks, then two. Ashwagandha builds its effect "
            "slowly; give it six weeks."
        ),
        "price": 2900, "currency": "usd", "capsules_per_bottle": 60, "serving_capsules": 2,
        "stock": 200, "guarantee_days": 30,
        "dose_timing": "with dinner",
        "side_effect_advice": (
            "An upset stomach or drowsiness in the first days? Take it with a full meal, and stay at one "
            "capsule for another week before going up."
        ),
        "stopping_advice": "You can stop at any time; there is no need to taper off.",
        "see_doctor_if": (
            "yellowing of the skin or eyes, or pain in the upper right of your belly (signs of liver trouble)\n"
            "a racing heart, shakiness or unusual heat intolerance (signs of an overactive thyroid)\n"
            "a rash, swelling of the face or lips, or difficulty breathing"
        ),
        "serving_size": "2 capsules", "servings_per_container": 30,
        "other_ingredients": "Hypromellose (vegetable capsule), rice flour.",
        "allergens": ALLERGEN_FREE,
        "warnings": (
            "Not for use if pregnant or nursing. Ask your doctor before use if you have a thyroid or "
            "autoimmune condition, take sedatives or thyroid, blood-pressure or blood-sugar medication, or "
            "are due to have surgery. Keep out of reach of children."
        ),
        "ingredients": [
            ("Ashwagandha root extract (KSM-66)", "600", "mg"),
            ("Black pepper fruit extract (piperine)", "5", "mg"),
        ],
        "plan": [
            (0, 1, STEP_DOSE, "Start with one capsule."),
            (14, 2, STEP_DOSE, "Step up to two capsules: the full serving."),
            (42, 2, STEP_CHECKIN, "Six weeks in: how are your evenings?"),
        ],
    },
    {
        "slug": "daylight-d3-k2",
        "name": "Daylight D3 + K2",
        "summary": "Vitamin D3 with K2 (MK-7) in olive oil softgels. One a day with breakfast.",
        "description": "No build-up needed: one softgel daily with a meal that contains some fat.",
        "price": 1900, "currency": "usd", "capsules_per_bottle": 120, "serving_capsules": 1,
        "stock": 300, "guarantee_days": 30,
        "dose_timing": "with breakfast",
        "side_effect_advice": "",
        "stopping_advice": "You can stop at any time.",
        "see_doctor_if": (
            "nausea, vomiting, constant thirst or confusion (signs of too much vitamin D)\n"
            "unusual bruising or bleeding"
        ),
        "serving_size": "1 softgel", "servings_per_container": 120,
        "other_ingredients": "Extra virgin olive oil; softgel: bovine gelatin, glycerin, purified water.",
        "allergens": ALLERGEN_FREE,
        "warnings": (
            "Vitamin K changes how blood thinners such as warfarin work: do not take with them unless your "
            "doctor says so. Keep out of reach of children."
        ),
        "ingredients": [
            ("Vitamin D3 (as cholecalciferol)", "50", "mcg", 250),
            ("Vitamin K2 (as menaquinone-7)", "100", "mcg", 83),
        ],
        "plan": [],
    },
]


def seed_demo_catalogue(progress: Callable[[str], None] = lambda msg: None) -> int:
    """Add each demo product that is not there yet (by slug); returns how many were added.

    A demo product already there keeps what staff set, and gains what it lacks: advice and facts
    left empty (a store upgraded from before they existed), a picture, its collections, the
    demo's bundles when it has none.
    """
    existing = {p.slug: p for p in db.session.scalars(
        select(Product).options(selectinload(Product.images), selectinload(Product.ingredients),
        selectinload(Product.bundles)))}
    added = 0
    for index, spec in enumerate(DEMO_PRODUCTS, start=1):
        product = existing.get(spec["slug"])
        if product is None:
            product = build_product(spec)
            db.session.add(product)
            added += 1
            state = "added"
        else:
            state = "already there" if _fill_blanks(product, spec) == 0 else "already there, empty fields filled"
            if not product.bundles and spec.get("bundles"):
                product.bundles = _bundles(spec)
        if not product.images:
            db.session.flush()
            add_picture(product, demo_picture(spec), demo_alt(spec))
            state += ", with a picture"
        progress(f"[{index}/{len(DEMO_PRODUCTS)}] {spec['name']}: {state}")
    db.session.flush()
    seed_demo_collections(progress)
    return added


def demo_picture(spec: dict) -> bytes:
    background, label = PICTURE_COLOURS.get(spec["slug"], ("#eeeeee", "#555555"))
    return bottle_picture(spec["name"], background, label, f"{spec['capsules_per_bottle']} capsules")


def demo_alt(spec: dict) -> str:
    return f"A bottle of {spec['name']}, {spec['capsules_per_bottle']} capsules"


def _fill_blanks(product: Product, spec: dict) -> int:
    filled = 0
    for name in FILLED_FIELDS:
        if not getattr(product, name) and spec.get(name):
            setattr(product, name, spec[name])
            filled += 1
    by_name = {row[0]: row for row in spec["ingredients"]}
    for ingredient in product.ingredients:
        row = by_name.get(ingredient.name)
        if ingredient.daily_value_percent is None and row is not None and len(row) > 3 and row[3] is not None:
            ingredient.daily_value_percent = row[3]
            filled += 1
    return filled


def seed_demo_collections(progress: Callable[[str], None] = lambda msg: None) -> None:
    """The demo collections that are not there yet, holding the demo products that are."""
    existing = set(db.session.scalars(select(Collection.slug)))
    products = {p.slug: p for p in db.session.scalars(select(Product))}
    for position, spec in enumerate(DEMO_COLLECTIONS):
        if spec["slug"] in existing:
            progress(f"Collection {spec['name']}: already there")
            continue
        collection = Collection(slug=spec["slug"], name=spec["name"], description=spec["description"],
                                position=position, published=True)
        collection.entries = [CollectionProduct(product=products[slug], position=index)
                              for index, slug in enumerate(spec["products"]) if slug in products]
        db.session.add(collection)
        progress(f"Collection {spec['name']}: added")
    db.session.flush()


def build_product(spec: dict) -> Product:
    """A product from a spec of DEMO_PRODUCTS' shape; an ingredient row may end with its % DV."""
    fields = {"published": True, **{k: v for k, v in spec.items() if k not in {"ingredients", "plan", "bundles"}}}
    product = Product(**fields)
    product.ingredients = [
        Ingredient(position=i, name=row[0], amount=Decimal(row[1]), unit=row[2],
                   daily_value_percent=row[3] if len(row) > 3 else None)
        for i, row in enumerate(spec["ingredients"])
    ]
    product.titration_steps = [
        TitrationStep(day=day, capsules=capsules, kind=kind, note=note) for day, capsules, kind, note in spec["plan"]
    ]
    product.bundles = _bundles(spec)
    return product


def _bundles(spec: dict) -> list[Bundle]:
    return [Bundle(bottles=bottles, price=price, label=label) for bottles, price, label in spec.get("bundles", ())]

