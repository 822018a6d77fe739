"""The sign-in and erase-confirmation emails, delivered over real SMTP: transactional, with the link."""
import re

import pytest

from shop.extensions import db
from tests.smtp_server import smtp_config, smtp_server  # noqa: F401  a real SMTP server on loopback


@pytest.fixture
def mail_app(make_app, smtp_server):  # noqa: F811
    app = make_app(**smtp_config(smtp_server))
    with app.app_context():
        yield app


def _deliver(app) -> None:
    """Run what the requests handed to the worker (the send tasks), as the worker would."""
    captured = app.config["TASKS_CAPTURE"]
    while captured:
        task, args = captured.pop(0)
        task.run(*args)
        db.session.remove()


def _link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://shop\.test(/account/\S+)", text).group(1)


def test_the_sign_in_email_carries_a_working_link_and_no_unsubscribe(mail_app, smtp_server):  # noqa: F811
    client = mail_app.test_client()
    client.post("/account/login", json={"email": "Jane@Example.com"})
    _deliver(mail_app)
    [message] = smtp_server.messages
    assert message["To"] == "jane@example.com"
    assert message["Subject"] == "Your sign-in link for Rest & Restore Supplements"
    assert "List-Unsubscribe" not in message
    assert "works once, for 15 minutes" in message.get_body(("plain",)).get_content()
    assert 'href="http://shop.test/account/login/' in message.get_body(("html",)).get_content()
    # the link in it signs in
    assert client.post(_link(message)).status_code == 303
    assert client.get("/account").status_code == 200


def test_the_erase_confirmation_email_is_transactional_too(mail_app, smtp_server):  # noqa: F811
    client = mail_app.test_client()
    client.post("/account/login", json={"email": "jane@example.com"})
    _deliver(mail_app)
    client.post(_link(smtp_server.messages[0]))
    client.post("/account/erase")
    _deliver(mail_app)
    message = smtp_server.messages[-1]
    assert message["Subject"] == "Confirm: erase your data at Rest & Restore Supplements"
    assert "List-Unsubscribe" not in message
    assert _link(message).startswith("/account/erase/")
    assert b"Erase everything held about jane@example.com?" in client.get(_link(message)).data
