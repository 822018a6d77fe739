"""One-time links emailed to a customer: sign in, or confirm erasing their data.

Asking for a sign-in link does the same work for every well-formed address, whether or not it
ever ordered: a link row is written and the email is queued (sent by the worker after the
commit), so neither the answer nor its timing tells anyone which addresses are customers. The
account itself (`Customer`) is created when the link is used, not when it is asked for.

A link is a random token; only its SHA-256 is stored. It works for LINK_MINUTES, once: using it
is a guarded UPDATE (`used_at IS NULL AND expires_at > now`), so two clicks at once sign in once.
An altered token names no row (400); a used or expired one is gone (410). Services flush; the
caller commits.
"""
import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from shop.accounts.services import normalise_email
from shop.customers.models import ERASE, SIGN_IN, AccountLink, Customer
from shop.db import as_utc, dialect_of, insert_or_skip, utcnow
from shop.emails.services import queue_email
from shop.errors import ShopError
from shop.extensions import db

LINK_MINUTES = 15
TOKEN_MAX_LENGTH = 100
EMAIL_KIND = {SIGN_IN: "account_sign_in", ERASE: "account_erase"}
ROUTE = {SIGN_IN: "account.use_sign_in_link", ERASE: "account.erase_confirm"}


class LinkNotValid(ShopError):
    code = 400
    message = "This link is not valid: it may have been changed or cut short, or belongs to another page."


class LinkGone(ShopError):
    code = 410


LINK_USED = "This link was used already. Ask for a new one."
LINK_EXPIRED = f"This link has expired (links work for {LINK_MINUTES} minutes). Ask for a new one."


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now(now: datetime | None) -> datetime:
    return as_utc(now) if now is not None else utcnow()


def send_link(email: str, purpose: str, *, now: datetime | None = None) -> None:
    """Write a one-time link for `email` and queue the email that carries it (after commit)."""
    now = _now(now)
    token = secrets.token_urlsafe(32)
    db.session.add(AccountLink(email=email, purpose=purpose, token_hash=_digest(token), created_at=now,
                               expires_at=now + timedelta(minutes=LINK_MINUTES)))
    db.session.flush()
    # Built without a request (as the worker and commands build links): PUBLIC_URL and the route.
    path = current_app.url_map.bind("localhost").build(ROUTE[purpose], {"token": token})
    url = current_app.config["PUBLIC_URL"] + path
    queue_email(EMAIL_KIND[purpose], email, context={"link": url, "minutes": LINK_MINUTES, "email": email})


def request_sign_in(email: str | None, *, now: datetime | None = None) -> str:
    """Email a sign-in link to `email` (any well-formed address; 422 otherwise); the address as kept."""
    address = normalise_email(email if isinstance(email, str) else "")
    send_link(address, SIGN_IN, now=now)
    return address


def check_link(token: str, purpose: str, *, now: datetime | None = None) -> AccountLink:
    """The link `token` names, if it may still be used for `purpose`; else LinkNotValid or LinkGone."""
    link = None
    if isinstance(token, str) and 0 < len(token) <= TOKEN_MAX_LENGTH:
        link = db.session.scalar(select(AccountLink).where(AccountLink.token_hash == _digest(token)))
    if link is None or link.purpose != purpose:
        raise LinkNotValid()
    if link.used_at is not None:
        raise LinkGone(LINK_USED)
    if as_utc(link.expires_at) <= _now(now):
        raise LinkGone(LINK_EXPIRED)
    return link


def use_link(token: str, purpose: str, *, now: datetime | None = None) -> AccountLink:
    """Spend the link: it works this once (a second use at the same moment gets LinkGone)."""
    now = _now(now)
    link = check_link(token, purpose, now=now)
    spent = db.session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None), AccountLink.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if not spent:
        raise LinkGone(LINK_USED)
    link.used_at = now
    return link


def sign_in_with_link(token: str, *, now: datetime | None = None) -> Customer:
    """The customer a sign-in link proves, created on their first sign-in."""
    link = use_link(token, SIGN_IN, now=now)
    return customer_for_email(link.email, create=True)


def customer_for_email(email: str, *, create: bool = False) -> Customer | None:
    """The account of `email` (lower-cased), created when asked and missing (once, even if two
    sign-ins race: the second finds the row the first wrote)."""
    email = email.strip().lower()
    if create:
        db.session.execute(insert_or_skip(dialect_of(db.session), Customer.__table__, "email"),
                           {"email": email, "created_at": utcnow()})
    return db.session.scalar(select(Customer).where(Customer.email == email))
