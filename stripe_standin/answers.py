"""What the customer enters on the hosted page: address, phone, shipping option, promotion code.

The pay page reads them from its form (flat field names, listed in `FORM_FIELDS`); the control
API (`POST /_standin/sessions/<id>/pay`) and `StandIn.pay` from a JSON body shaped like Stripe's
`shipping_details`. Only the latter fill in what a test left out (`with_defaults`): the page
refuses a missing field, as Checkout does.
"""
from dataclasses import dataclass, field, replace

from stripe_standin import places
from stripe_standin.params import StripeError

ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")
# The pay page's form fields (`name` attributes), each with a <label>.
FORM_FIELDS = ("email", "name", *ADDRESS_FIELDS, "phone", "shipping_rate", "promotion_code")


@dataclass(frozen=True)
class Answers:
    name: str | None = None
    address: dict = field(default_factory=dict)  # ADDRESS_FIELDS, each a string or None
    phone: str | None = None
    email: str | None = None
    shipping_rate: str | None = None  # an id among the session's options (default: the first)
    promotion_code: str | None = None  # the code as typed

    @classmethod
    def from_form(cls, form) -> "Answers":
        """From the pay page's form: blank fields are missing ones."""
        address = {name: _filled(form, name) for name in ADDRESS_FIELDS}
        if address["country"]:
            address["country"] = address["country"].upper()
        return cls(name=_filled(form, "name"), address=address, phone=_filled(form, "phone"),
                   email=_filled(form, "email"), shipping_rate=_filled(form, "shipping_rate"),
                   promotion_code=_filled(form, "promotion_code"))

    @classmethod
    def from_body(cls, body: dict) -> "Answers":
        """From the control API's JSON: {"shipping_details": {"name", "address"}, "phone", ...}."""
        details = body.get("shipping_details") or {}
        if not isinstance(details, dict):
            raise StripeError('shipping_details is {"name": ..., "address": {...}}',
                              param="shipping_details")
        given = {"name": details.get("name"), "phone": body.get("phone"),
                 "email": body.get("email"), "shipping_rate": body.get("shipping_rate"),
                 "promotion_code": body.get("promotion_code")}
        for name, raw in given.items():
            _string(raw, name)
        return cls(address=_address(details.get("address")), **given)

    def or_saved(self, saved: "Answers") -> "Answers":
        """The customer's saved address (and phone) where a test gave none, as the page shows them."""
        answers = self
        if not any(self.address.values()) and any(saved.address.values()):
            answers = replace(answers, name=self.name or saved.name, address=dict(saved.address))
        if not self.phone and saved.phone:
            answers = replace(answers, phone=saved.phone)
        return answers

    def with_defaults(self, session: dict) -> "Answers":
        """What a test did not say: a fixed address (and name) when the session collects one,
        a phone number when it asks for one."""
        answers = self
        collection = session.get("shipping_address_collection")
        if collection and not any(self.address.values()):
            answers = replace(answers, name=self.name or places.DEFAULT_NAME,
                              address=places.default_address(collection["allowed_countries"]))
        if session["phone_number_collection"]["enabled"] and not self.phone:
            answers = replace(answers, phone=places.DEFAULT_PHONE)
        return answers

    def shipping_address(self) -> dict:
        """The address in Stripe's shape: every field, missing ones None."""
        return {name: self.address.get(name) or None for name in ADDRESS_FIELDS}


def _filled(form, name: str) -> str | None:
    return (form.get(name) or "").strip() or None


def _address(raw) -> dict:
    """A control API address: the six fields of Stripe's, strings; the country upper-cased."""
    if not raw:
        return {}
    if not isinstance(raw, dict):
        raise StripeError("shipping_details[address] is an object",
                          param="shipping_details[address]")
    unknown = sorted(set(raw) - set(ADDRESS_FIELDS))
    if unknown:
        param = f"shipping_details[address][{unknown[0]}]"
        raise StripeError(f"Received unknown parameter: {param}", code="parameter_unknown",
                          param=param)
    address = {name: _string(raw.get(name), f"shipping_details[address][{name}]")
               for name in ADDRESS_FIELDS}
    if address["country"]:
        address["country"] = address["country"].upper()
    return address


def _string(raw, param: str) -> str | None:
    if raw is not None and not isinstance(raw, str):
        raise StripeError(f"{param} is a string", param=param)
    return raw
