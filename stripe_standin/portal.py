"""The billing portal's page (a portal session's `url`): the customer updates their card.

"Update card" gives the customer a new card that does not decline: it becomes the default of
the customer and their subscriptions, and open subscription invoices are paid with it at once
(`invoice.paid`). Then the page sends the customer back to the session's `return_url`.
"""
from flask import Blueprint, current_app, redirect, render_template_string

from stripe_standin import billing
from stripe_standin.html import STYLESHEET

bp = Blueprint("stripe_portal", __name__)

PORTAL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Billing portal (stand-in)</title>
<style>{{ stylesheet|safe }}</style></head>
<body><main>
<h1>Your subscriptions</h1>
<p>Customer {{ customer.email or customer.id }}</p>
<ul>
{% for sub in subscriptions %}<li>{{ sub.id }}: {{ sub.status }}</li>
{% else %}<li>No subscriptions.</li>{% endfor %}
</ul>
{% if open_invoices %}<p role="alert">{{ open_invoices|length }} unpaid invoice(s).</p>{% endif %}
<form method="post"><button type="submit" name="action" value="update-card">Update card</button>
{% if session.return_url %}<a href="{{ session.return_url }}">Return</a>{% endif %}
</form></main></body></html>"""


def _account():
    return current_app.extensions["stripe_standin"].account


def _page(session_id: str):
    account = _account()
    with account.lock:
        session = account.portal_sessions.get(session_id)
        if session is None:
            return None
        customer = account.customers[session["customer"]]
        subscriptions = [s for s in account.subscriptions.values()
                         if s["customer"] == customer["id"]]
        open_invoices = [i for i in account.invoices.values()
                         if i["customer"] == customer["id"] and i["status"] == "open"]
        return session, customer, subscriptions, open_invoices


@bp.get("/billing/<session_id>")
def show(session_id):
    found = _page(session_id)
    if found is None:
        return "No such billing portal session", 404
    session, customer, subscriptions, open_invoices = found
    return render_template_string(PORTAL, stylesheet=STYLESHEET, session=session,
                                  customer=customer, subscriptions=subscriptions,
                                  open_invoices=open_invoices)


@bp.post("/billing/<session_id>")
def update_card(session_id):
    found = _page(session_id)
    if found is None:
        return "No such billing portal session", 404
    session = found[0]
    billing.update_card(_account(), session["customer"])
    if session["return_url"]:
        return redirect(session["return_url"], code=303)
    return show(session_id)
