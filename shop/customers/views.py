"""The customer's account pages: sign in by an emailed link, every order, email preferences,
and their data. Thin routes over `shop.customers.login`, `.sessions` and `.account`.

`POST /account/login` answers the same for every well-formed address, as a page (303 to "check
your inbox") or as JSON (202), so no one learns which addresses are customers. A link from an
email opens a page with a button (GET changes nothing: mail scanners that fetch links do not
spend them); the button's POST signs in, or erases. Every other form carries a CSRF token.
"""
from flask import (Blueprint, flash, jsonify, make_response, redirect, render_template, request, session,
                   url_for)

from shop.customers import account, address, login as links, sessions
from shop.customers.forms import SignInForm
from shop.customers.limits import per_email, per_ip
from shop.customers.models import ERASE, SIGN_IN
from shop.errors import ShopError, wants_json
from shop.extensions import csrf
from shop.observability import secret_in_path
from shop.orders.access import no_store
from shop.orders.address import shipping_countries
from shop.orders.models import ADDRESS_FIELDS

bp = Blueprint("account", __name__, url_prefix="/account")
bp.after_request(no_store)

SENT_MESSAGE = ("If that address can receive email, a sign-in link is on its way to it. "
                f"The link works once, for {links.LINK_MINUTES} minutes.")
_SENT_TO = "account_link_sent_to"
CSRF_REFUSED = "The CSRF token is missing or not valid; reload the page and send it again."


@bp.get("/login")
def login_page():
    if sessions.current_customer() is not None:
        return redirect(url_for("account.page"))
    return render_template("account/login.html", email="", error=None)


@bp.post("/login")
@csrf.exempt  # a JSON client has no CSRF token; the page's form is checked below
@per_ip
@per_email
def login():
    """Email a sign-in link: the same answer, and the same work, whoever the address belongs to."""
    if wants_json(request):  # JSON, or anything else that is not a browser's form
        body = request.get_json(silent=True) if request.is_json else None
        links.request_sign_in(body.get("email") if isinstance(body, dict) else None)  # 422 in the API shape
        return jsonify({"status": "sent", "message": SENT_MESSAGE}), 202
    form = SignInForm()
    email = form.email.data or ""
    if not form.validate():  # only its CSRF token can fail: Flask-WTF's own words, as every form says them
        error = " ".join(form.errors.get("csrf_token", [])) or CSRF_REFUSED
        return render_template("account/login.html", email=email[:254], error=error), 400
    try:
        session[_SENT_TO] = links.request_sign_in(email)
    except ShopError as exc:
        error = "; ".join(m for msgs in exc.errors.values() for m in msgs) or exc.message
        return render_template("account/login.html", email=email[:254], error=error), exc.code
    return redirect(url_for("account.login_sent"), 303)


@bp.get("/login/sent")
def login_sent():
    return render_template("account/login_sent.html", email=session.get(_SENT_TO), message=SENT_MESSAGE)


@bp.route("/login/<token>", methods=["GET", "POST"])
@secret_in_path
def use_sign_in_link(token):
    if request.method == "GET":
        link = links.check_link(token, SIGN_IN)
        return render_template("account/sign_in_link.html", token=token, email=link.email)
    customer = links.sign_in_with_link(token)
    sessions.end_session(request.cookies.get(sessions.COOKIE))  # whoever was signed in here before
    key = sessions.start_session(customer)
    flash("You are signed in.", "success")
    return sessions.set_cookie(redirect(url_for("account.page"), 303), key)


@bp.get("")
def page():
    customer = sessions.current_customer()
    if customer is None:
        return redirect(url_for("account.login_page"))
    return _page(customer)


def _page(customer, entered: dict | None = None, errors: dict | None = None, status: int = 200):
    return render_template("account/page.html", customer=customer, orders=account.account_orders(customer),
                           subscriptions=account.subscriptions(customer),
                           marketing_on=account.marketing_on(customer),
                           address=entered if entered is not None else address.saved_address(customer),
                           address_errors=errors or {}, countries=shipping_countries()), status


