"""The hosted payment page a Checkout Session's `url` points at (plain HTML, no script).

"Pay" succeeds by card (Visa ending 4242) and returns to `success_url` with
`{CHECKOUT_SESSION_ID}` filled in; "Pay by bank transfer" completes the session unpaid and the
transfer settles later; "Cancel" goes back to `cancel_url` and leaves the session open.
"""
from flask import Blueprint, current_app, redirect, render_template_string, request

from stripe_standin import checkout
from stripe_standin.html import INDEX, PAGE, STYLESHEET
from stripe_standin.params import StripeError

bp = Blueprint("stripe_pay_page", __name__)


def _account():
    return current_app.extensions["stripe_standin"].account


@bp.get("/")
def index():
    """What a developer sees at the stand-in's address: sessions (with pay links), webhooks."""
    standin = current_app.extensions["stripe_standin"]
    with standin.account.lock:
        sessions = list(reversed(standin.account.sessions.values()))[:50]
    target = standin.dispatcher.target
    return render_template_string(INDEX, sessions=sessions,
                                  deliveries=list(reversed(standin.deliveries()))[:50],
                                  target=target if isinstance(target, str) else None)


@bp.get("/pay/<session_id>")
def show(session_id):
    return _render(session_id)


@bp.post("/pay/<session_id>")
def submit(session_id):
    account = _account()
    action = request.form.get("action", "card")
    session = account.sessions.get(session_id)
    if session is None:
        return _render(session_id, status=404)
    if action == "cancel":
        if session["status"] != "open" or not session["cancel_url"]:
            return _render(session_id, error="There is nowhere to go back to.", status=409)
        return redirect(session["cancel_url"], code=303)
    try:
        paid = checkout.pay(account, session_id, action)
    except StripeError as exc:
        return _render(session_id, error=str(exc), status=exc.status if exc.status != 400 else 409)
    return redirect(paid["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id), code=303)


@bp.get("/assets/pay.css")
def stylesheet():
    return current_app.response_class(STYLESHEET, mimetype="text/css")


def _render(session_id: str, *, error: str | None = None, status: int = 200):
    account = _account()
    checkout.expire_due(account)
    with account.lock:
        session = account.sessions.get(session_id)
        items = list(account.line_items.get(session_id, []))
    if session is None:
        error, status = f"No such Checkout Session: {session_id}", 404
        return render_template_string(PAGE, session=None, error=error), status

    def money(cents: int) -> str:
        return f"{cents / 100:,.2f} {session['currency'].upper()}"

    return render_template_string(PAGE, session=session, items=items, error=error, money=money,
                                  total=money(session["amount_total"])), status
