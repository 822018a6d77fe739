"""What the OpenAPI document says about authentication, in one place.

Three credentials reach the API besides none at all: the customer's order token, sent as the
`X-Order-Token` header to read or claim on one order; a member of staff's API token, sent as
`Authorization: Bearer <token>` to `/api/v1/admin/...`; and a signed-in customer's session
cookie, `customer_session`, for `/api/v1/account/...`. All are declared as security schemes,
and every operation names the one it needs (apispec's public plugin interface), so a client
generated from the document sends them without reading prose.
"""
from apispec import BasePlugin

SECURITY_SCHEMES = {
    "staffToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A staff API token (`flask --app shop staff create ...` prints one; "
                       "the admin's Staff page issues more). The role decides what it may do.",
    },
    "orderToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Order-Token",
        "description": "The `order_token` answered by `POST /api/v1/checkout` (also in the order "
                       "link of the confirmation email). A wrong token answers 404.",
    },
    "customerSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "customer_session",
        "description": "Set when the customer opens the one-time sign-in link that `POST /account/login` "
                       "(form or JSON `{\"email\": ...}`) emails them; sign out at `POST /account/logout`.",
    },
}


def security_for(path: str) -> list[dict] | None:
    """The credentials an operation at `path` needs; None for a public one."""
    if path.startswith("/api/v1/admin/"):
        return [{"staffToken": []}]
    if path.startswith("/api/v1/orders/"):
        return [{"orderToken": []}]
    if path.startswith("/api/v1/account/"):
        return [{"customerSession": []}]
    return None


class SecurityPlugin(BasePlugin):
    """Declares the schemes and marks each operation with the one its path needs."""

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        for name, scheme in SECURITY_SCHEMES.items():
            spec.components.security_scheme(name, scheme)

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        security = security_for(path or "")
        if security is None:
            return
        for operation in (operations or {}).values():
            operation.setdefault("security", security)
