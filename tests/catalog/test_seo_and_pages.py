"""Policy pages, collections, the sitemap and robots.txt, canonical/Open Graph tags, JSON-LD."""
import json
import re
from html import unescape

import pytest

from shop.catalog.demo import seed_demo_catalogue
from shop.extensions import db
from tests.admin.conftest import sign_in, staff_client, web  # noqa: F401  staff signed in through the form

POLICIES = ("privacy", "terms", "refunds", "shipping", "contact")


@pytest.fixture
def demo(app):
    seed_demo_catalogue()
    db.session.commit()


def test_every_policy_page_answers_with_its_default_text(client):
    for slug in POLICIES:
        page = client.get(f"/pages/{slug}")
        assert page.status_code == 200, slug
        assert "<h1" in page.get_data(as_text=True)
    assert "Privacy policy" in client.get("/pages/privacy").get_data(as_text=True)
    assert client.get("/pages/anything-else").status_code == 404


def test_the_contact_page_gives_the_postal_address(make_app):
    web = make_app(STORE_POSTAL_ADDRESS="12 Harbour Road, Portland, ME 04101, USA")
    html = web.test_client().get("/pages/contact").get_data(as_text=True)
    assert "<address>12 Harbour Road, Portland, ME 04101, USA</address>" in html


def test_every_storefront_page_links_to_every_policy_page(client, demo):
    for path in ("/", "/products", "/products/mag-rr", "/collections/sleep", "/cart", "/pages/terms",
                 "/no-such-page"):
        html = client.get(path).get_data(as_text=True)
        footer = html.split('<footer class="site-footer')[1]
        for slug in POLICIES:
            assert f'href="/pages/{slug}"' in footer, (path, slug)


def test_staff_edit_a_policy_page_and_html_is_shown_not_run(staff_client, web):  # noqa: F811
    client, _ = staff_client("admin")
    body = ("We ship **fast**.\n\n# Where\n- the US\n- Canada\n\n<script>alert(1)</script> "
            "[Track](https://track.example/x) [bad](javascript:alert(1))")
    response = client.post("/admin/pages/shipping", data={"title": "Shipping & delivery", "body": body})
    assert response.status_code == 303
    html = web.test_client().get("/pages/shipping").get_data(as_text=True)
    assert "<h1 id=\"page-title\">Shipping &amp; delivery</h1>" in html
    assert "<p>We ship <strong>fast</strong>.</p>" in html
    assert "<h2>Where</h2>" in html and "<ul><li>the US</li><li>Canada</li></ul>" in html
    assert '<a href="https://track.example/x">Track</a>' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert "Last updated" in html
    # and the list shows it as saved, the others as defaults
    listing = client.get("/admin/pages").get_data(as_text=True)
    assert listing.count("default text") == 4


def test_a_policy_page_needs_a_title_and_text(staff_client):  # noqa: F811
    client, _ = staff_client("admin")
    response = client.post("/admin/pages/terms", data={"title": "", "body": ""})
    assert response.status_code == 422 and "Required field missing" in response.get_data(as_text=True)
    assert client.get("/admin/pages/nothing").status_code == 404
    support, _ = staff_client("support")
    assert support.post("/admin/pages/terms", data={"title": "T", "body": "B"}).status_code == 403


def test_seed_demo_makes_two_collections_with_pages(client, demo):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/collections/sleep"' in html and 'href="/collections/daily"' in html
    sleep = client.get("/collections/sleep").get_data(as_text=True)
    assert "<h1>Sleep</h1>" in sleep and "Mag R&amp;R" in sleep and "Calm Ashwagandha" in sleep
    assert "Daylight D3" not in sleep
    assert client.get("/collections/nope").status_code == 404


