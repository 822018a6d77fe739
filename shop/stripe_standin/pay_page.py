"""The hosted payment page a Checkout Session's `url` points at (plain HTML, no script).

"Pay" succeeds by card (Visa ending 4242) and returns to `success_url` with
`{CHECKOUT_SESSION_ID}` filled in; "Pay by bank transfer" completes the session unpaid and the
transfer settles later; "Cancel" goes back to `cancel_url` and leaves the session open.
"""
from flask import Blueprint, current_app, redirect, render_template_string, request

from shop.stripe_standin import checkout
from shop.stripe_standin.params import StripeError

bp = Blueprint("stripe_pay_page", __name__)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Pay {{ total }} · Stripe stand-in</title>
  <link rel="stylesheet" href="{{ url_for('stripe_pay_page.stylesheet') }}">
</head>
<body>
<main>
  <p class="badge">Test mode · local Stripe stand-in</p>
  {% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
  {% if session %}
  <h1>Pay {{ total }}</h1>
  {% if session.customer_email %}<p>Receipt to <strong>{{ session.customer_email }}</strong></p>{% endif %}
  <table>
    <thead><tr><th scope="col">Item</th><th scope="col">Qty</th><th scope="col">Amount</th></tr></thead>
    <tbody>
    {% for item in items %}
      <tr><td>{{ item.description }}</td><td>{{ item.quantity }}</td><td>{{ money(item.amount_total) }}</td></tr>
    {% endfor %}
    </tbody>
    <tfoot><tr><th scope="row" colspan="2">Total</th><td>{{ total }}</td></tr></tfoot>
  </table>
  {% if session.status == "open" %}
  <form method="post" action="{{ url_for('stripe_pay_page.submit', session_id=session.id) }}">
    <p class="card">Card: Visa •••• 4242 (test card, always succeeds)</p>
    <button name="action" value="card" class="primary">Pay {{ total }}</button>
    <button name="action" value="bank_transfer">Pay by bank transfer</button>
    <button name="action" value="cancel" class="link">Cancel</button>
  </form>
  {% else %}
  <p>This Checkout Session is <strong>{{ session.status }}</strong>{% if session.status == "complete" %} ({{ session.payment_status }}){% endif %}.</p>
  {% endif %}
  {% endif %}
</main>
</body>
</html>
"""

STYLESHEET = """
body { font-family: system-ui, sans-serif; background: #f6f9fc; color: #1a1f36; margin: 0; }
main { max-width: 32rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px;
       box-shadow: 0 2px 8px rgba(0, 0, 0, .08); }
.badge { display: inline-block; background: #ffde92; padding: .2rem .6rem; border-radius: 4px;
         font-size: .8rem; }
.error { background: #fde8e8; color: #8a1c1c; padding: .6rem; border-radius: 4px; }
table { width: 100%; border-collapse: collapse; margin: 1rem 0; }
th, td { text-align: left; padding: .4rem 0; border-bottom: 1px solid #e3e8ee; }
td:last-child, tfoot td { text-align: right; }
button { display: block; width: 100%; margin: .5rem 0; padding: .8rem; font-size: 1rem;
         border: 1px solid #c1c9d2; border-radius: 6px; background: #fff; cursor: pointer; }
button.primary { background: #635bff; color: #fff; border-color: #635bff; }
button.link { border: none; text-decoration: underline; }
"""


def _account():
    return current_app.extensions["stripe_standin"].account


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
