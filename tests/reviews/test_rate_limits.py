"""Posting limits: per client IP and per email address, in the error shape; off when disabled."""
import pytest

from shop.extensions import db


@pytest.fixture
def limited(make_app, make_product):
    """An app with rate limits on (small ones, so the test stays fast) and a product."""

    def build(**limits):
        app = make_app(RATELIMIT_ENABLED=True, **limits)
        ctx = app.app_context()
        ctx.push()
        make_product(slug="mag-rr")
        return app, ctx

    contexts = []

    def start(**limits):
        app, ctx = build(**limits)
        contexts.append(ctx)
        return app.test_client()

    yield start
    for ctx in contexts:
        db.session.remove()
        ctx.pop()


def post(client, n, email=None, ip="203.0.113.7"):
    return client.post("/api/v1/products/mag-rr/reviews", environ_base={"REMOTE_ADDR": ip}, json={
        "kind": "question", "name": "Ann", "email": email or f"ann{n}@example.com", "body": f"Question {n}?"})


def test_the_ip_limit_trips_with_a_429_in_the_error_shape(limited):
    client = limited(REVIEWS_RATE_LIMIT_IP="3/hour", REVIEWS_RATE_LIMIT_EMAIL="100/hour")
    assert [post(client, n).status_code for n in range(3)] == [201, 201, 201]
    refused = post(client, 4)
    assert refused.status_code == 429
    body = refused.get_json()
    assert (body["code"], body["status"], body["errors"]) == (429, "Too Many Requests", {})
    assert post(client, 5, ip="198.51.100.2").status_code == 201  # another address is not limited


def test_the_email_limit_trips_across_addresses_and_counts_accepted_posts_only(limited):
    client = limited(REVIEWS_RATE_LIMIT_IP="100/hour", REVIEWS_RATE_LIMIT_EMAIL="2/hour")
    # a refused post (no body) does not use up the allowance
    assert client.post("/api/v1/products/mag-rr/reviews", json={"kind": "question", "name": "Ann",
                       "email": "ann@example.com"}).status_code == 422
    assert post(client, 1, email="ann@example.com", ip="203.0.113.1").status_code == 201
    assert post(client, 2, email="ANN@example.com", ip="203.0.113.2").status_code == 201
    refused = post(client, 3, email="ann@example.com", ip="203.0.113.3")
    assert refused.status_code == 429 and refused.get_json()["code"] == 429
    assert post(client, 4, email="bob@example.com", ip="203.0.113.3").status_code == 201


def test_the_page_forms_share_the_limits(limited):
    client = limited(REVIEWS_RATE_LIMIT_IP="100/hour", REVIEWS_RATE_LIMIT_EMAIL="1/hour")
    form = {"question-name": "Ann", "question-email": "ann@example.com", "question-body": "With food?"}
    assert client.post("/products/mag-rr/questions", data=form).status_code == 303
    assert post(client, 2, email="ann@example.com").status_code == 429
    refused = client.post("/products/mag-rr/questions", data=dict(form, **{"question-body": "Other?"}))
    assert refused.status_code == 429
    assert "text/html" in refused.content_type


def test_the_default_limits_are_30_per_ip_and_5_per_email(limited):
    client = limited()
    statuses = [post(client, n, email="same@example.com").status_code for n in range(6)]
    assert statuses == [201] * 5 + [429]
    statuses = [post(client, n).status_code for n in range(6, 32)]
    # 30 posts counted from the address in all (the refused sixth above is not one of them)
    assert statuses == [201] * 25 + [429]


def test_ratelimit_enabled_false_turns_them_off(make_app, make_product):
    app = make_app(RATELIMIT_ENABLED=False, REVIEWS_RATE_LIMIT_IP="1/hour")
    with app.app_context():
        make_product(slug="mag-rr")
        client = app.test_client()
        assert [post(client, n, email="same@example.com").status_code for n in range(3)] == [201] * 3


@pytest.mark.redis
def test_the_limits_hold_in_redis_shared_by_every_process(make_app, make_product):
    """Production keeps the counters in Redis: two apps (two web processes) share them."""
    import os
    import secrets

    settings = dict(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=os.environ["TEST_REDIS_URL"],
                    RATELIMIT_KEY_PREFIX=f"test-{secrets.token_hex(4)}", REVIEWS_RATE_LIMIT_EMAIL="2/hour")
    first, second = make_app(**settings), make_app(**settings)
    with first.app_context():
        make_product(slug="mag-rr")
    with first.app_context():
        assert post(first.test_client(), 1, email="ann@example.com").status_code == 201
    with second.app_context():
        assert post(second.test_client(), 2, email="ann@example.com").status_code == 201
        assert post(second.test_client(), 3, email="ann@example.com").status_code == 429
