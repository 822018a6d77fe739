"""Managing staff from the admin panel: roles, deactivation, API tokens.

Creating accounts, passwords and tokens belong to `shop.accounts.services`; the rules here are
the ones only an admin screen needs: nobody locks themselves out, and the store always keeps an
active admin.
"""
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from shop.accounts.models import ROLE_ADMIN, ROLE_FULFILMENT, ROLE_SUPPORT, ROLES, ApiToken, Staff
from shop.accounts.services import revoke_token
from shop.accounts.sessions import end_every_session
from shop.errors import Conflict, NotFound, Unprocessable
from shop.extensions import db

# What each role opens in the admin panel (the views' `@roles` declarations), for the staff form.
ROLE_SCOPES = {
    ROLE_ADMIN: "everything",
    ROLE_SUPPORT: "claims, reviews, questions, emails",
    ROLE_FULFILMENT: "orders, shipping",
}


def role_hint() -> str:
    """One line telling whoever picks a role what it opens."""
    return " · ".join(f"{role}: {ROLE_SCOPES[role]}" for role in ROLES)


def list_staff() -> list[Staff]:
    return list(db.session.scalars(select(Staff).order_by(Staff.active.desc(), Staff.email)))


def get_staff(staff_id: int) -> Staff:
    staff = db.session.scalar(
        select(Staff).where(Staff.id == staff_id).options(selectinload(Staff.tokens))
    )
    if staff is None:
        raise NotFound("Staff member not found")
    return staff


def change_role(staff: Staff, role: str, *, by: Staff) -> None:
    if role not in ROLES:
        raise Unprocessable(errors={"role": [f"Role must be one of {', '.join(ROLES)}"]})
    if role == staff.role:
        return
    if staff.id == by.id:
        raise Conflict("You cannot change your own role; ask another admin")
    if staff.role == ROLE_ADMIN and staff.active and _active_admins() <= 1:
        raise Conflict("The store needs at least one active admin")
    staff.role = role
    end_every_session(staff)  # a narrower role takes effect now, not at the next sign-in


def set_active(staff: Staff, active: bool, *, by: Staff) -> None:
    """Deactivate (every session and token stops working) or reactivate a staff member."""
    if staff.active == active:
        return
    if not active:
        if staff.id == by.id:
            raise Conflict("You cannot deactivate yourself")
        if staff.role == ROLE_ADMIN and _active_admins() <= 1:
            raise Conflict("The store needs at least one active admin")
    staff.active = active
    end_every_session(staff)


def revoke_staff_token(staff: Staff, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.staff_id != staff.id:
        raise NotFound("Token not found")
    revoke_token(token_id)


def _active_admins() -> int:
    return db.session.scalar(
        select(func.count(Staff.id)).where(Staff.role == ROLE_ADMIN, Staff.active.is_(True))
    )
