"""Text is stored as written and escaped everywhere it is shown: page, form echo, JSON-LD, email."""
import re

import pytest
from sqlalchemy import select

from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.reviews.models import Entry

SCRIPT = "<script>alert('x')</script>"
ATTRIBUTE = '" onmouseover="alert(1)'
IMG = "<img src=x onerror=alert(2)>"
PAYLOAD = f"{SCRIPT}{ATTRIBUTE}{IMG}</script><!--"
NAME = f"{SCRIPT}{ATTRIBUTE}</script><!--"  # within the 80 characters of a name
UNSAFE = [re.escape(s) for s in ("<script>alert", "<img", '" onmouseover=', "</script><!--")]


def assert_escaped(html: str):
    # JSON-LD blocks: JSON-escaped, and no "<" at all, so nothing can close the block early
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert all("<" not in block for block in blocks)
    outside = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)
    assert "<script" not in outside
    for pattern in UNSAFE:
        assert not re.search(pattern, outside), f"unescaped {pattern!r} in output"


def publish(client, staff_headers, entry_id):
    assert client.post(f"/api/v1/admin/reviews/{entry_id}/publish", headers=staff_headers("support")).status_code == 200


def test_every_text_field_is_escaped_on_the_product_page(mag_rr, post_entry, client, staff_headers, make_entry):
    # given a review, a question and a reply full of markup, published
    review = post_entry(name=NAME, body=PAYLOAD).get_json()["id"]
    question = post_entry(kind="question", rating=..., name=NAME, body="Q " + PAYLOAD).get_json()["id"]
    for entry_id in (review, question):
        publish(client, staff_headers, entry_id)
    reply = post_entry(kind=..., rating=..., parent_id=question, name=NAME, body="R " + PAYLOAD).get_json()["id"]
    publish(client, staff_headers, reply)
    # and a website that slipped past validation (written by an older version, an import...)
    make_entry(mag_rr, name="Site", website=f"https://example.com/{ATTRIBUTE}")
    make_entry(mag_rr, name="Script site", website="javascript:alert(3)")
    # when
    html = client.get("/products/mag-rr").get_data(as_text=True)
    # then the text is there, escaped
    assert "&lt;script&gt;alert(" in html
    assert "&#34; onmouseover=&#34;alert(1)" in html or "&quot; onmouseover=&quot;alert(1)" in html
    assert_escaped(html)
    assert 'href="javascript:' not in html  # only http(s) addresses ever become links
    # and stored exactly as written
    assert db.session.get(Entry, review).body == PAYLOAD


def test_the_form_echo_after_an_error_is_escaped(mag_rr, client):
    data = {"review-rating": "", "review-name": NAME, "review-email": PAYLOAD,
            "review-website": PAYLOAD, "review-body": PAYLOAD}
    response = client.post("/products/mag-rr/reviews", data=data)
    assert response.status_code == 422
    assert_escaped(response.get_data(as_text=True))
    question = {"question-name": NAME, "question-email": "bad", "question-body": PAYLOAD}
    assert_escaped(client.post("/products/mag-rr/questions", data=question).get_data(as_text=True))


def test_the_answer_email_escapes_the_question_the_answer_and_the_name(
        mag_rr, post_entry, client, staff_headers, run_tasks):
    question = post_entry(kind="question", rating=..., name=NAME, body=PAYLOAD).get_json()["id"]
    client.post(f"/api/v1/admin/reviews/{question}/answer", json={"body": "A " + PAYLOAD},
                headers=staff_headers("support"))
    run_tasks()
    email = db.session.scalars(select(EmailMessage)).one()
    assert_escaped(email.body_html)
    assert "&lt;script&gt;" in email.body_html
    assert PAYLOAD in email.body_text  # plain text is plain: shown as text by every mail reader
    assert "\n" not in email.subject


@pytest.mark.parametrize("path", ["/api/v1/products/mag-rr/reviews", "/api/v1/admin/questions"])
def test_the_api_returns_text_as_json_strings(mag_rr, post_entry, client, staff_headers, path):
    entry = post_entry(kind="question", rating=..., body=PAYLOAD).get_json()["id"]
    if "admin" not in path:  # the public list shows published entries; the queue, pending ones
        publish(client, staff_headers, entry)
    response = client.get(path, headers=staff_headers("support"))
    assert response.content_type == "application/json"
    assert response.get_json()["items"][0]["body"] == PAYLOAD

