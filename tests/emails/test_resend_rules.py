"""Which email staff may send again: only a failed transactional one, refused before any change."""
import pytest

from shop.emails.models import FAILED, MARKETING, QUEUED, SENDING, SENT, TRANSACTIONAL, EmailMessage
from shop.emails.services import can_resend, needing_attention, resend_email, resend_refusal
from shop.errors import Conflict
from shop.extensions import db


def _message(status, category=TRANSACTIONAL, **fields):
    return EmailMessage(to="gina@example.com", kind="order_confirmation", category=category, subject="Your order",
                        body_text="Hi", body_html="<p>Hi</p>", status=status, **fields)


@pytest.mark.parametrize("status, category, allowed", [
    (FAILED, TRANSACTIONAL, True),
    (FAILED, MARKETING, False),
    (QUEUED, TRANSACTIONAL, False),
    (SENDING, TRANSACTIONAL, False),
    (SENT, TRANSACTIONAL, False),
])
def test_only_a_failed_transactional_email_may_be_sent_again(status, category, allowed):
    message = _message(status, category)
    assert can_resend(message) is allowed
    assert (resend_refusal(message) is None) is allowed


def test_a_refused_resend_says_why_and_changes_nothing(app):
    # Given a sent email
    message = _message(SENT, attempts=1)
    db.session.add(message)
    db.session.commit()
    # When staff ask for it again
    with pytest.raises(Conflict, match="Only a failed email can be sent again; this one is sent"):
        resend_email(message.id)
    # Then it is untouched, and no task is on its way
    assert not db.session.dirty
    assert (message.status, message.attempts) == (SENT, 1)
    assert app.config["TASKS_CAPTURE"] == []


def test_the_log_marks_failed_emails_for_staff():
    messages = [_message(status, id=number) for number, status in enumerate((FAILED, SENT, QUEUED, FAILED), 1)]
    assert needing_attention(messages) == {1, 4}
