"""The staff admin panel at /admin: login, dashboard and the screens staff work in.

Views here parse a form, call one service of the domain that owns the rule, and answer. Every
route is closed by default: `access.guard` lets a request through only when its view declares
the roles that may use it (see `access.roles`).
"""
from shop.admin.blueprint import bp

# The modules below add their routes to `bp` when imported.
from shop.admin import (  # noqa: E402,F401
    auth_views,
    second_factor_views,
    claim_views,
    dashboard_views,
    data_views,
    bundle_views,
    email_views,
    collection_views,
    fulfilment_views,
    order_views,
    page_views,
    picture_views,
    plan_views,
    product_views,
    promotion_views,
    review_views,
    shipping_views,
    staff_views,
    subscription_views,
)

__all__ = ["bp"]
