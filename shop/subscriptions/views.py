"""Pages a subscriber reaches from emails, the order page and the account page: the card update
(Stripe's billing portal), delay a week, skip one renewal, pause, resume, change the quantity,
cancel. A GET only shows what a POST would do
(mail scanners follow links)."""
from flask import Blueprint, redirect, render_template, request

from shop.errors import ShopError
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
        return _invalid(exc)
    return redirect(url, code=303)


@bp.route("/subscriptions/delay/<token>", methods=["GET", "POST"])
def delay(token):
    return _manage(links.DELAY, token)


@bp.route("/subscriptions/skip/<token>", methods=["GET", "POST"])
def skip(token):
    return _manage(links.SKIP, token)


@bp.route("/subscriptions/cancel/<token>", methods=["GET", "POST"])
def cancel(token):
    return _manage(links.CANCEL, token)


@bp.route("/subscriptions/pause/<token>", methods=["GET", "POST"])
def pause(token):
    return _manage(links.PAUSE, token)


@bp.route("/subscriptions/resume/<token>", methods=["GET", "POST"])
def resume(token):
    return _manage(links.RESUME, token)


@bp.route("/subscriptions/quantity/<token>", methods=["GET", "POST"])
def quantity(token):
    """How many bottles each renewal ships: a GET shows the form, the POST changes it at Stripe.
    Bad input (or Stripe's refusal) answers 4xx with the form again; nothing changed."""
    try:
        sub = services.subscription_for_link(links.read_token(token, links.QUANTITY))
    except links.LinkError as exc:
        return _invalid(exc)
    done, error, status = None, None, 200
    if request.method == "POST":
        try:
            done = services.change_quantity(sub.id, request.form.get("quantity"))
        except ShopError as exc:
            error, status = exc.message, exc.code
    return render_template("subscriptions/manage.html", action=links.QUANTITY, token=token, subscription=sub,
                           done=done, error=error, most=services.most_bottles(services.product_of(sub)),
                           chosen=request.form.get("quantity", ""), delay_days=services.DELAY_DAYS), status


def _manage(action: str, token: str):
    try:
        subscription_id, renewal_on = links.read(token, action)
        sub = services.subscription_for_link(subscription_id)
        done = None
        if request.method == "POST":
            if action == links.CANCEL:
                done = services.cancel(sub.id)
            elif action in (links.PAUSE, links.RESUME):
                done = services.pause(sub.id, resume=action == links.RESUME)
            else:
                done = services.postpone(sub.id, action, renewal_on)
    except links.LinkError as exc:
        return _invalid(exc)
    return render_template("subscriptions/manage.html", action=action, token=token, subscription=sub,
                           done=done, delay_days=services.DELAY_DAYS)


@bp.app_template_global("subscription_panel")
def subscription_panel(order) -> dict | None:
    """For the order page: the subscription this order started or renews, and its links."""
    sub = services.subscription_of(order)
    if sub is None:
        return None
    return {"subscription": sub, "links": services.manage_links(sub)}


def _invalid(exc: Exception):
    return render_template("followups/invalid.html", message=str(exc)), 400
