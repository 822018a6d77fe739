"""Staff roles hold: a token or a session of one role never reaches what another role owns."""
import pytest

from shop.accounts.models import Staff
from shop.extensions import db
from shop.orders.models import PAID

PASSWORD = "correct horse battery"

SUPPORT_API = [("GET", "/api/v1/admin/claims?status=open"), ("POST", "/api/v1/admin/claims/1/approve"),
               ("POST", "/api/v1/admin/claims/1/deny"), ("GET", "/api/v1/admin/questions?status=unanswered"),
               ("POST", "/api/v1/admin/reviews/1/publish"), ("POST", "/api/v1/admin/reviews/1/reject"),
               ("POST", "/api/v1/admin/reviews/1/answer")]
FULFILMENT_API = [("POST", "/api/v1/admin/orders/{order}/ship"), ("POST", "/api/v1/admin/orders/{order}/deliver")]


@pytest.mark.parametrize(("method", "path"), SUPPORT_API)
def test_a_fulfilment_token_is_refused_on_support_routes(client, staff_headers, method, path):
    response = client.open(path, method=method, json={"note": "x", "body": "x"}, headers=staff_headers("fulfilment"))
    assert response.status_code == 403
    assert set(response.get_json()) == {"code", "status", "message", "errors"}


@pytest.mark.parametrize(("method", "path"), FULFILMENT_API)
def test_a_support_token_is_refused_on_fulfilment_routes(client, staff_headers, make_order, mag_rr, method, path):
    order, _ = make_order(mag_rr, status=PAID)
    response = client.open(path.format(order=order.id), method=method, json={"carrier": "UPS", "tracking_number": "1"},
                           headers=staff_headers("support"))
    assert response.status_code == 403
    db.session.expire_all()
    assert order.status == PAID


@pytest.mark.parametrize(("method", "path"), SUPPORT_API + [("POST", "/api/v1/admin/orders/1/ship")])
def test_no_token_or_a_forged_one_is_401(client, method, path):
    assert client.open(path, method=method, json={}).status_code == 401
    forged = client.open(path, method=method, json={}, headers={"Authorization": "Bearer shp_forged"})
    assert forged.status_code == 401


def _signed_in(make_app, make_staff, role):
    staff, _ = make_staff(role)
    client = make_app().test_client()
    assert client.post("/admin/login", data={"email": staff.email, "password": PASSWORD}).status_code == 303
    return client, staff


@pytest.mark.parametrize("role", ["support", "fulfilment"])
def test_staff_cannot_raise_their_own_role(make_app, make_staff, role):
    client, me = _signed_in(make_app, make_staff, role)
    # when
    response = client.post(f"/admin/staff/{me.id}/role", data={"role": "admin"})
    # then
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Staff, me.id).role == role


@pytest.mark.parametrize(("role", "path"), [("fulfilment", "/admin/claims"), ("fulfilment", "/admin/emails"),
                                            ("support", "/admin/staff"), ("fulfilment", "/admin/staff"),
                                            ("support", "/admin/data")])
def test_pages_of_other_roles_answer_403(make_app, make_staff, role, path):
    client, _ = _signed_in(make_app, make_staff, role)
    assert client.get(path).status_code == 403


def test_an_admin_may_change_a_role(make_app, make_staff):
    client, _ = _signed_in(make_app, make_staff, "admin")
    member, _ = make_staff("support")
    response = client.post(f"/admin/staff/{member.id}/role", data={"role": "fulfilment"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Staff, member.id).role == "fulfilment"
