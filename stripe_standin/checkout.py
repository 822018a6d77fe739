"""Checkout Sessions: create, expire, and what the hosted page does when the customer pays.

A card payment succeeds at once (`payment_status=paid`). A bank transfer completes the session
unpaid and settles later (`checkout.session.async_payment_succeeded` / `_failed`), by itself
after `account.async_delay` seconds or when a test says so.

A session may collect a shipping address (from `allowed_countries`) and a phone number, offer
up to five shipping rates, take a promotion code the customer types (`allow_promotion_codes`)
or carry a discount from the start (`discounts`), and compute tax (`automatic_tax`, see `tax`).
Its figures follow `totals`: amount_total = subtotal − discount + shipping + tax, and the
PaymentIntent charges exactly amount_total. Until the customer pays they show the first
shipping option and no tax; paying fixes the customer's choices and redeems the code.
"""
import threading
from dataclasses import dataclass, replace

import copy

from stripe_standin import billing, charges, customers, discounts, places, shipping, tax, totals
from stripe_standin.account import Account, new_id
from stripe_standin.answers import ADDRESS_FIELDS, Answers
from stripe_standin.params import (StripeError, boolean, expand, hash_of, integer, invalid,
                                   metadata, missing, no_such, one_of, only, text,
                                   unknown_parameter)
from stripe_standin.shapes import (CHECKOUT_SESSION, COLLECTED_INFORMATION, CUSTOMER,
                                   CUSTOMER_DETAILS, LINE_ITEM, PRODUCT, shaped)

MIN_LIFETIME, MAX_LIFETIME = 30 * 60, 24 * 60 * 60
# Since API version 2026-03-25 (hosted, embedded and custom are refused). Only the hosted page
# is served here: the others are refused by name rather than accepted and ignored.
UI_MODES = ("elements", "embedded_page", "hosted_page")
# Accepted and stored as given (they change nothing in this one-page checkout).
_PASSED_THROUGH = {"locale", "submit_type", "billing_address_collection", "customer_creation"}
# `payment_method_types` is not among them: Stripe removed it in API version 2026-09-30
# (allowed_payment_method_types / excluded_payment_method_types replace it).
_ACCEPTED = _PASSED_THROUGH | {
    "mode", "line_items", "success_url", "cancel_url", "client_reference_id", "customer_email",
    "metadata", "expires_at", "allowed_payment_method_types", "excluded_payment_method_types",
    "payment_intent_data", "expand", "allow_promotion_codes", "shipping_address_collection",
    "phone_number_collection", "automatic_tax", "custom_text", "consent_collection", "currency",
    "ui_mode", "shipping_options", "discounts", "customer", "customer_update", "subscription_data"}
MODES = ("payment", "subscription")
# What `subscription_data` takes here (Stripe's other keys are refused by name).
_SUBSCRIPTION_DATA = {"trial_end", "trial_period_days", "billing_cycle_anchor", "metadata",
                      "description", "proration_behavior"}
MIN_TRIAL = 48 * 60 * 60  # Checkout wants a trial to end at least two days ahead
# `customer_update[...]`: what the customer enters on the page is saved onto their Customer
# (`auto`) or not (`never`, the default): the shipping address, the name, the billing address.
CUSTOMER_UPDATES = ("address", "name", "shipping")
_AUTOMATIC_TAX_OFF = {"enabled": False, "liability": None, "provider": None, "status": None}
DEFAULT_EMAIL = "jenny.rosen@example.com"  # who pays when the session names no one


