"""The email log offers "Send again" exactly where the resend rule allows it, and marks failures."""
import pytest

from shop.emails.models import EmailMessage
from shop.extensions import db


def _email(status, category="transactional", to="gina@example.com"):
    message = EmailMessage(to=to, kind="order_confirmation", category=category, subject="Your order",
                           body_text="Hi Gina", body_html="<p>Hi Gina</p>", status=status)
    db.session.add(message)
    db.session.commit()
    return message


@pytest.mark.parametrize("status, category, offered", [
    ("failed", "transactional", True),
    ("failed", "marketing", False),
    ("sent", "transactional", False),
    ("queued", "transactional", False),
])
def test_send_again_is_offered_only_where_a_resend_is_allowed(staff_client, status, category, offered):
    message = _email(status, category)
    client, _ = staff_client("support")
    page = client.get(f"/admin/emails/{message.id}").get_data(as_text=True)
    assert (f"/admin/emails/{message.id}/resend" in page) is offered


def test_the_log_marks_failed_emails_only(staff_client):
    _email("failed", to="failed@example.com")
    _email("sent", to="sent@example.com")
    client, _ = staff_client("support")
    page = client.get("/admin/emails").get_data(as_text=True)
    rows = [row for row in page.split("<tr")[1:] if "@example.com" in row]
    marked = {row.split("?to=")[1].split('"')[0] for row in rows if row.startswith(' class="attention"')}
    assert marked == {"failed@example.com"}
