"""The one pagination helper (`shop.pagination`): which page a visitor asked for, and that page."""
import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from shop.catalog.models import Product
from shop.pagination import MAX_PAGE, page_count, page_number, paginate


@pytest.mark.parametrize(("query", "page"), [
    ({}, 1), ({"page": "3"}, 3), ({"page": "0"}, 1), ({"page": "-4"}, 1), ({"page": "two"}, 1),
    ({"page": ""}, 1), ({"page": "1.5"}, 1), ({"page": str(MAX_PAGE + 1)}, MAX_PAGE), ({"page": "9" * 30}, MAX_PAGE),
])
def test_a_typed_page_number_is_read_forgivingly(query, page):
    assert page_number(MultiDict(query)) == page


def test_a_page_number_may_have_another_name():
    args = MultiDict({"reviews_page": "2", "page": "5"})
    assert page_number(args, "reviews_page") == 2
    assert page_number(args, "questions_page") == 1


@pytest.mark.parametrize(("total", "pages"), [(0, 1), (1, 1), (10, 1), (11, 2), (30, 3)])
def test_an_empty_list_still_has_one_page(total, pages):
    assert page_count(total, 10) == pages


def test_a_page_of_a_query_and_its_total(app, make_product):
    # given five products
    for letter in "edcba":
        make_product(slug=f"p-{letter}", name=f"Product {letter.upper()}")
    by_name = select(Product).order_by(Product.name)
    # when the second page of two is asked for
    page = paginate(by_name, 2, 2)
    # then it holds the third and fourth by name, and knows the total
    assert [p.slug for p in page.items] == ["p-c", "p-d"]
    assert (page.total, page.page, page.per_page, page.pages) == (5, 2, 2, 3)
    # and a page past the end is empty, with the same total
    beyond = paginate(by_name, 9, 2)
    assert (beyond.items, beyond.total, beyond.pages) == ([], 5, 3)


def test_the_catalogue_shows_the_page_asked_for(app, make_product, client):
    for n in range(30):
        make_product(slug=f"p-{n:02d}", name=f"Product {n:02d}")
    last = client.get("/products?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in last and "Product 29" in last and "Product 00" not in last
    assert "Page 1 of 2" in client.get("/products?page=-3").get_data(as_text=True)
