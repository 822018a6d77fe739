"""Server-side sessions of signed-in customers, in a cookie of their own.

The pattern of the staff's sessions (`shop.accounts.sessions`), kept apart from them: the cookie
`customer_session` carries only a random key; its SHA-256 names a row of `customer_sessions`,
checked on every request that asks who is signed in. Signing out ends the row, "sign out
everywhere" ends every row of the customer, so a copy of the cookie opens nothing afterwards.
The admin panel reads only Flask-Login's staff session, so a customer's cookie never opens it;
and the JSON API, which has no Flask session (`shop.framework`), reads this cookie directly.
Services flush; the caller commits.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import Response, current_app, request
from sqlalchemy import select, update

from shop.customers.models import Customer, CustomerSession
from shop.db import as_utc, utcnow
from shop.errors import ShopError
from shop.extensions import db

COOKIE = "customer_session"
_CACHE = "shop.customer"


class SignInRequired(ShopError):
    code = 401
    message = "Sign in to your account first (the customer_session cookie of /account/login)"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def session_days() -> int:
    return int(current_app.config.get("ACCOUNT_SESSION_DAYS", 30))


def start_session(customer: Customer) -> str:
    """A new session for `customer`, lasting ACCOUNT_SESSION_DAYS; the key for its cookie."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(CustomerSession(customer_id=customer.id, key_hash=_digest(key), created_at=now,
                                   expires_at=now + timedelta(days=session_days())))
    customer.last_sign_in_at = now
    db.session.flush()
    return key


def customer_for_key(key: str | None) -> Customer | None:
    """The customer of a live session named by `key`, or None."""
    if not key or len(key) > 100:
        return None
    row = db.session.execute(
        select(CustomerSession, Customer).join(Customer, CustomerSession.customer_id == Customer.id)
        .where(CustomerSession.key_hash == _digest(key))
    ).first()
    if row is None:
        return None
    signed_in, customer = row
    if signed_in.ended_at is not None or as_utc(signed_in.expires_at) <= utcnow():
        return None
    return customer


def current_customer() -> Customer | None:
    """The customer this request's cookie signs in, or None (looked up once per request: kept in
    the request's own environ, which, unlike `g`, no other request shares, not even in tests)."""
    if _CACHE not in request.environ:
        request.environ[_CACHE] = customer_for_key(request.cookies.get(COOKIE))
    return request.environ[_CACHE]


def current_customer_email() -> str | None:
    customer = current_customer()
    return customer.email if customer is not None else None


def signed_in_customer() -> Customer:
    """The signed-in customer; SignInRequired (401) when there is none."""
    customer = current_customer()
    if customer is None:
        raise SignInRequired()
    return customer


def end_session(key: str | None) -> None:
    """End the session `key` names (signing out this browser)."""
    if key:
        db.session.execute(update(CustomerSession)
                           .where(CustomerSession.key_hash == _digest(key), CustomerSession.ended_at.is_(None))
                           .values(ended_at=utcnow()))
    request.environ.pop(_CACHE, None)


def end_every_session(customer: Customer) -> int:
    """Every session of `customer` stops working at its next request; how many were live."""
    ended = db.session.execute(update(CustomerSession)
                               .where(CustomerSession.customer_id == customer.id, CustomerSession.ended_at.is_(None))
                               .values(ended_at=utcnow())).rowcount
    request.environ.pop(_CACHE, None)
    return ended


def set_cookie(response: Response, key: str) -> Response:
    response.set_cookie(COOKIE, key, max_age=session_days() * 86400, httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), path="/")
    return response


def clear_cookie(response: Response) -> Response:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax",
                           secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response