def create_session(account: Account, params: dict, request: dict) -> dict:
    unknown = sorted(set(params) - _ACCEPTED)
    if unknown:
        raise unknown_parameter(unknown[0])
    mode = text(params, "mode", required=True)
    if mode not in MODES:
        raise invalid("mode", f"The stand-in supports mode=payment and mode=subscription, not "
                              f"{mode!r}.")
    ui_mode = one_of(params, "ui_mode", UI_MODES, default="hosted_page")
    if ui_mode != "hosted_page":
        raise invalid("ui_mode", f"The stand-in serves ui_mode=hosted_page only, not {ui_mode!r}.")
    success_url = text(params, "success_url", required=True, max_length=5000)
    created = account.now()
    expires_at = integer(params, "expires_at", default=created + MAX_LIFETIME)
    if not created + MIN_LIFETIME <= expires_at <= created + MAX_LIFETIME:
        raise invalid("expires_at", "The `expires_at` timestamp must be at least 30 minutes and "
                                    "at most 24 hours after the Checkout Session is created.")
    email = text(params, "customer_email", max_length=800)
    if email is not None and "@" not in email:
        raise invalid("customer_email", f"Invalid email address: {email}")
    session_id = new_id("cs_test_a1", 54)
    with account.lock:
        customer = _customer(account, params, email)
        customer_update = _customer_update(params, customer)
        items, products = _line_items(account, params.get("line_items"), created, mode)
        subscription_data = _subscription_data(params, mode, created, items)
        session_currency = _one_currency(items)
        rates = shipping.session_options(account, params.get("shipping_options"), session_currency)
        session = shaped(
            CHECKOUT_SESSION, id=session_id, created=created, expires_at=expires_at,
            success_url=success_url, cancel_url=text(params, "cancel_url"),
            client_reference_id=text(params, "client_reference_id", max_length=200),
            customer_email=email, metadata=metadata(params), currency=session_currency,
            mode=mode, customer=customer,
            url=f"{account.base_url}/pay/{session_id}",
            payment_method_types=_payment_method_types(params), ui_mode=ui_mode,
            **_collection(params, items, rates),
        )
        session.update({k: params[k] for k in _PASSED_THROUGH if isinstance(params.get(k), str)})
        subtotal = _due_today(items, subscription_data)
        coupon, promo = _preset_discount(account, params, subtotal, session_currency, email)
        _price(session, items, Quote.of(subtotal, rates[0] if rates else None, coupon, promo, None))
        _keep(account, session, items, products, rates, params.get("payment_intent_data"))
        if subscription_data is not None:
            account.intent_data[session_id]["subscription_data"] = subscription_data
        account.intent_data[session_id]["customer_update"] = customer_update
        return account.expanded(session, expand(params))


def _customer(account: Account, params: dict, email: str | None) -> str | None:
    """`customer`: an existing customer pays (not together with `customer_email`)."""
    customer_id = text(params, "customer")
    if customer_id is None:
        return None
    if email is not None:
        raise invalid("customer", "You may only specify one of these parameters: customer, "
                                  "customer_email.")
    if customer_id not in account.customers:
        raise no_such("customer", customer_id, "customer")
    return customer_id


def _customer_update(params: dict, customer: str | None) -> dict:
    """`customer_update`: {"shipping": "auto", ...}; only with `customer`, as at Stripe."""
    raw = hash_of(params, "customer_update")
    if not raw:
        return {}
    if customer is None:
        raise invalid("customer_update", "customer_update can only be used with customer.")
    only(raw, set(CUSTOMER_UPDATES), "customer_update")
    return {name: one_of(raw, name, ("auto", "never"), default="never", label=f"customer_update[{name}]")
            for name in CUSTOMER_UPDATES}


def saved_answers(account: Account, session: dict) -> Answers:
    """What the page shows a known customer before they type anything: the shipping address
    (name, phone) their Customer has, when the session collects one."""
    customer = account.customers.get(session.get("customer") or "") or {}
    shipping = customer.get("shipping")
    if not shipping or not session["shipping_address_collection"]:
        return Answers()
    address = shipping.get("address") or {}
    return Answers(name=shipping.get("name"), phone=shipping.get("phone") or customer.get("phone"),
                   address={name: address.get(name) for name in ADDRESS_FIELDS})


def _update_customer(account: Account, session: dict) -> None:
    """Save what was entered onto the session's Customer, as its `customer_update` asks
    (`customer.updated` follows when anything changed); callers hold the lock."""
    wanted = account.intent_data[session["id"]].get("customer_update") or {}
    customer = account.customers.get(session.get("customer") or "")
    if customer is None or not any(value == "auto" for value in wanted.values()):
        return
    details = session["customer_details"]
    shipping = (session.get("collected_information") or {}).get("shipping_details")
    changes = {}
    if wanted.get("shipping") == "auto" and shipping:
        changes["shipping"] = {"name": shipping["name"], "address": dict(shipping["address"]),
                               "phone": details["phone"]}
    if wanted.get("name") == "auto" and details["name"]:
        changes["name"] = details["name"]
    if wanted.get("address") == "auto":
        changes["address"] = dict(details["address"])
    customers.changed(account, "customer.updated", customer, changes)


