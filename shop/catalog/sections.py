"""Parts other domains add to the product page (the buy box, reviews), unknown to the catalogue.

A domain calls `register_section` when its views module is imported; the product page renders
every section of a slot in order. Registration is by name, so building several apps (tests)
does not register twice.

A plain visit's page is rendered once per catalogue version and shared by every visitor (see
shop/catalog/views.py), so a section shows the product, the catalogue (a change to any model
with `__affects_catalogue__` renews the page) and the request's query, never the visitor: its
forms carry `csrf_token()`, the one thing that differs per visitor.
"""
from collections.abc import Callable
from dataclasses import dataclass

from shop.catalog.models import Product

SLOTS = ("buy", "after")


@dataclass(frozen=True)
class Section:
    name: str
    slot: str
    template: str
    context: Callable[[Product], dict]
    order: int


_sections: dict[str, Section] = {}


def register_section(name: str, slot: str, template: str,
                     context: Callable[[Product], dict] = lambda product: {}, order: int = 100) -> None:
    if slot not in SLOTS:
        raise ValueError(f"slot must be one of {SLOTS}")
    _sections[name] = Section(name, slot, template, context, order)


def sections_for(product: Product) -> dict[str, list[tuple[str, dict]]]:
    """{slot: [(template, context), ...]} for the product page."""
    rendered: dict[str, list[tuple[str, dict]]] = {slot: [] for slot in SLOTS}
    for section in sorted(_sections.values(), key=lambda s: (s.order, s.name)):
        rendered[section.slot].append((section.template, section.context(product)))
    return rendered