@bp.post("/address")
def save_address():
    """The saved shipping address (Checkout shows it next time); a refused part: the page, 422."""
    customer = sessions.signed_in_customer()
    submitted = {name: request.form.get(name) for name in (*ADDRESS_FIELDS, "phone")}
    try:
        address.save_address(customer, submitted)
    except ShopError as exc:
        return _page(customer, entered=submitted, errors=exc.errors or {"name": [exc.message]}, status=exc.code)
    flash("Your shipping address is saved. Checkout will fill it in next time.", "success")
    return redirect(url_for("account.page", _anchor="address"), 303)


@bp.post("/address/forget")
def forget_address():
    """Remove the saved address (the next signed-in order's address is saved again)."""
    if address.forget_address(sessions.signed_in_customer()):
        flash("Your saved address is removed. Checkout will ask for one.", "success")
    else:
        flash("No address was saved.", "success")
    return redirect(url_for("account.page", _anchor="address"), 303)


@bp.post("/logout")
def logout():
    sessions.end_session(request.cookies.get(sessions.COOKIE))
    flash("You are signed out.", "success")
    return sessions.clear_cookie(redirect(url_for("account.login_page"), 303))


@bp.post("/logout-everywhere")
def logout_everywhere():
    ended = sessions.end_every_session(sessions.signed_in_customer())
    flash(f"You are signed out everywhere ({ended} session{'s' if ended != 1 else ''} ended).", "success")
    return sessions.clear_cookie(redirect(url_for("account.login_page"), 303))


@bp.post("/preferences/marketing")
def marketing():
    on = _switch()
    account.set_marketing(sessions.signed_in_customer(), on)
    flash("Check-ins and reorder reminders are " + ("on." if on else "off."), "success")
    return redirect(url_for("account.page", _anchor="preferences"), 303)


@bp.post("/orders/<int:order_id>/reminders")
def reminders(order_id):
    on = _switch()
    order = account.set_order_reminders(sessions.signed_in_customer(), order_id, on)
    flash(f"Dosing reminders for order {order.id} are " + ("on." if on else "off."), "success")
    return redirect(url_for("account.page", _anchor=f"order-{order.id}"), 303)


@bp.get("/data")
def download_data():
    """Everything held about the address, as JSON: the export staff run for a data request."""
    customer = sessions.signed_in_customer()
    response = make_response(jsonify(account.export_my_data(customer)))
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@bp.post("/erase")
def request_erasure():
    account.request_erasure(sessions.signed_in_customer())
    flash("To erase your data, open the link we just emailed you and confirm "
          f"(it works for {links.LINK_MINUTES} minutes).", "success")
    return redirect(url_for("account.page", _anchor="your-data"), 303)


@bp.route("/erase/<token>", methods=["GET", "POST"])
@secret_in_path
def erase_confirm(token):
    if request.method == "GET":
        link = links.check_link(token, ERASE)
        return render_template("account/erase_confirm.html", token=token, email=link.email)
    signed_in_as = sessions.current_customer_email()
    report = account.erase_with_link(token, remove_review_bodies=bool(request.form.get("remove_review_bodies")))
    response = make_response(render_template("account/erased.html", report=report))
    # The erasure deleted the account and its sessions; this browser's cookie goes too, if it was theirs.
    return sessions.clear_cookie(response) if signed_in_as == report.email else response


def _switch() -> bool:
    """A preference form's `on` field: "1" turns it on, anything else off."""
    return request.form.get("on") == "1"


@bp.errorhandler(sessions.SignInRequired)
def _sign_in_first(exc):
    flash("Please sign in first.", "error")
    return redirect(url_for("account.login_page"), 303)


@bp.errorhandler(links.LinkNotValid)
@bp.errorhandler(links.LinkGone)
def _link_refused(exc):
    """A link altered (400), used or expired (410): say so, and offer a new one."""
    return render_template("account/link_refused.html", message=exc.message), exc.code
