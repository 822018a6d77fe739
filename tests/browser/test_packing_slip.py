"""The packing slip printed by Chromium: a PDF carrying the ship-to address and the items, no prices."""
import io

from pypdf import PdfReader

from shop.extensions import db
from shop.orders.models import PAID


def test_chromium_prints_the_packing_slip_with_the_address(live_shop, page, make_staff, make_product, make_order):
    # Given a paid order with a shipping address, and a fulfilment member signed in
    product = make_product(slug="mag-rr", name="Mag R&R")
    order, _ = make_order(product, status=PAID, quantity=2)
    order.shipping_name, order.shipping_line1, order.shipping_line2 = "Grace Hopper", "1701 Compiler Way", "Suite 9"
    order.shipping_city, order.shipping_state, order.shipping_postal_code = "Arlington", "VA", "22201"
    order.shipping_country = "US"
    db.session.commit()
    staff, _ = make_staff("fulfilment", email="packer@example.com")
    page.goto(f"{live_shop.url}/admin/login")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    # When they open the desk, follow the order's packing slip link and print it to PDF
    page.goto(f"{live_shop.url}/admin/fulfilment")
    page.get_by_role("link", name="Packing slip").click()
    page.wait_for_load_state("networkidle")
    page.emulate_media(media="print")
    pdf = page.pdf(format="Letter", print_background=False)
    # Then the PDF's text has the shop, the order number, the address and the items, and no price
    text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    for expected in ("Packing slip", f"#{order.id}", "Grace Hopper", "1701 Compiler Way", "Suite 9",
                     "Arlington, VA 22201", "Mag R&R"):
        assert expected in flat, (expected, flat)
    assert "$" not in flat and "98.00" not in flat
    # and the screen-only links and the Print button are not printed
    assert "Fulfilment" not in flat and "Print" not in flat
    assert page.problems == []
