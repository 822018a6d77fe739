"""A header value with a line break or control character is refused when the email is queued."""
import pytest
from sqlalchemy import func, select

from shop.emails.models import EmailMessage
from shop.emails.services import EmailHeaderError, check_header_value, queue_email
from shop.extensions import db


def _shipped(to="buyer@example.com", carrier="UPS", tracking="1Z999AA10123456784", headers=None):
    order = type("O", (), {"id": 7, "items": []})()
    return queue_email("order_shipped", to, headers=headers,
                       context={"order": order, "carrier": carrier, "tracking_number": tracking})


def _logged() -> int:
    return db.session.scalar(select(func.count()).select_from(EmailMessage))


@pytest.mark.parametrize("value", [
    "1Z999\r\nBcc: everyone@example.com", "1Z999\nX-Evil: 1", "1Z999\r", "1Z\x00999",
    "1Z\x1b[31m999", "1Z\x7f999", "1Z\x85999", "1Z\u2028999",
])
def test_a_control_character_in_a_header_value_is_refused(app, value):
    # when a value with a line break or other control character is checked
    with pytest.raises(EmailHeaderError) as refused:
        check_header_value("Subject", value)
    # then it is refused as bad input (422, a ValueError), naming the header
    assert isinstance(refused.value, ValueError) and refused.value.code == 422
    assert "Subject" in refused.value.message


@pytest.mark.parametrize("value", ["1Z999AA10123456784", "Café Crème\tnº 5", "Ihre Bestellung ist unterwegs 📦", ""])
def test_ordinary_text_passes(app, value):
    assert check_header_value("Subject", value) == value


@pytest.mark.parametrize("field", ["carrier", "tracking"])
def test_a_shipped_email_whose_subject_would_break_is_refused_and_nothing_is_logged(app, field):
    # given a carrier or tracking number with a line break (it goes into the subject)
    bad = {field: "UPS\r\nBcc: victim@example.com"}
    # when the shipped email is queued
    with pytest.raises(EmailHeaderError):
        _shipped(**bad)
    # then nothing is logged, and nothing will fail at send time
    db.session.flush()
    assert _logged() == 0


def test_a_recipient_with_a_line_break_is_refused(app):
    with pytest.raises(EmailHeaderError):
        _shipped(to="buyer@example.com\nBcc: all@example.com")
    assert _logged() == 0


def test_an_extra_header_is_checked_by_name_and_value(app):
    with pytest.raises(EmailHeaderError):
        _shipped(headers={"List-Unsubscribe": "<https://shop.test/u>\r\nBcc: all@example.com"})
    with pytest.raises(EmailHeaderError):
        _shipped(headers={"Bad Name:": "x"})
    assert _logged() == 0
    # while well-formed headers are kept as they are
    message_id = _shipped(headers={"List-Unsubscribe": "<https://shop.test/u>"})
    assert db.session.get(EmailMessage, message_id).headers == {"List-Unsubscribe": "<https://shop.test/u>"}


def test_exactly_the_controls_and_line_separators_are_refused():
    import sys
    import unicodedata

    from shop.emails.headers import ALLOWED_CONTROLS, REFUSED_CATEGORIES

    # given every character Unicode has, and the rule: controls and line/paragraph separators, tab aside
    refused_by_rule = {chr(c) for c in range(sys.maxunicode + 1)
                       if chr(c) not in ALLOWED_CONTROLS and unicodedata.category(chr(c)) in REFUSED_CATEGORIES}
    # when each is checked as a header value
    refused = set()
    for ch in map(chr, range(sys.maxunicode + 1)):
        try:
            check_header_value("Subject", f"a{ch}b")
        except EmailHeaderError:
            refused.add(ch)
    # then exactly those are refused
    assert refused == refused_by_rule