def _subscription_data(params: dict, mode: str, created: int, items: list[dict]) -> dict | None:
    """What a subscription-mode session's subscription starts with, checked as Checkout does."""
    if mode == "payment":
        for name in ("subscription_data",):
            if params.get(name) not in (None, ""):
                raise invalid(name, "You can only pass subscription_data in subscription mode.")
        for index, item in enumerate(items):
            if item["price"]["recurring"]:
                raise invalid(f"line_items[{index}]",
                              "You specified `payment` mode but passed a recurring price. Either "
                              "switch to `subscription` mode or use only one-time prices.")
        return None
    for name in ("payment_intent_data", "shipping_options"):
        if params.get(name) not in (None, ""):
            raise invalid(name, f"{name} cannot be used in subscription mode.")
    if not any(item["price"]["recurring"] for item in items):
        raise invalid("line_items", "You must provide at least one recurring price in "
                                    "`subscription` mode when using prices.")
    raw = hash_of(params, "subscription_data")
    only(raw, _SUBSCRIPTION_DATA, "subscription_data")
    label = "subscription_data"
    trial_end = integer(raw, "trial_end", label=f"{label}[trial_end]")
    days = integer(raw, "trial_period_days", minimum=1, maximum=730,
                   label=f"{label}[trial_period_days]")
    if trial_end is not None and days is not None:
        raise invalid(f"{label}[trial_end]", "You may only specify one of these parameters: "
                                             "trial_end, trial_period_days.")
    if days is not None:
        trial_end = created + days * 24 * 60 * 60
    elif trial_end is not None and trial_end < created + MIN_TRIAL:
        raise invalid(f"{label}[trial_end]", "The `trial_end` date has to be at least 2 days "
                                             "in the future.")
    anchor = integer(raw, "billing_cycle_anchor", label=f"{label}[billing_cycle_anchor]")
    if anchor is not None:
        if trial_end is not None:
            raise invalid(f"{label}[billing_cycle_anchor]", "The stand-in takes either a trial "
                          "or a billing_cycle_anchor, not both.")
        recurring = next(i["price"]["recurring"] for i in items if i["price"]["recurring"])
        if not created < anchor <= billing.add_interval(created, recurring["interval"],
                                                        recurring["interval_count"]):
            raise invalid(f"{label}[billing_cycle_anchor]", "The billing_cycle_anchor must be "
                          "in the future and within one billing period.")
    behavior = one_of(raw, "proration_behavior", ("create_prorations", "none"),
                      default="create_prorations", label=f"{label}[proration_behavior]")
    return {"trial_end": trial_end, "billing_cycle_anchor": anchor,
            "metadata": metadata(raw), "description": text(raw, "description", max_length=500,
                                                           label=f"{label}[description]"),
            "prorate": behavior == "create_prorations"}


def _one_currency(items: list[dict]) -> str:
    currencies = {item["currency"] for item in items}
    if len(currencies) > 1:
        raise invalid("line_items", "All line items must use the same currency.")
    return currencies.pop()


def _collection(params: dict, items: list[dict], rates: list[dict]) -> dict:
    """What the session collects and offers: address, phone, shipping options, codes, tax."""
    return {
        "allow_promotion_codes": boolean(params, "allow_promotion_codes"),
        "shipping_address_collection": _address_collection(params),
        "phone_number_collection": {"enabled": _enabled(params, "phone_number_collection")},
        "automatic_tax": _automatic_tax(params, items, rates),
        "shipping_options": [{"shipping_amount": r["fixed_amount"]["amount"],
                              "shipping_rate": r["id"]} for r in rates],
    }


def _keep(account: Account, session: dict, items: list[dict], products: list[dict],
          rates: list[dict], intent_data) -> None:
    """Store a session that passed every check, with what it made (products, inline rates)."""
    intent_data = intent_data if isinstance(intent_data, dict) else {}
    intent = {"metadata": metadata(intent_data), "description": intent_data.get("description")}
    account.products.update({p["id"]: p for p in products if p["id"] not in account.products})
    account.prices.update({i["price"]["id"]: i["price"] for i in items
                           if i["price"]["id"] not in account.prices})
    account.shipping_rates.update({r["id"]: r for r in rates})
    account.sessions[session["id"]] = session
    account.line_items[session["id"]] = items
    account.intent_data[session["id"]] = intent


def _payment_method_types(params: dict) -> list[str]:
    for name in ("allowed_payment_method_types", "excluded_payment_method_types"):
        types = params.get(name)
        if types is not None and (not isinstance(types, list)
                                  or not all(isinstance(t, str) for t in types)):
            raise invalid(name, "Invalid array")
    allowed = params.get("allowed_payment_method_types") or ["card"]
    excluded = params.get("excluded_payment_method_types") or []
    return [t for t in allowed if t not in excluded]


