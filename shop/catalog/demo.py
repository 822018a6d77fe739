"""The demo catalogue of DESIGN.md: Mag R&R and friends, each with a plan of its own (or none)."""
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shop.catalog.models import STEP_CHECKIN, STEP_DOSE, Bundle, Ingredient, Product, TitrationStep
from shop.extensions import db

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
        "stock": 500, "guarantee_days": 60,
        # (bottles, price for all of them, label): 3 × 4900 = 14700, sold for 12495 (15% off).
        "bundles": [(3, 12495, "3 bottles, save 15%")],
        "ingredients": [
            ("Magnesium (as magnesium glycinate)", "300", "mg"),
            ("Vitamin B6 (as pyridoxine HCl)", "10", "mg"),
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
        "ingredients": [
            ("Ashwagandha root extract (KSM-66)", "600", "mg"),
            ("Black pepper fruit extract (piperine)", "5", "mg"),
        ],
        "plan": [
            (0, 1, STEP_DOSE, "One capsule with dinner."),
            (14, 2, STEP_DOSE, "Two capsules with dinner."),
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
        "ingredients": [
            ("Vitamin D3 (as cholecalciferol)", "50", "mcg"),
            ("Vitamin K2 (as menaquinone-7)", "100", "mcg"),
        ],
        "plan": [],
    },
]


def seed_demo_catalogue(progress: Callable[[str], None] = lambda msg: None) -> int:
    """Add each demo product that is not there yet (by slug); returns how many were added.

    A demo product already there gets the demo's bundles if it has none (a store seeded before
    bundles existed); one with bundles of its own keeps them."""
    existing = {p.slug: p for p in db.session.scalars(select(Product).options(selectinload(Product.bundles)))}
    added = 0
    for index, spec in enumerate(DEMO_PRODUCTS, start=1):
        if spec["slug"] in existing:
            product = existing[spec["slug"]]
            if not product.bundles and spec.get("bundles"):
                product.bundles = _bundles(spec)
            progress(f"[{index}/{len(DEMO_PRODUCTS)}] {spec['name']}: already there")
            continue
        db.session.add(build_product(spec))
        added += 1
        progress(f"[{index}/{len(DEMO_PRODUCTS)}] {spec['name']}: added")
    db.session.flush()
    return added


def build_product(spec: dict) -> Product:
    fields = {"published": True, **{k: v for k, v in spec.items() if k not in {"ingredients", "plan", "bundles"}}}
    product = Product(**fields)
    product.ingredients = [
        Ingredient(position=i, name=name, amount=Decimal(amount), unit=unit)
        for i, (name, amount, unit) in enumerate(spec["ingredients"])
    ]
    product.titration_steps = [
        TitrationStep(day=day, capsules=capsules, kind=kind, note=note) for day, capsules, kind, note in spec["plan"]
    ]
    product.bundles = _bundles(spec)
    return product


def _bundles(spec: dict) -> list[Bundle]:
    return [Bundle(bottles=bottles, price=price, label=label) for bottles, price, label in spec.get("bundles", ())]

