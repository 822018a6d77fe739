"""The staff screens read what the accounts rules decide: what a role opens, whether a member
will be asked to set up a second factor; a refused change leaves the member as they were."""
import pytest
from sqlalchemy import select

from shop.accounts.models import ROLES, ApiToken, Staff
from shop.admin.staff_services import role_hint
from shop.extensions import db
from tests.admin.test_second_factor import _enrol


def _fresh(staff_id: int) -> Staff:
    db.session.expire_all()
    return db.session.get(Staff, staff_id)


def test_the_role_hint_names_what_every_role_opens():
    hint = role_hint()
    assert [part.split(":")[0] for part in hint.split(" · ")] == list(ROLES)
    assert "admin: everything" in hint


def test_the_add_form_shows_the_role_hint_and_the_password_rule(staff_client):
    client, _ = staff_client("admin")
    page = client.get("/admin/staff").get_data(as_text=True)
    assert role_hint() in page
    assert "At least 10 characters; they can change it after signing in." in page


@pytest.mark.parametrize("role, asked", [("support", True), ("fulfilment", False)])
def test_the_detail_page_says_who_is_asked_for_a_second_factor(make_app, make_staff, sign_in, role, asked):
    # Given a store that requires the second factor of money roles, and an enrolled admin
    app = make_app(STAFF_TOTP_REQUIRED=True)
    with app.app_context():
        admin, _ = make_staff("admin")
        member, _ = make_staff(role)
    client = app.test_client()
    sign_in(client, admin)
    _enrol(client)
    # When the admin opens the member's page
    page = client.get(f"/admin/staff/{member.id}").get_data(as_text=True)
    # Then it says whether their next sign-in asks for one
    assert ("asked for at the next sign-in" in page) is asked


def test_where_not_required_nobody_is_asked(staff_client, make_staff):
    client, _ = staff_client("admin")
    member, _ = make_staff("support")
    page = client.get(f"/admin/staff/{member.id}").get_data(as_text=True)
    assert "Not set up." in page and "asked for at the next sign-in" not in page


def test_a_refused_role_change_leaves_the_member_as_they_were(staff_client):
    # Given the store's only admin
    client, admin = staff_client("admin")
    version = _fresh(admin.id).session_version
    # When they try to make themselves support, and to deactivate themselves
    for path, data in ((f"/admin/staff/{admin.id}/role", {"role": "support"}),
                       (f"/admin/staff/{admin.id}/active", {"active": "0"})):
        assert client.post(path, data=data).status_code == 303
    # Then nothing about them changed, their session included
    member = _fresh(admin.id)
    assert (member.role, member.active, member.session_version) == ("admin", True, version)
    assert client.get("/admin/staff").status_code == 200


def test_a_new_token_is_listed_on_the_page_that_shows_it(staff_client, make_staff):
    client, _ = staff_client("admin")
    member, _ = make_staff("fulfilment")
    response = client.post(f"/admin/staff/{member.id}/tokens", data={"name": "scanner"})
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    assert 'data-testid="new-token"' in page and "<td>scanner</td>" in page
    assert "scanner" in db.session.scalars(select(ApiToken.name).where(ApiToken.staff_id == member.id)).all()


def test_a_token_form_without_a_name_issues_nothing(staff_client, make_staff):
    client, _ = staff_client("admin")
    member, _ = make_staff("fulfilment")
    tokens_before = db.session.scalar(select(db.func.count(ApiToken.id)))
    assert client.post(f"/admin/staff/{member.id}/tokens", data={"name": ""}).status_code == 422
    assert db.session.scalar(select(db.func.count(ApiToken.id))) == tokens_before