def _line_items(account: Account, raw, created: int,
                mode: str = "payment") -> tuple[list[dict], list[dict]]:
    """The session's line items, and the products their inline `product_data` makes."""
    if not raw:
        raise missing("line_items")
    if not isinstance(raw, list) or len(raw) > 100:
        raise invalid("line_items", "line_items must be an array of at most 100 items.")
    made = [_line_item(account, item, f"line_items[{index}]", created)
            for index, item in enumerate(raw)]
    return [item for item, _ in made], [product for _, product in made]


def _line_item(account: Account, item, label: str, created: int) -> tuple[dict, dict]:
    if not isinstance(item, dict):
        raise invalid(label, f"Invalid object: {label}")
    if item.get("price"):
        return _priced_item(account, item, label)
    data = item.get("price_data")
    if not isinstance(data, dict):
        raise missing(f"{label}[price_data]")
    currency = text(data, "currency", required=True, label=f"{label}[price_data][currency]")
    if len(currency) != 3 or not currency.isalpha():
        raise invalid(f"{label}[price_data][currency]", f"Invalid currency: {currency}")
    currency = currency.lower()
    unit_amount = integer(data, "unit_amount", required=True, minimum=0, maximum=99999999,
                          label=f"{label}[price_data][unit_amount]")
    tax_behavior = one_of(data, "tax_behavior", shipping.TAX_BEHAVIORS, default="unspecified",
                          label=f"{label}[price_data][tax_behavior]")
    if data.get("product") and data["product"] in account.products:
        product = account.products[data["product"]]
    else:
        product = _product(data, f"{label}[price_data]", created)
    quantity = integer(item, "quantity", required=True, minimum=1, maximum=999999,
                       label=f"{label}[quantity]")
    price = customers.new_price(account, data, product["id"], f"{label}[price_data]")
    price.update(unit_amount=unit_amount, tax_behavior=tax_behavior, currency=currency)
    amount = unit_amount * quantity
    return shaped(LINE_ITEM, id=new_id("li_1"), amount_subtotal=amount, amount_total=amount,
                  currency=currency, description=product["name"], price=price,
                  quantity=quantity), product


def _priced_item(account: Account, item: dict, label: str) -> tuple[dict, dict]:
    """A line item for a price made beforehand (`line_items[n][price]=price_...`)."""
    price = account.prices.get(item["price"])
    if price is None:
        raise no_such("price", item["price"], f"{label}[price]")
    if not price["active"]:
        raise invalid(f"{label}[price]", f"The price {price['id']} is not active.")
    quantity = integer(item, "quantity", required=True, minimum=1, maximum=999999,
                       label=f"{label}[quantity]")
    product = account.products[price["product"]]
    amount = price["unit_amount"] * quantity
    return shaped(LINE_ITEM, id=new_id("li_1"), amount_subtotal=amount, amount_total=amount,
                  currency=price["currency"], description=product["name"],
                  price=copy.deepcopy(price), quantity=quantity), product


def _product(data: dict, label: str, created: int) -> dict:
    """The product an inline price is for (`product_data`: name, tax_code, metadata, ...)."""
    product = data.get("product_data")
    if not isinstance(product, dict):
        if data.get("product"):
            raise no_such("product", data["product"], f"{label}[product]")
        raise missing(f"{label}[product_data]")
    return shaped(
        PRODUCT, id=new_id("prod_", 14), created=created, updated=created,
        name=text(product, "name", required=True, label=f"{label}[product_data][name]"),
        description=text(product, "description", label=f"{label}[product_data][description]"),
        tax_code=shipping.tax_code(product, "tax_code", f"{label}[product_data][tax_code]"),
        metadata=metadata(product),
    )


def _enabled(params: dict, name: str) -> bool:
    """`phone_number_collection[enabled]` and the like: a hash whose `enabled` is required."""
    raw = hash_of(params, name)
    if not raw:
        return False
    only(raw, {"enabled"}, name)
    enabled = boolean(raw, "enabled", label=f"{name}[enabled]")
    if enabled is None:
        raise missing(f"{name}[enabled]")
    return enabled


def _address_collection(params: dict) -> dict | None:
    raw = hash_of(params, "shipping_address_collection")
    if not raw:
        return None
    only(raw, {"allowed_countries"}, "shipping_address_collection")
    countries = raw.get("allowed_countries")
    label = "shipping_address_collection[allowed_countries]"
    if countries is None or countries == "":
        raise missing(label)
    if not isinstance(countries, list) or not countries:
        raise invalid(label, "Invalid array")
    for index, country in enumerate(countries):
        if country not in places.SHIPPING_COUNTRIES:
            listed = ", ".join(places.SHIPPING_COUNTRIES[:-1])
            raise invalid(f"{label}[{index}]", f"Invalid {label}[{index}]: must be one of "
                                               f"{listed}, or {places.SHIPPING_COUNTRIES[-1]}")
    return {"allowed_countries": list(dict.fromkeys(countries))}