def test_staff_make_a_collection_and_choose_its_products_in_order(staff_client, make_product, web):  # noqa: F811
    first, second, hidden = make_product(slug="a-one", name="Alpha"), make_product(slug="b-two", name="Beta"), \
        make_product(slug="c-hidden", name="Hidden", published=False)
    client, _ = staff_client("admin")
    form = {"name": "Evening", "slug": "evening", "description": "Wind down.", "position": "1", "published": "y",
            "product": [str(first.id), str(second.id), str(hidden.id)],
            f"order-{first.id}": "2", f"order-{second.id}": "1"}
    response = client.post("/admin/collections/new", data=form)
    assert response.status_code == 303
    html = web.test_client().get("/collections/evening").get_data(as_text=True)
    assert html.index("Beta") < html.index("Alpha") and "Hidden" not in html
    assert "/collections/evening" in web.test_client().get("/sitemap.xml").get_data(as_text=True)
    # a taken slug, or an order number out of range, is refused
    again = client.post("/admin/collections/new", data={**form, "name": "Other"})
    assert again.status_code == 422 and "Another collection uses this slug" in again.get_data(as_text=True)
    again = client.post("/admin/collections/new", data={**form, "slug": "other", "position": str(2**40)})
    assert again.status_code == 422 and "A whole number from 0 to 10000" in again.get_data(as_text=True)
    # unpublished, it leaves the shop and the sitemap
    edit = response.headers["Location"]
    client.post(edit, data={**form, "published": ""})
    assert web.test_client().get("/collections/evening").status_code == 404
    assert "/collections/evening" not in web.test_client().get("/sitemap.xml").get_data(as_text=True)


def test_the_sitemap_lists_every_published_page_and_robots_points_to_it(client, demo, make_product):
    make_product(slug="secret", published=False)
    sitemap = client.get("/sitemap.xml")
    assert sitemap.status_code == 200 and sitemap.mimetype == "application/xml"
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap.get_data(as_text=True))
    for path in ("/", "/products", "/products/mag-rr", "/products/calm-ashwagandha", "/products/daylight-d3-k2",
                 "/collections/sleep", "/collections/daily", *(f"/pages/{slug}" for slug in POLICIES)):
        assert f"http://shop.test{path}" in locations, path
    assert not any("secret" in location for location in locations)
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://shop.test/sitemap.xml" in robots and "Disallow: /admin/" in robots


def test_storefront_pages_carry_canonical_and_open_graph_tags(client, demo):
    html = client.get("/products/mag-rr?utm_source=mail").get_data(as_text=True)
    assert '<link rel="canonical" href="http://shop.test/products/mag-rr">' in html
    assert '<meta property="og:type" content="product">' in html
    assert '<meta property="og:url" content="http://shop.test/products/mag-rr">' in html
    assert '<meta property="og:title" content="Mag R&amp;R · ' in html
    assert re.search(r'<meta property="og:image" content="http://shop.test/media/products/[0-9a-f]+-1280\.jpg">', html)
    home = client.get("/").get_data(as_text=True)
    assert '<link rel="canonical" href="http://shop.test/">' in home
    assert '<meta property="og:type" content="website">' in home


def test_a_product_page_has_exactly_one_json_ld_product_node(client, demo):
    html = client.get("/products/mag-rr").get_data(as_text=True)
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    nodes = []
    for block in blocks:
        data = json.loads(unescape(block))
        nodes += data if isinstance(data, list) else [data]
    products = [node for node in nodes if node.get("@type") == "Product"]
    assert len(products) == 1
    [product] = products
    assert product["brand"] == {"@type": "Brand", "name": "Rest & Restore Supplements"}
    assert product["offers"]["price"] == "49.00" and product["offers"]["priceCurrency"] == "USD"
    assert product["image"] and product["image"][0].startswith("http://shop.test/media/products/")
    assert client.get(product["image"][0]).content_type == "image/jpeg"


def test_seed_demo_gives_every_product_a_picture_with_alt_text(client, demo):
    for slug in ("mag-rr", "calm-ashwagandha", "daylight-d3-k2"):
        images = client.get(f"/api/v1/products/{slug}").get_json()["images"]
        assert images and images[0]["alt"].startswith("A bottle of ")
        answer = client.get(images[0]["url"])
        assert answer.status_code == 200 and answer.content_type.startswith("image/")
    # a second run adds nothing, not even a second picture
    assert seed_demo_catalogue() == 0
    db.session.commit()
    assert len(client.get("/api/v1/products/mag-rr").get_json()["images"]) == 1
