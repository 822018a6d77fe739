"""Pages a subscriber reaches from emails: the card update (Stripe's billing portal)."""
from flask import Blueprint, redirect, render_template

from shop.orders.access import no_store
from shop.subscriptions import links, services

bp = Blueprint("subscriptions", __name__)
bp.after_request(no_store)


@bp.get("/subscriptions/card/<token>")
def card(token):
    """Open a billing portal session for the subscription's customer and go there.

    Opening a portal session changes nothing at the shop or at Stripe, so a mail scanner that
    follows the link does no harm; each click gets a fresh session (they are short-lived)."""
    try:
        url = services.card_update_url(links.read_token(token, links.CARD))
    except links.LinkError as exc:
        return render_template("followups/invalid.html", message=str(exc)), 400
    return redirect(url, code=303)