def _automatic_tax(params: dict, items: list[dict], rates: list[dict]) -> dict:
    """Stripe Tax on or off. On, every price and rate must be tax-exclusive (or unspecified:
    the account's default, exclusive here), since the stand-in only adds tax on top."""
    if not _enabled(params, "automatic_tax"):
        return dict(_AUTOMATIC_TAX_OFF)
    for index, item in enumerate(items):
        if item["price"]["tax_behavior"] == "inclusive":
            raise invalid(f"line_items[{index}][price_data][tax_behavior]",
                          "The stand-in computes tax-exclusive prices only: give "
                          "tax_behavior=exclusive (or leave it unspecified).")
    for index, rate in enumerate(rates):
        if rate["tax_behavior"] == "inclusive":
            raise invalid(f"shipping_options[{index}]",
                          "The stand-in computes tax-exclusive shipping rates only: give "
                          "tax_behavior=exclusive (or leave it unspecified).")
    return {"enabled": True, "liability": {"type": "self"}, "provider": "stripe",
            "status": "requires_location_inputs"}


def _preset_discount(account: Account, params: dict, subtotal: int, currency: str,
                     email: str | None) -> tuple[dict | None, dict | None]:
    """`discounts[0][coupon]` or `discounts[0][promotion_code]`, checked as Stripe checks them:
    one discount at most, and never together with `allow_promotion_codes`."""
    raw = params.get("discounts")
    if raw is None or raw == "":
        return None, None
    if params.get("allow_promotion_codes") not in (None, ""):
        raise invalid("discounts", "You may only specify one of these parameters: "
                                   "allow_promotion_codes, discounts.")
    if not isinstance(raw, list) or len(raw) != 1 or not isinstance(raw[0], dict):
        raise invalid("discounts", "A Checkout Session takes one discount: "
                                   "discounts[0][coupon] or discounts[0][promotion_code].")
    only(raw[0], {"coupon", "promotion_code"}, "discounts[0]")
    given = [k for k in ("coupon", "promotion_code") if raw[0].get(k)]
    if len(given) != 1:
        raise invalid("discounts[0]", "You must specify exactly one of coupon or promotion_code "
                                      "in discounts[0].")
    param = f"discounts[0][{given[0]}]"
    object_id = text(raw[0], given[0], label=param)
    if given[0] == "coupon":
        return _given_coupon(account, object_id, param, currency), None
    promo = account.promotion_codes.get(object_id)
    if promo is None:
        raise no_such("promotion_code", object_id, param)
    problem = discounts.promotion_code_problem(account, promo, subtotal=subtotal,
                                               currency_=currency, email=email)
    if problem:
        raise discounts.refused(problem, param)
    return account.coupons[promo["promotion"]["coupon"]], promo


def _given_coupon(account: Account, coupon_id: str, param: str, currency: str) -> dict:
    coupon = account.coupons.get(coupon_id)
    if coupon is None:
        raise no_such("coupon", coupon_id, param)
    problem = (discounts.coupon_problem(account, coupon)
               or discounts.currency_problem(coupon, currency))
    if problem:
        raise discounts.refused(problem, param)
    return coupon


# -- the figures ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Quote:
    """A session's figures for a set of choices, and what they were computed from."""
    figures: totals.Figures
    rate: dict | None
    coupon: dict | None
    promotion_code: dict | None
    address: dict | None  # where tax was computed for (None: not yet known)

    @classmethod
    def of(cls, subtotal: int, rate: dict | None, coupon: dict | None, promo: dict | None,
           percentage, address: dict | None = None) -> "Quote":
        shipping_amount = rate["fixed_amount"]["amount"] if rate else 0
        figures = totals.figures(subtotal, totals.discount_for(coupon, subtotal),
                                 shipping_amount, percentage)
        return cls(figures, rate, coupon, promo, address)


def _due_today(items: list[dict], subscription_data: dict | None) -> int:
    """What the session charges now: every line, less the recurring ones while a trial runs
    (Checkout's "due today": the first invoice bills only the one-time lines)."""
    trial = bool(subscription_data and subscription_data.get("trial_end"))
    return sum(item["amount_subtotal"] for item in items if not (trial and item["price"]["recurring"]))


