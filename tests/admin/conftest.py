"""Admin fixtures: staff of each role signed in through the real login form."""
import pytest

PASSWORD = "correct horse battery"


@pytest.fixture
def sign_in():
    """Sign `client` in as `staff` through /admin/login; returns the response."""

    def sign(client, staff, password=PASSWORD, next_url=None):
        path = "/admin/login" + (f"?next={next_url}" if next_url else "")
        return client.post(path, data={"email": staff.email, "password": password})

    return sign


@pytest.fixture
def staff_client(app, make_staff, sign_in):
    """A fresh test client signed in as a new staff member of `role`: (client, staff)."""

    def make(role="admin"):
        staff, _ = make_staff(role)
        client = app.test_client()
        response = sign_in(client, staff)
        assert response.status_code == 303, response.status_code
        return client, staff

    return make
