"""Fixtures of the customer account tests: ask for a link, read it from the outbox, sign in."""
import re

import pytest
from sqlalchemy import select

from shop.emails.models import EmailMessage
from shop.extensions import db
from tests.followups.conftest import delivered  # noqa: F401  delivered orders with their plan scheduled

LINK = re.compile(r"http://shop\.test(/account/(?:login|erase)/[A-Za-z0-9_\-]+)")


def link_in_outbox(to: str, kind: str = "account_sign_in") -> str:
    """The path of the newest one-time link emailed to `to` (the email log is the outbox)."""
    db.session.expire_all()
    message = db.session.scalars(select(EmailMessage).where(EmailMessage.to == to, EmailMessage.kind == kind)
                                 .order_by(EmailMessage.id.desc())).first()
    assert message is not None, f"no {kind} email to {to}"
    return LINK.search(message.body_text).group(1)


def sent_to(to: str, kind: str = "account_sign_in") -> int:
    db.session.expire_all()
    query = select(EmailMessage.id).where(EmailMessage.to == to, EmailMessage.kind == kind)
    return len(db.session.scalars(query).all())


@pytest.fixture
def sign_in():
    """Sign `client` in as `email` the way a person does: ask, open the emailed link, press the button."""

    def sign(client, email: str):
        asked = client.post("/account/login", data={"email": email})
        assert asked.status_code == 303, asked.data
        link = link_in_outbox(email.strip().lower())
        assert client.get(link).status_code == 200
        done = client.post(link)
        assert done.status_code == 303 and done.headers["Location"].endswith("/account"), done.data
        return client

    return sign
