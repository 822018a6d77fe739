"""Bearer-token authentication for the staff API, with roles."""
from functools import wraps

from flask import g, request

from shop.accounts.services import staff_for_token
from shop.errors import ShopError


class Unauthorized(ShopError):
    code = 401
    message = "A valid staff token is required (Authorization: Bearer <token>)"


def staff_token_required(*roles: str):
    """Let through a request whose bearer token belongs to staff with one of `roles`.

    Admins may do everything. 401 without a valid token, 403 for a role that may not.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            staff = staff_for_token(token.strip()) if scheme.lower() == "bearer" and token else None
            if staff is None:
                raise Unauthorized()
            if roles and not staff.has_role(*roles):
                raise ShopError("Your role may not do this", code=403)
            g.staff = staff
            return view(*args, **kwargs)

        return wrapper

    return decorator
