"""The hosted payment page a Checkout Session's `url` points at (plain HTML, no script).

"Pay" succeeds by card (Visa ending 4242) and returns to `success_url` with
`{CHECKOUT_SESSION_ID}` filled in; "Pay by bank transfer" completes the session unpaid and the
transfer settles later; "Cancel" goes back to `cancel_url` and leaves the session open.

When the session asks for them the page shows an address form (filled in with the shipping
address of the session's `customer`, if it has one), a phone field, the shipping
options and a promotion-code box (field names: `answers.FORM_FIELDS`), and an order summary of
subtotal, discount, shipping, tax and total. "Apply" and "Update total" post the form back and
show it again with the figures for what was entered; a refused choice (an unknown or spent
code, a missing address field, a country the shop does not ship to) is shown as an error
(422) and nothing is paid.
"""
from flask import Blueprint, current_app, redirect, render_template_string, request

from stripe_standin import checkout, places, shipping
from stripe_standin.answers import Answers
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
    answers = Answers.from_form(request.form)
    session = account.sessions.get(session_id)
    if session is None:
        return _render(session_id, status=404)
    if action == "cancel":
        if session["status"] != "open" or not session["cancel_url"]:
            return _render(session_id, error="There is nowhere to go back to.", status=409)
        return redirect(session["cancel_url"], code=303)
    if action in ("apply", "update"):
        return _render(session_id, answers=answers)
    try:
        paid = checkout.pay(account, session_id, action, answers)
    except StripeError as exc:
        return _render(session_id, answers=answers, error=str(exc), status=_status(exc))
    return redirect(paid["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id), code=303)


def _status(exc: StripeError) -> int:
    """409 for a session that can no longer be paid, 422 for a choice the page refuses."""
    if exc.status != 400:
        return exc.status
    return 409 if exc.body["error"]["code"] == "checkout_session_not_open" else 422


@bp.get("/assets/pay.css")
def stylesheet():
    return current_app.response_class(STYLESHEET, mimetype="text/css")


def _render(session_id: str, *, answers: Answers | None = None, error: str | None = None,
            status: int = 200):
    account = _account()
    checkout.expire_due(account)
    with account.lock:
        session = account.sessions.get(session_id)
        if answers is None:  # first shown: a known customer's saved address is filled in
            answers = checkout.saved_answers(account, session) if session is not None else Answers()
        items = list(account.line_items.get(session_id, []))
        if session is not None:
            rates = [account.shipping_rates[o["shipping_rate"]] for o in session["shipping_options"]]
            summary, refused = _summary(account, session, answers)
    if session is None:
        error, status = f"No such Checkout Session: {session_id}", 404
        return render_template_string(PAGE, session=None, error=error), status
    if refused and error is None:  # a code that cannot be used: said, and left out
        error = refused
        status = 422 if request.method == "POST" else status

    def money(cents: int) -> str:
        return f"{cents / 100:,.2f} {session['currency'].upper()}"

    chosen_rate = answers.shipping_rate or (rates[0]["id"] if rates else None)
    return render_template_string(
        PAGE, session=session, items=items, error=error, money=money, answers=answers,
        total=money(summary["total"]), summary=summary, rates=rates, chosen_rate=chosen_rate,
        estimate=shipping.describe_estimate, country_name=places.country_name), status


def _summary(account, session: dict, answers: Answers) -> tuple[dict, str | None]:
    """The order summary's figures: what was paid, or what would be for what was entered."""
    taxed = session["automatic_tax"]["enabled"]
    itemised = bool(session["shipping_options"] or taxed or session["allow_promotion_codes"]
                    or session["discounts"])
    if session["status"] != "open":
        details, promo = session["total_details"], _code_of(account, session["discounts"])
        return {"itemised": itemised, "subtotal": session["amount_subtotal"],
                "discount": details["amount_discount"], "code": promo, "taxed": taxed,
                "shipping": details["amount_shipping"] if session["shipping_cost"] else None,
                "tax": details["amount_tax"], "total": session["amount_total"]}, None
    quote, refused = checkout.preview(account, session, answers)
    figures = quote.figures
    return {"itemised": itemised, "subtotal": figures.subtotal, "discount": figures.discount,
            "code": quote.promotion_code["code"] if quote.promotion_code else None,
            "shipping": figures.shipping if quote.rate else None, "taxed": taxed,
            "tax": figures.tax if taxed and quote.address else None,
            "total": figures.total}, refused


def _code_of(account, applied: list[dict]) -> str | None:
    promo_id = applied[0]["promotion_code"] if applied else None
    promo = account.promotion_codes.get(promo_id or "")
    return promo["code"] if promo else None
