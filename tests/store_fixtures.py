"""A store that ships, for tests: the app wired to the Stripe stand-in and a real SMTP server.

    from tests.store_fixtures import *  # noqa: F401,F403

`store` is a `Store` (its app's context pushed): products, rates, codes and staff made through
the shop's own services; a customer's checkout through the API; payment on the stand-in as the
customer would (address, rate, promotion code); the order as the API, the customer's page, the
admin page and the confirmation email (read back over SMTP) show it. Override `store_config`
(a fixture, or `@pytest.mark.parametrize("store_config", [{...}])`) for other settings.
"""
import re

import pytest

from shop.catalog.demo import DEMO_PRODUCTS, build_product
from shop.extensions import db
from shop.orders.models import Order
from tests.smtp_server import smtp_config, smtp_server  # noqa: F401  the fixture
from tests.stripe_fixtures import *  # noqa: F401,F403  stripe_standin, stripe_client
from tests.stripe_fixtures import STANDIN_API_KEY

PASSWORD = "correct horse battery"
ADDRESS = {"name": "Grace Hopper", "address": {"line1": "10 Navy Yard", "line2": "Apt 3", "city": "Arlington",
                                               "state": "WA", "postal_code": "98223", "country": "US"}}


class Store:
    def __init__(self, make_app, standin, smtp, config):
        self.standin, self.smtp, self._make_app = standin, smtp, make_app
        self.config = {"STRIPE_API_BASE": standin.url, "STRIPE_SECRET_KEY": STANDIN_API_KEY,
                       "STRIPE_WEBHOOK_SECRET": standin.webhook_secret, **smtp_config(smtp), **config}
        self.app = make_app(**self.config)
        self.api = self.app.test_client()
        self._products = 0
        standin.deliver_to_app(self.app)

    # --- the shop's data, through its services ----------------------------------------------
    def product(self, price: int, **fields):
        self._products += 1
        spec = {**DEMO_PRODUCTS[0], "slug": f"item-{self._products}", "name": f"Item {self._products}",
                "price": price, "stock": 10_000, **fields}
        product = build_product(spec)
        db.session.add(product)
        db.session.commit()
        return product

    def rate(self, name: str, amount: int, **fields):
        from shop.shipping.services import create_rate

        rate = create_rate({"name": name, "amount": amount, "currency": "usd", **fields})
        db.session.commit()
        return rate

    def code(self, code: str, **fields):
        """A promotion code, recorded and created at the stand-in."""
        from shop.promotions.services import create_and_push

        pushed = create_and_push({"code": code, **fields})
        db.session.commit()
        assert pushed.problem is None, pushed.problem
        return pushed.code

    def demo(self):
        """seed-demo's shipping rates and WELCOME10."""
        from shop.demo import seed_demo_checkout

        seed_demo_checkout()
        db.session.commit()

    # --- the customer ---------------------------------------------------------------------------
    def checkout(self, *lines, email="buyer@example.com"):
        """POST /api/v1/checkout with (product, quantity) lines; the 201 body."""
        items = [{"slug": product.slug, "quantity": quantity} for product, quantity in lines]
        response = self.api.post("/api/v1/checkout", json={"email": email, "items": items})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def offered(self, body) -> dict:
        """{rate name: amount} of the session's shipping options, as Stripe's page offers them."""
        session = self.standin.session(body["stripe_checkout_session_id"])
        rates = self.standin.account.shipping_rates
        return {rates[o["shipping_rate"]]["display_name"]: o["shipping_amount"] for o in session["shipping_options"]}

    def rate_id(self, body, name: str) -> str:
        session = self.standin.session(body["stripe_checkout_session_id"])
        rates = self.standin.account.shipping_rates
        return next(o["shipping_rate"] for o in session["shipping_options"]
                    if rates[o["shipping_rate"]]["display_name"] == name)

    def pay(self, body, *, rate: str | None = None, code: str | None = None, address=ADDRESS, phone="+1 360 555 0100"):
        """Pay on the stand-in's page (POST /_standin/sessions/<id>/pay); the answer."""
        import requests

        answers = {"shipping_details": address, "phone": phone}
        if rate:
            answers["shipping_rate"] = self.rate_id(body, rate)
        if code:
            answers["promotion_code"] = code
        return requests.post(f"{self.standin.url}/_standin/sessions/{body['stripe_checkout_session_id']}/pay",
                             json=answers, timeout=10)

    def settle(self):
        """Every webhook sent so far delivered, and the tasks they queued (emails) run."""
        self.standin.wait_for_deliveries(len(self.standin.deliveries()), timeout=10)
        captured = self.app.config["TASKS_CAPTURE"]
        while captured:
            task, args = captured.pop(0)
            with self.app.app_context():
                task.run(*args)
                db.session.remove()
        db.session.expire_all()

    def order(self, body) -> Order:
        db.session.expire_all()
        return db.session.get(Order, body["order_id"])

    def order_api(self, body) -> dict:
        # Requests through `api` share this context's session, which does not expire on commit:
        # forget what it holds, or an order changed elsewhere (a webhook, a task) reads stale.
        db.session.expire_all()
        response = self.api.get(f"/api/v1/orders/{body['order_id']}", headers={"X-Order-Token": body["order_token"]})
        assert response.status_code == 200
        return response.get_json()

    def customer_page(self, body) -> str:
        from shop.orders.access import order_page_url

        with self.app.test_request_context():
            link = order_page_url(self.order(body), external=False)
        response = self.app.test_client().get(link)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    # --- staff --------------------------------------------------------------------------------
    def staff(self, role="admin"):
        """(staff, API headers, signed-in web client) for a new member of `role`."""
        from shop.accounts.services import create_staff, issue_token

        member = create_staff(f"{role}.{self._next_staff()}@example.com", role, password=PASSWORD)
        token = issue_token(member)
        db.session.commit()
        web = self._make_app(**self.config).test_client()  # its own contexts, as a web server runs
        assert web.post("/admin/login", data={"email": member.email, "password": PASSWORD}).status_code == 303
        return member, {"Authorization": f"Bearer {token}"}, web

    _staff = 0

    def _next_staff(self) -> int:
        Store._staff += 1
        return Store._staff

    def confirmation(self, body):
        """The confirmation email of the order, as the SMTP server received it: (text, html)."""
        subject = f"Your order {body['order_id']} is confirmed"
        [mail] = [m for m in self.smtp.messages if m["Subject"] == subject]
        return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


def money_in(text: str) -> list[str]:
    return re.findall(r"\$[\d,]+\.\d\d", text)


@pytest.fixture
def store_config():
    return {}


@pytest.fixture
def store(make_app, stripe_standin, smtp_server, store_config):  # noqa: F811
    shop = Store(make_app, stripe_standin, smtp_server, store_config)
    with shop.app.app_context():
        yield shop
    stripe_standin.stop_webhooks()  # nothing may reach the app once its tables are emptied
