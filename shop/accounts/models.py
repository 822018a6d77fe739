"""Staff members, their sign-in sessions, second factor and API tokens.

Secrets a client holds (session ids, API tokens) are stored as SHA-256 digests; recovery codes
as argon2 hashes; never in clear.
"""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base, utcnow

ROLE_ADMIN = "admin"
ROLE_SUPPORT = "support"
ROLE_FULFILMENT = "fulfilment"
ROLES = (ROLE_ADMIN, ROLE_SUPPORT, ROLE_FULFILMENT)
# Roles that can move money (refunds, claims): they sign in with a second factor.
SECOND_FACTOR_ROLES = (ROLE_ADMIN, ROLE_SUPPORT)


class Staff(UserMixin, Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change and revocation: old sessions stop working (see get_id).
    session_version: Mapped[int] = mapped_column(default=1)
    # TOTP (RFC 6238): the secret, when enrolment was confirmed, the last time step accepted.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="staff", cascade="all, delete-orphan")
    # The key of the sign-in session this object was loaded for (not a column; see get_id).
    session_key = None

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the staff id and the server-side session's key."""
        return f"{self.id}:{self.session_key}"

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def needs_second_factor(self) -> bool:
        return self.role in SECOND_FACTOR_ROLES

    def has_role(self, *roles: str) -> bool:
        return self.role == ROLE_ADMIN or self.role in roles

    def __repr__(self) -> str:
        return f"<Staff {self.email} {self.role}>"


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    staff: Mapped[Staff] = relationship(back_populates="tokens")


class StaffSession(Base):
    """One signed-in browser. Signing out ends it; a changed password, role or deactivation
    bumps `Staff.session_version`, which ends every session started before."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator app (argon2 hash; used once)."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None]
