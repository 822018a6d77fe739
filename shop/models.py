"""Imports every domain's models so SQLAlchemy and Alembic see the whole schema."""
from shop.accounts.models import ApiToken, RecoveryCode, Staff, StaffSession  # noqa: F401
from shop.catalog.models import (  # noqa: F401
    Collection, CollectionProduct, Ingredient, Product, ProductImage, TitrationStep,
)
from shop.customers.models import AccountLink, Customer, CustomerSession  # noqa: F401
from shop.emails.models import EmailMessage, EmailSuppression  # noqa: F401
from shop.followups.models import FollowUp, RemindersOff  # noqa: F401
from shop.guarantee.models import Claim, ClaimAudit  # noqa: F401
from shop.pages.models import PolicyPage  # noqa: F401
from shop.orders.models import Order, OrderEvent, OrderItem  # noqa: F401
from shop.payments.models import Refund, StripeEvent  # noqa: F401
from shop.reviews.models import Entry, HelpfulVote  # noqa: F401
from shop.promotions.models import PromotionCode  # noqa: F401
from shop.shipping.models import ShippingRate  # noqa: F401
from shop.subscriptions.models import Subscription  # noqa: F401
from shop.limits_storage import counters as rate_limit_counters  # noqa: F401
