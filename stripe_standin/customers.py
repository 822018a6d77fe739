"""Customers, Products and Prices (one-off and recurring), and the billing portal's sessions.

Customers: create, retrieve, update (with `customer.updated` and its `previous_attributes`),
list by `email`. Products and Prices: create, retrieve, list; a price is `recurring` when it
has `recurring[interval]` (day, week, month or year) and `recurring[interval_count]`, as
Stripe caps them (at most one year). A billing-portal session's `url` is a stand-in page where
the customer replaces their card (see `billing.update_card`).
"""
from stripe_standin.account import Account, new_id
from stripe_standin.params import (expand, integer, invalid, merged_metadata, metadata, missing,
                                   no_such, one_of, only, text, currency, boolean)
from stripe_standin.shapes import (ADDRESS, BILLING_PORTAL_SESSION, CUSTOMER, PRICE, PRODUCT,
                                   RECURRING, shaped)
from stripe_standin import shipping

INTERVALS = ("day", "week", "month", "year")
_MAX_COUNT = {"day": 365, "week": 52, "month": 12, "year": 1}  # at most a year, as at Stripe
_CUSTOMER_FIELDS = {"email", "name", "phone", "description", "address", "shipping", "metadata",
                    "expand", "preferred_locales", "invoice_settings"}


# -- Customers -----------------------------------------------------------------------------
def create_customer(account: Account, params: dict, request: dict | None) -> dict:
    only(params, _CUSTOMER_FIELDS)
    with account.together():
        customer = new_customer(account, **_customer_fields(params, {}))
        return account.expanded(customer, expand(params))


def new_customer(account: Account, **fields) -> dict:
    """A customer, stored and announced (`customer.created`); callers hold the lock."""
    created = account.now()
    customer = shaped(CUSTOMER, id=new_id("cus_", 14), created=created,
                      invoice_prefix=new_id("", 8).upper(), **fields)
    account.customers[customer["id"]] = customer
    account.emit("customer.created", customer)
    return customer


def _customer_fields(params: dict, current: dict) -> dict:
    fields = {}
    for name in ("email", "name", "phone", "description"):
        if name in params:
            fields[name] = text(params, name, max_length=512)
    if fields.get("email") and "@" not in fields["email"]:
        raise invalid("email", f"Invalid email address: {fields['email']}")
    if "address" in params:
        fields["address"] = _address(params["address"], "address")
    if "shipping" in params:
        raw = params["shipping"]
        if raw == "":
            fields["shipping"] = None
        else:
            if not isinstance(raw, dict):
                raise invalid("shipping", "Invalid object: shipping")
            only(raw, {"address", "name", "phone"}, "shipping")
            fields["shipping"] = {
                "address": _address(raw.get("address"), "shipping[address]") or dict(ADDRESS),
                "name": text(raw, "name", required=True, label="shipping[name]"),
                "phone": text(raw, "phone", label="shipping[phone]")}
    if "metadata" in params:
        fields["metadata"] = merged_metadata(current.get("metadata", {}), params)
    if "preferred_locales" in params:
        locales = params["preferred_locales"]
        fields["preferred_locales"] = locales if isinstance(locales, list) else []
    settings = params.get("invoice_settings")
    if isinstance(settings, dict) and "default_payment_method" in settings:
        base = current.get("invoice_settings") or dict(CUSTOMER["invoice_settings"])
        fields["invoice_settings"] = dict(base, default_payment_method=text(
            settings, "default_payment_method", label="invoice_settings[default_payment_method]"))
    return fields


def _address(raw, label: str) -> dict | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, dict):
        raise invalid(label, f"Invalid object: {label}")
    only(raw, set(ADDRESS), label)
    return {name: text(raw, name, label=f"{label}[{name}]") for name in ADDRESS}


def update_customer(account: Account, customer_id: str, params: dict, request: dict | None) -> dict:
    only(params, _CUSTOMER_FIELDS)
    with account.together():
        customer = customer_of(account, customer_id)
        changes = _customer_fields(params, customer)
        changed(account, "customer.updated", customer, changes, request)
        return account.expanded(customer, expand(params))


def changed(account: Account, event_type: str, obj: dict, changes: dict,
            request: dict | None = None) -> None:
    """Apply `changes` to `obj`; when any field really changed, announce it with the fields'
    former values in `previous_attributes`, as Stripe does."""
    previous = {k: obj[k] for k, v in changes.items() if obj.get(k) != v}
    obj.update(changes)
    if previous:
        account.emit(event_type, obj, request, previous=previous)


def customer_of(account: Account, customer_id: str, param: str = "id") -> dict:
    customer = account.customers.get(customer_id)
    if customer is None:
        raise no_such("customer", customer_id, param)
    return customer


def list_customers(account: Account, params: dict) -> dict:
    with account.lock:
        email = params.get("email")
        found = [c for c in account.customers.values() if not email or c["email"] == email]
        return account.page(found, params, "/v1/customers", expand(params))