def _price(session: dict, items: list[dict], chosen: Quote) -> None:
    """Write a quote's figures onto the session and its line items, in Stripe's fields."""
    figures, rate = chosen.figures, chosen.rate
    session.update(
        amount_subtotal=figures.subtotal, amount_total=figures.total,
        total_details={"amount_discount": figures.discount,
                       "amount_shipping": figures.shipping, "amount_tax": figures.tax},
        shipping_cost=None if rate is None else {
            "amount_subtotal": figures.shipping, "amount_tax": figures.shipping_tax,
            "amount_total": figures.shipping + figures.shipping_tax, "shipping_rate": rate["id"]},
        discounts=[] if chosen.coupon is None else [{
            "coupon": chosen.coupon["id"],
            "promotion_code": chosen.promotion_code["id"] if chosen.promotion_code else None}],
    )
    amounts = [item["amount_subtotal"] for item in items]
    item_discounts = totals.spread(figures.discount, amounts)
    after_discount = [a - d for a, d in zip(amounts, item_discounts)]
    for item, discount, tax_share in zip(items, item_discounts,
                                         totals.spread(figures.items_tax, after_discount)):
        item.update(amount_discount=discount, amount_tax=tax_share,
                    amount_total=item["amount_subtotal"] - discount + tax_share)


def quote(account: Account, session: dict, answers: Answers, *, final: bool) -> Quote:
    """The figures for the customer's choices, refusing what Checkout would refuse.

    `final` (paying) also insists on a complete address and a phone number where asked for;
    a preview (the page's Apply) computes what it can from what has been entered.
    """
    with account.lock:
        subtotal = _due_today(account.line_items[session["id"]],
                              account.intent_data[session["id"]].get("subscription_data"))
        rate = _chosen_rate(account, session, answers.shipping_rate)
        coupon, promo = _chosen_discount(account, session, answers, subtotal)
        address = _taxed_address(session, answers, final)
        if final and session["phone_number_collection"]["enabled"] and not answers.phone:
            raise StripeError("Enter a phone number.", code="parameter_missing", param="phone")
        percentage = None
        if session["automatic_tax"]["enabled"] and address is not None:
            percentage = tax.percentage_for(account.tax_rates, address)
        return Quote.of(subtotal, rate, coupon, promo, percentage, address)


def preview(account: Account, session: dict, answers: Answers) -> tuple[Quote, str | None]:
    """The figures the page shows for what has been entered so far, and why a choice was
    refused (the code, the country, ...): the figures then leave that choice out."""
    fallbacks = (answers, replace(answers, promotion_code=None),
                 Answers(shipping_rate=answers.shipping_rate), Answers())
    error = None
    for attempt in fallbacks:
        try:
            return quote(account, session, attempt, final=False), error
        except StripeError as exc:
            error = error or str(exc)
    with account.lock:  # the session's own discount is no longer valid: show it without
        subtotal = _due_today(account.line_items[session["id"]],
                              account.intent_data[session["id"]].get("subscription_data"))
        rate = _chosen_rate(account, session, None)
        return Quote.of(subtotal, rate, None, None, None), error


def _chosen_rate(account: Account, session: dict, rate_id: str | None) -> dict | None:
    offered = [option["shipping_rate"] for option in session["shipping_options"]]
    if not offered:
        if rate_id:
            raise StripeError("This Checkout Session offers no shipping options.",
                              param="shipping_rate")
        return None
    if rate_id is None:
        return account.shipping_rates[offered[0]]
    if rate_id not in offered:
        raise StripeError(f"{rate_id} is not one of this Checkout Session's shipping options.",
                          param="shipping_rate")
    return account.shipping_rates[rate_id]


def _chosen_discount(account: Account, session: dict, answers: Answers,
                     subtotal: int) -> tuple[dict | None, dict | None]:
    """The session's own discount, or the code the customer typed, if it can be redeemed."""
    email = answers.email or session["customer_email"]
    if answers.promotion_code and not session["allow_promotion_codes"]:
        raise StripeError("This Checkout Session does not take promotion codes.",
                          param="promotion_code")
    if session["discounts"]:
        preset = session["discounts"][0]
        coupon = account.coupons.get(preset["coupon"])
        promo = account.promotion_codes.get(preset["promotion_code"] or "")
        problem = (discounts.promotion_code_problem(
            account, promo, subtotal=subtotal, currency_=session["currency"], email=email,
            session_id=session["id"]) if promo else discounts.coupon_problem(account, coupon))
        if problem:
            raise discounts.refused(problem, "discounts")
        return coupon, promo
    if not answers.promotion_code:
        return None, None
    promo = (discounts.find_code(account, answers.promotion_code)
             or discounts.any_code(account, answers.promotion_code))
    if promo is None:
        raise StripeError(f"This code is invalid: {answers.promotion_code}",
                          code="resource_missing", param="promotion_code")
    problem = discounts.promotion_code_problem(account, promo, subtotal=subtotal,
                                               currency_=session["currency"], email=email,
                                               session_id=session["id"])
    if problem:
        raise discounts.refused(problem, "promotion_code")
    return account.coupons[promo["promotion"]["coupon"]], promo


