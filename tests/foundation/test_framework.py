"""What shop/framework.py relies on Flask and Flask-SQLAlchemy to keep doing.

Each test fails if the installed library stops behaving as the adjustment there assumes.
"""
import pytest
from sqlalchemy.exc import OperationalError

from shop.extensions import db


def test_the_api_answers_without_a_session_even_when_sent_a_cookie(client, mag_rr):
    # given a visitor with a session cookie (a cart) from the storefront
    client.post("/cart/add", data={"slug": "mag-rr", "quantity": 1})
    assert client.get_cookie("session") is not None
    # when the same client reads the API, which Flask-Login's after-request hook looks at too
    response = client.get("/api/v1/products/mag-rr")
    # then the answer neither varies by the cookie nor sets one
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "cookie" not in response.headers.get("Vary", "").lower()
    # and the storefront still has the cart
    assert "Mag R&amp;R" in client.get("/cart").get_data(as_text=True)


def test_a_setting_that_would_write_to_the_api_session_is_refused(make_app):
    with pytest.raises(ValueError, match="REMEMBER_COOKIE_REFRESH_EACH_REQUEST"):
        make_app(REMEMBER_COOKIE_REFRESH_EACH_REQUEST=True)


def test_an_answer_survives_a_database_lost_while_the_session_closes(make_app):
    # given an app whose every request loses the database just as its session closes
    # (the ROLLBACK that closing sends fails, as when PostgreSQL restarts at that moment)
    shop = make_app()

    @shop.after_request
    def lose_the_database_at_close(response):
        session = db.session()
        close = session.close

        def failing_close():
            close()
            raise OperationalError("ROLLBACK", {}, ConnectionError("server closed the connection unexpectedly"))

        session.close = failing_close
        return response

    client = shop.test_client()
    # when a visitor asks twice
    answers = [client.get("/api/v1/products") for _ in range(2)]
    # then both answers arrive, and each request had a session of its own
    assert [a.status_code for a in answers] == [200, 200]