# -- Products and Prices -------------------------------------------------------------------
def create_product(account: Account, params: dict, request: dict | None) -> dict:
    only(params, {"name", "description", "metadata", "tax_code", "active", "expand", "id",
                  "shippable", "url", "unit_label", "statement_descriptor", "images"})
    with account.together():
        created = account.now()
        product_id = text(params, "id") or new_id("prod_", 14)
        if product_id in account.products:
            raise invalid("id", f"Product already exists: {product_id}")
        product = shaped(
            PRODUCT, id=product_id, created=created, updated=created, active=boolean(
                params, "active", default=True),
            name=text(params, "name", required=True), description=text(params, "description"),
            tax_code=shipping.tax_code(params, "tax_code", "tax_code"), metadata=metadata(params),
            shippable=boolean(params, "shippable"), url=text(params, "url"),
            unit_label=text(params, "unit_label"), type="good")
        account.products[product_id] = product
        account.emit("product.created", product, request)
        return account.expanded(product, expand(params))


def create_price(account: Account, params: dict, request: dict | None) -> dict:
    only(params, {"currency", "unit_amount", "product", "product_data", "recurring", "metadata",
                  "nickname", "lookup_key", "tax_behavior", "active", "expand"})
    with account.together():
        if params.get("product") and params.get("product_data"):
            raise invalid("product", "You may only specify one of these parameters: product, "
                                     "product_data.")
        if params.get("product"):
            product = account.products.get(params["product"])
            if product is None:
                raise no_such("product", params["product"], "product")
        elif isinstance(params.get("product_data"), dict):
            product = _inline_product(account, params["product_data"], "product_data")
            product["active"] = True
            account.products[product["id"]] = product
            account.emit("product.created", product, request)
        else:
            raise missing("product")
        price = new_price(account, params, product["id"], "", active=boolean(
            params, "active", default=True))
        price.update(metadata=metadata(params), nickname=text(params, "nickname"),
                     lookup_key=text(params, "lookup_key"))
        account.prices[price["id"]] = price
        account.emit("price.created", price, request)
        return account.expanded(price, expand(params))


def _inline_product(account: Account, data: dict, label: str) -> dict:
    created = account.now()
    return shaped(PRODUCT, id=new_id("prod_", 14), created=created, updated=created,
                  name=text(data, "name", required=True, label=f"{label}[name]"),
                  description=text(data, "description", label=f"{label}[description]"),
                  tax_code=shipping.tax_code(data, "tax_code", f"{label}[tax_code]"),
                  metadata=metadata(data))


def new_price(account: Account, data: dict, product_id: str, label: str, *,
              active: bool = False) -> dict:
    """A price from `unit_amount`, `currency`, `tax_behavior` and `recurring` (not stored)."""
    def at(name):
        return f"{label}[{name}]" if label else name
    price_currency = currency(data, "currency", required=True, label=at("currency"))
    unit_amount = integer(data, "unit_amount", required=True, minimum=0, maximum=99999999,
                          label=at("unit_amount"))
    tax_behavior = one_of(data, "tax_behavior", shipping.TAX_BEHAVIORS, default="unspecified",
                          label=at("tax_behavior"))
    recurring = _recurring(data.get("recurring"), at("recurring"))
    return shaped(PRICE, id=new_id("price_1"), created=account.now(), currency=price_currency,
                  product=product_id, unit_amount=unit_amount, tax_behavior=tax_behavior,
                  unit_amount_decimal=str(unit_amount), active=active, recurring=recurring,
                  type="recurring" if recurring else "one_time")


def _recurring(raw, label: str) -> dict | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, dict):
        raise invalid(label, f"Invalid object: {label}")
    only(raw, {"interval", "interval_count", "trial_period_days", "usage_type"}, label)
    interval = one_of(raw, "interval", INTERVALS, required=True, label=f"{label}[interval]")
    count = integer(raw, "interval_count", minimum=1, default=1,
                    label=f"{label}[interval_count]")
    if count > _MAX_COUNT[interval]:
        raise invalid(f"{label}[interval_count]", "The maximum billing period is 1 year "
                                                  "(1 year, 12 months, 52 weeks or 365 days).")
    one_of(raw, "usage_type", ("licensed",), label=f"{label}[usage_type]")
    return dict(RECURRING, interval=interval, interval_count=count,
                trial_period_days=integer(raw, "trial_period_days", minimum=1,
                                          label=f"{label}[trial_period_days]"))


def list_prices(account: Account, params: dict) -> dict:
    with account.lock:
        active = boolean(params, "active")
        found = [p for p in account.prices.values()
                 if (not params.get("product") or p["product"] == params["product"])
                 and (not params.get("type") or p["type"] == params["type"])
                 and (active is None or p["active"] == active)]
        return account.page(found, params, "/v1/prices", expand(params))


def list_products(account: Account, params: dict) -> dict:
    with account.lock:
        active = boolean(params, "active")
        found = [p for p in account.products.values() if active is None or p["active"] == active]
        return account.page(found, params, "/v1/products", expand(params))


# -- the billing portal --------------------------------------------------------------------
def create_portal_session(account: Account, params: dict) -> dict:
    only(params, {"customer", "return_url", "locale", "configuration", "expand"})
    with account.lock:
        customer = customer_of(account, text(params, "customer", required=True), "customer")
        session_id = new_id("bps_1")
        session = shaped(BILLING_PORTAL_SESSION, id=session_id, created=account.now(),
                         customer=customer["id"], return_url=text(params, "return_url"),
                         locale=text(params, "locale"),
                         url=f"{account.base_url}/billing/{session_id}")
        account.portal_sessions[session_id] = session
        return account.expanded(session, expand(params))
