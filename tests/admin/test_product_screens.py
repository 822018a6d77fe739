"""The product screens: forms in, the catalogue's admin services do the checking."""
from decimal import Decimal

from sqlalchemy import select

from shop.catalog.models import Product
from shop.extensions import db

NEW = {"name": "Night Oil", "slug": "night-oil", "summary": "Drops", "price": "24.50", "currency": "usd",
       "capsules_per_bottle": "60", "serving_capsules": "2", "stock": "10", "guarantee_days": "30",
       "description": "", "disclaimer": ""}


def product(slug):
    db.session.expire_all()
    return db.session.scalar(select(Product).where(Product.slug == slug))


def plan(slug):
    return [(s.day, s.capsules) for s in product(slug).titration_steps]


def test_an_admin_creates_a_product_priced_in_cents(staff_client):
    client, _ = staff_client("admin")
    response = client.post("/admin/products/new", data=NEW)
    assert response.status_code == 303
    created = product("night-oil")
    assert (created.price, created.stock, created.guarantee_days, created.published) == (2450, 10, 30, False)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="24.50"' in page


def test_a_bad_product_form_is_shown_again_with_its_errors(staff_client):
    client, _ = staff_client("admin")
    response = client.post("/admin/products/new", data={**NEW, "slug": "Night Oil!", "price": "24.505"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Use at most two decimal places" in html or "lower-case letters" in html
    assert product("night-oil") is None


def test_a_product_is_taxed_as_general_goods_unless_the_admin_names_its_stripe_tax_code(staff_client):
    client, _ = staff_client("admin")
    # a product created without a tax code is general tangible goods
    assert client.post("/admin/products/new", data=NEW).status_code == 303
    made = product("night-oil")
    assert made.tax_code == "txcd_99999999"
    assert 'value="txcd_99999999"' in client.get(f"/admin/products/{made.id}").get_data(as_text=True)
    # the admin names another Stripe tax code; something that is not one is refused
    assert client.post(f"/admin/products/{made.id}", data={**NEW, "tax_code": "txcd_20030000"}).status_code == 303
    assert product("night-oil").tax_code == "txcd_20030000"
    refused = client.post(f"/admin/products/{made.id}", data={**NEW, "tax_code": "food"})
    assert refused.status_code == 422 and "A Stripe tax code" in refused.get_data(as_text=True)
    assert product("night-oil").tax_code == "txcd_20030000"


def test_edit_stock_guarantee_and_publish(staff_client, make_product):
    made = make_product(slug="calm", published=False)
    client, _ = staff_client("admin")
    fields = {**NEW, "slug": "calm", "name": "Calm", "stock": "0", "guarantee_days": "90"}
    assert client.post(f"/admin/products/{made.id}", data=fields).status_code == 303
    assert (product("calm").stock, product("calm").guarantee_days) == (0, 90)
    client.post(f"/admin/products/{made.id}/publish", data={"published": "1"})
    assert product("calm").published is True
    assert client.get("/products/calm").status_code == 200
    client.post(f"/admin/products/{made.id}/publish", data={"published": "0"})
    assert client.get("/products/calm").status_code == 404


def test_the_plan_editor_reorders_adds_and_removes_steps(staff_client, make_product):
    made = make_product(slug="plan", plan=[(0, 1, "dose", ""), (7, 2, "dose", ""), (14, 3, "dose", "")])
    client, _ = staff_client("admin")
    # Rows come in the order numbers staff typed; the blank row adds nothing; a ticked row goes
    form = {
        "rows-0-position": "2", "rows-0-day": "7", "rows-0-capsules": "2", "rows-0-kind": "dose",
        "rows-1-position": "1", "rows-1-day": "0", "rows-1-capsules": "1", "rows-1-kind": "dose",
        "rows-2-position": "3", "rows-2-day": "14", "rows-2-capsules": "3", "rows-2-kind": "dose",
        "rows-2-remove": "y",
        "rows-3-position": "", "rows-3-day": "", "rows-3-capsules": "", "rows-3-kind": "dose",
    }
    assert client.post(f"/admin/products/{made.id}/plan", data=form).status_code == 303
    assert plan("plan") == [(0, 1), (7, 2)]
    # Days that go down in the chosen order are refused, and the plan stays
    form = {"rows-0-position": "1", "rows-0-day": "7", "rows-0-capsules": "2", "rows-0-kind": "dose",
            "rows-1-position": "2", "rows-1-day": "0", "rows-1-capsules": "0", "rows-1-kind": "dose"}
    response = client.post(f"/admin/products/{made.id}/plan", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Days must go up from one step to the next" in html and "At least 1 capsule" in html
    assert plan("plan") == [(0, 1), (7, 2)]
    # Add one step, then remove one
    assert client.post(f"/admin/products/{made.id}/plan/add",
                       data={"day": "21", "capsules": "3", "kind": "checkin", "note": "Three weeks"}).status_code == 303
    assert plan("plan") == [(0, 1), (7, 2), (21, 3)]
    duplicate = client.post(f"/admin/products/{made.id}/plan/add", data={"day": "7", "capsules": "1", "kind": "dose"})
    assert duplicate.status_code == 422 and "each step needs a day of its own" in duplicate.get_data(as_text=True)
    first = product("plan").titration_steps[0].id
    assert client.post(f"/admin/products/{made.id}/plan/{first}/remove").status_code == 303
    assert plan("plan") == [(7, 2), (21, 3)]


def test_the_ingredient_editor(staff_client, make_product):
    made = make_product(slug="ing", ingredients=[("A", "1", "mg"), ("B", "2", "mg")])
    client, _ = staff_client("admin")
    form = {"rows-0-position": "2", "rows-0-name": "A", "rows-0-amount": "1", "rows-0-unit": "mg",
            "rows-1-position": "1", "rows-1-name": "B", "rows-1-amount": "2.5", "rows-1-unit": "mg",
            "rows-2-position": "3", "rows-2-name": "C", "rows-2-amount": "10", "rows-2-unit": "mcg"}
    assert client.post(f"/admin/products/{made.id}/ingredients", data=form).status_code == 303
    assert [(i.name, i.amount) for i in product("ing").ingredients] == [
        ("B", Decimal("2.5")), ("A", Decimal("1")), ("C", Decimal("10"))]
    last = product("ing").ingredients[-1].id
    client.post(f"/admin/products/{made.id}/ingredients/{last}/move", data={"direction": "up"})
    assert [i.name for i in product("ing").ingredients] == ["B", "C", "A"]
    client.post(f"/admin/products/{made.id}/ingredients/{last}/remove")
    assert [i.name for i in product("ing").ingredients] == ["B", "A"]


def test_the_product_list_pages_and_searches(staff_client, make_product):
    # given 51 products, one page and one more of the admin list
    for n in range(51):
        make_product(slug=f"p-{n:02d}", name=f"Product {n:02d}", published=n % 2 == 0)
    client, _ = staff_client("admin")
    # when the second page is opened
    html = client.get("/admin/products?page=2").get_data(as_text=True)
    # then it holds the last product, published or not, and counts them all
    assert "51 products" in html and "p-50" in html and "p-49" not in html
    # and an unreadable page is the first
    assert "p-00" in client.get("/admin/products?page=x").get_data(as_text=True)
    # and a search counts what it found
    assert "1 product<" in client.get("/admin/products?q=p-07").get_data(as_text=True)


def test_a_refused_ingredient_list_changes_nothing(staff_client, make_product):
    made = make_product(slug="ing", ingredients=[("A", "1", "mg")])
    client, _ = staff_client("admin")
    form = {"rows-0-position": "1", "rows-0-name": "B", "rows-0-amount": "2", "rows-0-unit": "mg",
            "rows-1-position": "2", "rows-1-name": "C", "rows-1-amount": "-1", "rows-1-unit": "mg"}
    response = client.post(f"/admin/products/{made.id}/ingredients", data=form)
    assert response.status_code == 422 and "A non-negative amount" in response.get_data(as_text=True)
    assert [i.name for i in product("ing").ingredients] == ["A"]


def test_an_admin_offers_and_withdraws_a_bundle(staff_client, make_product, web):
    made = make_product(slug="calm", price=2900, bundles=[])
    client, _ = staff_client("admin")
    # a bundle priced at or above that many single bottles is no offer, and is refused
    refused = client.post(f"/admin/products/{made.id}/bundles", data={"bottles": "3", "price": "87.00"})
    assert refused.status_code == 422
    assert "Must be less than 3 single bottles cost" in refused.get_data(as_text=True)
    assert product("calm").bundles == []
    # a 3-bottle bundle for 74.00 is offered on the product page and in the API
    assert client.post(f"/admin/products/{made.id}/bundles", data={"bottles": "3", "price": "74.00"}).status_code == 303
    assert client.get(f"/admin/products/{made.id}").status_code == 200
    body = client.get("/api/v1/products/calm").get_json()
    assert body["bundles"] == [{"bottles": 3, "price": 7400, "label": "3 bottles, save 14%"}]
    assert "3 bottles, save 14%" in client.get("/products/calm").get_data(as_text=True)
    # the same size twice is refused
    assert client.post(f"/admin/products/{made.id}/bundles", data={"bottles": "3", "price": "70.00"}).status_code == 422
    # and removing it takes it off the catalogue
    bundle_id = product("calm").bundles[0].id
    assert client.post(f"/admin/products/{made.id}/bundles/{bundle_id}/remove").status_code == 303
    assert client.get("/api/v1/products/calm").get_json()["bundles"] == []
