"""The second factor of staff who can move money: TOTP codes (pyotp) and one-time recovery codes.

Admins and support enrol an authenticator app; from then on signing in asks for a code after
the password. A code is accepted once (its time step is remembered, also against two requests
racing), a recovery code once (argon2 hash, marked used). STAFF_TOTP_REQUIRED (default: true in
production) sends members of those roles without enrolment to enrolment first. Services flush.
"""
import secrets
import time

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, or_, select, update

from shop.accounts.models import RecoveryCode, Staff
from shop.accounts.sessions import end_every_session
from shop.db import utcnow
from shop.errors import Conflict, Unprocessable
from shop.extensions import db

RECOVERY_CODES = 10
CODE_INVALID = "That code is not right"
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
# A recovery code is 16 random characters (about 79 bits): no guessing list reaches it, so
# argon2 runs at a light cost; checking a typed code against all ten stays quick.
_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def enrolment_required(staff: Staff) -> bool:
    """Whether `staff` must enrol before using the admin panel."""
    return (bool(current_app.config.get("STAFF_TOTP_REQUIRED")) and staff.needs_second_factor
            and not staff.totp_enabled)


def new_secret() -> str:
    """A secret to enter in an authenticator app; stored only once a first code confirms it."""
    return pyotp.random_base32()


def provisioning_uri(staff: Staff, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=staff.email, issuer_name=current_app.config["SHOP_NAME"])


def confirm_enrolment(staff: Staff, secret: str, code: str) -> list[str]:
    """Switch the second factor on with `secret` and a first code from the app; the recovery
    codes, in clear, to show once. Every session of the member ends (they signed in without it)."""
    if staff.totp_enabled:
        raise Conflict("A second factor is set up already")
    if not secret or not _accept_totp(staff, secret, code):
        raise Unprocessable(errors={"code": [CODE_INVALID]})
    staff.totp_secret = secret
    staff.totp_enabled_at = utcnow()
    end_every_session(staff)
    return new_recovery_codes(staff)


def new_recovery_codes(staff: Staff) -> list[str]:
    """Fresh recovery codes for `staff` (earlier ones stop working); the clear values, once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
        db.session.add(RecoveryCode(staff_id=staff.id, code_hash=_hasher.hash(raw)))
    db.session.flush()
    return codes


def verify_second_factor(staff: Staff, code: str) -> bool:
    """Whether `code` (a 6-digit TOTP code, or a recovery code) lets `staff` in; each works once."""
    code = "".join((code or "").split()).lower()
    if not staff.totp_enabled or not code:
        return False
    if code.isdigit():
        return _accept_totp(staff, staff.totp_secret, code)
    return _use_recovery_code(staff, code.replace("-", ""))


def reset_second_factor(staff: Staff) -> None:
    """Forget the member's app and recovery codes (a lost phone); they enrol again."""
    staff.totp_secret = None
    staff.totp_enabled_at = None
    staff.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    end_every_session(staff)


def _accept_totp(staff: Staff, secret: str, code: str) -> bool:
    """The code of the current 30-second step, or of one step either side (clock drift); a step
    once accepted is never accepted again (one conditional UPDATE decides between racers)."""
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    now = int(time.time())
    for offset in (0, -1, 1):
        moment = now + offset * totp.interval
        if secrets.compare_digest(totp.at(moment), code):
            step = moment // totp.interval
            taken = db.session.execute(
                update(Staff)
                .where(Staff.id == staff.id, or_(Staff.totp_last_step.is_(None), Staff.totp_last_step < step))
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken:
                staff.totp_last_step = step
            return bool(taken)
    return False


def _use_recovery_code(staff: Staff, raw: str) -> bool:
    unused = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.staff_id == staff.id, RecoveryCode.used_at.is_(None))
    ).all()
    for stored in unused:
        try:
            _hasher.verify(stored.code_hash, raw)
        except (VerificationError, InvalidHashError):
            continue
        taken = db.session.execute(
            update(RecoveryCode).where(RecoveryCode.id == stored.id, RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow()).execution_options(synchronize_session=False)
        ).rowcount
        return bool(taken)
    return False
