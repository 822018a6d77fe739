"""Signed links carry secrets in their address; no log line the shop writes may hold one."""
import json
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from shop.followups import links as followup_links
from shop.orders.access import order_link_token
from shop.subscriptions import links as subscription_links
from tests.ops.test_logs_and_metrics import log_lines  # noqa: F401  the shop's JSON log lines, parsed


def _access_paths(lines) -> list[str]:
    return [line["path"] for line in lines if line["logger"] == "shop.access"]


def test_the_order_link_is_logged_without_its_signature(client, log_lines, mag_rr, make_order):
    # Given the signed order link of an email
    order, _ = make_order(mag_rr, email="jane@example.com")
    signature = order_link_token(order.id)
    link = f"/orders/{order.id}?t={signature}"
    # When the customer opens it
    assert client.get(link).status_code == 200
    # Then the access line names the order page, and no line holds the signature
    lines = log_lines()
    assert f"/orders/{order.id}" in _access_paths(lines)
    assert signature and signature not in json.dumps(lines)


@pytest.mark.parametrize("path, route", [
    (lambda: "/followups/hold/" + followup_links.make_token(1, followup_links.HOLD), "/followups/hold/<token>"),
    (lambda: "/followups/unsubscribe/" + followup_links.make_token(1, followup_links.UNSUBSCRIBE),
     "/followups/unsubscribe/<token>"),
    (lambda: "/subscriptions/skip/" + subscription_links.make_token(1, subscription_links.SKIP),
     "/subscriptions/skip/<token>"),
    (lambda: "/subscriptions/cancel/" + subscription_links.make_token(1, subscription_links.CANCEL),
     "/subscriptions/cancel/<token>"),
])
def test_signed_email_links_are_logged_as_their_route(client, log_lines, path, route):
    # Given a signed link from a follow-up or subscription email
    address = path()
    token = address.rpartition("/")[2]
    # When it is opened, and its button pressed
    client.get(address)
    client.post(address)
    # Then both access lines show the route, and the token is in no line
    lines = log_lines()
    assert _access_paths(lines)[-2:] == [route, route]
    assert token not in json.dumps(lines)


def test_other_paths_are_logged_as_they_are(client, log_lines, mag_rr):
    client.get("/products/mag-rr?utm_source=newsletter")
    assert _access_paths(log_lines())[-1] == "/products/mag-rr"


def test_the_development_server_writes_no_request_line_with_the_link(app, log_lines, mag_rr, make_order):
    # Given the shop served by werkzeug's development server (as `flask run` serves it)
    order, _ = make_order(mag_rr, email="jane@example.com")
    link = f"/orders/{order.id}?t={order_link_token(order.id)}"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # When the order link is opened through it
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{link}", timeout=10).read()
        except urllib.error.HTTPError as exc:  # the page's status does not matter here
            exc.read()
    finally:
        server.shutdown()
        thread.join(5)
    # Then the shop's access line is there, and no line (the server's own included) holds the signature
    lines = log_lines()
    assert f"/orders/{order.id}" in _access_paths(lines)
    assert link.partition("?t=")[2] not in json.dumps(lines)