def _taxed_address(session: dict, answers: Answers, final: bool) -> dict | None:
    """The address tax is computed for: the shipping address when one is collected (checked),
    otherwise the billing address the page assumes (the card's: US)."""
    collection = session["shipping_address_collection"]
    if not collection:
        return dict(CUSTOMER_DETAILS["address"])
    address = answers.shipping_address()
    country = address["country"]
    if country and country not in collection["allowed_countries"]:
        raise StripeError(f"This shop does not ship to {places.country_name(country)}.",
                          param="shipping_details[address][country]")
    if final:
        _complete_address(answers, address)
    return address if country else None


_ADDRESS_LABELS = {"line1": "address line 1", "city": "city", "postal_code": "postal code",
                   "country": "country", "state": "state or province"}


def _complete_address(answers: Answers, address: dict) -> None:
    if not answers.name:
        raise StripeError("Enter the name to ship to.", code="parameter_missing",
                          param="shipping_details[name]")
    needed = ["line1", "city", "postal_code", "country"]
    if address["country"] in places.STATE_REQUIRED:
        needed.append("state")
    for name in needed:
        if not address[name]:
            raise StripeError(f"Enter the {_ADDRESS_LABELS[name]} of the shipping address.",
                              code="parameter_missing", param=f"shipping_details[address][{name}]")


def expire_session(account: Account, session_id: str, request: dict | None = None) -> dict:
    with account.together():
        session = _session(account, session_id)
        if session["status"] != "open":
            raise StripeError('Only Checkout Sessions with a status in ["open"] can be expired. '
                              f'This Checkout Session has a status of "{session["status"]}".')
        _expire(account, session, request)
        return account.expanded(session, set())


def expire_due(account: Account) -> int:
    """Expire every open session past its `expires_at`, as Stripe does on its own."""
    with account.together():
        due = [s for s in account.sessions.values()
               if s["status"] == "open" and s["expires_at"] <= account.now()]
        for session in due:
            _expire(account, session, None)
        return len(due)


def _expire(account: Account, session: dict, request: dict | None) -> None:
    session.update(status="expired", url=None)
    account.emit("checkout.session.expired", session, request)


def pay(account: Account, session_id: str, method: str = "card",
        answers: Answers | None = None) -> dict:
    """The customer pays on the hosted page: by card (at once) or by bank transfer (later).

    `answers` are what they entered (address, phone, shipping option, promotion code); a
    choice Checkout would refuse raises, and nothing is paid.
    """
    if method not in ("card", "bank_transfer"):
        raise invalid("method", "method is card or bank_transfer")
    expire_due(account)
    with account.together():
        session = _session(account, session_id)
        if session["status"] != "open":
            raise StripeError(f"This Checkout Session is {session['status']}: it can no longer "
                              "be paid.", code="checkout_session_not_open")
        answers = answers or Answers()
        _settle_choices(account, session, answers, quote(account, session, answers, final=True))
        _update_customer(account, session)
        if session["mode"] == "subscription":
            _subscribe(account, session, answers, method)
            return account.expanded(session, set())
        if session["amount_total"] == 0:
            session["payment_status"] = "no_payment_required"
        intent = charges.create_payment(account, session, method)
        session.update(status="complete", payment_intent=intent["id"], url=None)
        if session["amount_total"] > 0 and method == "card":
            session["payment_status"] = "paid"
        account.emit("checkout.session.completed", session)
        if method == "bank_transfer" and account.async_delay is not None:
            timer = threading.Timer(account.async_delay, _settle_quietly, (account, session_id))
            timer.daemon = True
            account.timers.append(timer)
            timer.start()
        return account.expanded(session, set())


