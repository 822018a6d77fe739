"""Carriers the store ships with, and where a customer follows a parcel on the carrier's site.

`tracking_url` is the one place that maps a carrier and a tracking number to the carrier's
public tracking page: the shipped email, the customer's order page and the admin order page all
ask it. An unknown carrier has no link (the number is still shown).
"""
from urllib.parse import quote

# Carrier key → (the name staff and customers read, its public tracking page for a number).
CARRIERS: dict[str, tuple[str, str]] = {
    "usps": ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
    "ups": ("UPS", "https://www.ups.com/track?tracknum={number}"),
    "fedex": ("FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
    "dhl": ("DHL", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}"),
}
# Other spellings staff type for the same carriers.
ALIASES = {"unitedstatespostalservice": "usps", "federalexpress": "fedex", "dhlexpress": "dhl"}


def carrier_key(carrier: str | None) -> str | None:
    """The known carrier `carrier` names ("UPS", "FedEx", "fed ex", "usps"...), or None."""
    squeezed = "".join(ch for ch in (carrier or "").lower() if ch.isalnum())
    key = ALIASES.get(squeezed, squeezed)
    return key if key in CARRIERS else None


def carrier_name(carrier: str | None) -> str | None:
    """How the store spells a known carrier ("FedEx" for "fedex"), or None."""
    key = carrier_key(carrier)
    return CARRIERS[key][0] if key else None


def tracking_url(carrier: str | None, tracking_number: str | None) -> str | None:
    """The carrier's public tracking page for the number; None for an unknown carrier or no number."""
    key = carrier_key(carrier)
    number = (tracking_number or "").strip()
    if key is None or not number:
        return None
    return CARRIERS[key][1].format(number=quote(number, safe=""))
