"""Creating staff, checking passwords, issuing and checking API tokens."""
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from shop.accounts.models import ROLES, ApiToken, Staff
from shop.db import utcnow
from shop.errors import Conflict, Unprocessable
from shop.extensions import db

_hasher = PasswordHasher()
# Checked against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
TOKEN_PREFIX = "shp_"  # nosec B105
PASSWORD_MIN_LENGTH = 10
WRONG_CURRENT_SIGN_IN = "The current password is not right"


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Unprocessable(errors={"email": ["Email address invalid"]}) from exc


def create_staff(email: str, role: str, password: str | None = None, name: str = "") -> Staff:
    if role not in ROLES:
        raise Unprocessable(errors={"role": [f"Role must be one of {', '.join(ROLES)}"]})
    email = normalise_email(email)
    if db.session.scalar(select(Staff.id).where(Staff.email == email)):
        raise Conflict(f"A staff member with email {email} exists already")
    staff = Staff(email=email, role=role, name=name)
    if password:
        set_password(staff, password)
    db.session.add(staff)
    db.session.flush()
    return staff


def set_password(staff: Staff, password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise Unprocessable(errors={"password": [f"Use at least {PASSWORD_MIN_LENGTH} characters"]})
    staff.password_hash = _hasher.hash(password)
    if staff.id is not None:  # a changed password signs out every other session
        staff.session_version += 1


def change_password(staff: Staff, current_password: str, new_password: str) -> None:
    """A member replaces their own password; every session of theirs ends.

    The current password is asked for first, so a screen left signed in is not enough to take
    the account over. Refuses (422, per field) before anything changes.
    """
    if authenticate(staff.email, current_password) is None:
        raise Unprocessable(errors={"current_password": [WRONG_CURRENT_SIGN_IN]})
    set_password(staff, new_password)


def authenticate(email: str, password: str) -> Staff | None:
    """The staff member these credentials belong to, or None; never says which part was wrong."""
    staff = db.session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    stored = staff.password_hash if staff and staff.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if staff is None or not staff.password_hash or not staff.active:
        return None
    return staff


def issue_token(staff: Staff, name: str = "cli") -> str:
    """A new API token for `staff`; the clear value is returned once and stored only hashed."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(staff=staff, token_hash=token_digest(token), name=name))
    db.session.flush()
    return token


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def staff_for_token(token: str) -> Staff | None:
    """Tokens are 256-bit random, so a SHA-256 index lookup is safe; compare digests anyway."""
    digest = token_digest(token)
    row = db.session.execute(
        select(ApiToken, Staff)
        .join(Staff, ApiToken.staff_id == Staff.id)
        .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None), Staff.active.is_(True))
    ).first()
    if row is None or not hmac.compare_digest(row.ApiToken.token_hash, digest):
        return None
    return row.Staff


def revoke_token(token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token and token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