def _subscribe(account: Account, session: dict, answers: Answers, method: str) -> None:
    """A subscription-mode session is paid: its customer (found or made), the subscription
    and its first invoice (paid by card), then `checkout.session.completed`."""
    if method != "card":
        raise invalid("method", "A subscription is paid by card here.")
    details = session["customer_details"]
    shipping_details = (session.get("collected_information") or {}).get("shipping_details")
    method_id = new_id("pm_1")
    if session["customer"]:
        customer = account.customers[session["customer"]]
    else:
        customer = customers.new_customer(
            account, email=details["email"], name=details["name"], phone=details["phone"],
            address=dict(details["address"]),
            shipping=None if not shipping_details else dict(shipping_details,
                                                            phone=details["phone"]),
            invoice_settings=dict(shaped_settings(), default_payment_method=method_id))
    data = account.intent_data[session["id"]].get("subscription_data") or {}
    items = account.line_items[session["id"]]
    chosen = session["discounts"][0]["coupon"] if session["discounts"] else None
    percentage = None
    if session["automatic_tax"]["enabled"]:
        percentage = tax.percentage_for(account.tax_rates, details["address"]
                                        if not shipping_details else shipping_details["address"])
    sub, invoice = billing.start(
        account, customer=customer, at=account.now(),
        items=[(i["price"], i["quantity"]) for i in items if i["price"]["recurring"]],
        one_off=[i for i in items if not i["price"]["recurring"]],
        trial_end=data.get("trial_end"), anchor=data.get("billing_cycle_anchor"),
        prorate=data.get("prorate", True), metadata_=data.get("metadata"),
        description=data.get("description"), coupon=account.coupons.get(chosen or ""),
        tax_percentage=percentage, payment_method=method_id)
    discount = sum(d["amount"] for d in invoice["total_discount_amounts"])
    tax_amount = sum(t["amount"] for t in invoice["total_taxes"])
    session.update(
        status="complete", url=None, customer=customer["id"], subscription=sub["id"],
        invoice=invoice["id"], amount_subtotal=invoice["subtotal"], amount_total=invoice["total"],
        total_details={"amount_discount": discount, "amount_shipping": 0,
                       "amount_tax": tax_amount},
        payment_status="paid" if invoice["amount_paid"] > 0 else "no_payment_required")
    account.emit("checkout.session.completed", session)


def shaped_settings() -> dict:
    return dict(CUSTOMER["invoice_settings"])


def _settle_choices(account: Account, session: dict, answers: Answers, chosen: Quote) -> None:
    """Fix the customer's choices on the session: its figures, who they are, where it ships,
    and one more redemption of the code they used."""
    _price(session, account.line_items[session["id"]], chosen)
    address = chosen.address or dict(CUSTOMER_DETAILS["address"])
    if session["shipping_address_collection"]:
        session["collected_information"] = shaped(
            COLLECTED_INFORMATION, shipping_details={"name": answers.name, "address": address})
    session["customer_details"] = shaped(
        CUSTOMER_DETAILS, email=answers.email or session["customer_email"]
        or _known_email(account, session) or DEFAULT_EMAIL,
        name=answers.name or CUSTOMER_DETAILS["name"], phone=answers.phone, address=address)
    if session["automatic_tax"]["enabled"]:
        session["automatic_tax"] = dict(session["automatic_tax"], status="complete")
    if chosen.coupon is not None:
        discounts.redeem(account, chosen.coupon["id"],
                         chosen.promotion_code["id"] if chosen.promotion_code else None)


def _known_email(account: Account, session: dict) -> str | None:
    customer = account.customers.get(session.get("customer") or "")
    return customer["email"] if customer else None


def settle_async(account: Account, session_id: str, succeeded: bool = True) -> dict:
    """The bank transfer of a completed, unpaid session arrives (or fails)."""
    with account.together():
        session = _session(account, session_id)
        intent = account.payment_intents.get(session["payment_intent"] or "")
        if session["status"] != "complete" or not intent or intent["status"] != "processing":
            raise StripeError("This Checkout Session has no bank transfer awaiting settlement.",
                              code="payment_intent_unexpected_state")
        charges.settle(account, intent, succeeded)
        if succeeded:
            session["payment_status"] = "paid"
            account.emit("checkout.session.async_payment_succeeded", session)
        else:
            account.emit("checkout.session.async_payment_failed", session)
        return account.expanded(session, set())


def _settle_quietly(account: Account, session_id: str) -> None:
    try:
        settle_async(account, session_id)
    except StripeError:
        pass  # a test or the control API settled it first


def _session(account: Account, session_id: str) -> dict:
    session = account.sessions.get(session_id)
    if session is None:
        raise no_such("checkout.session", session_id)
    return session
