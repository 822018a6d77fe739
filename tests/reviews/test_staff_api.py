"""Staff API: publish, reject, answer, the unanswered-questions queue; roles; the asker's email."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.db import utcnow
from shop.emails.models import SENT, EmailMessage
from shop.extensions import db
from shop.reviews.models import PENDING, PUBLISHED, REJECTED, Entry

ROUTES = [
    ("get", "/api/v1/admin/questions?status=unanswered"),
    ("post", "/api/v1/admin/reviews/{id}/publish"),
    ("post", "/api/v1/admin/reviews/{id}/reject"),
    ("post", "/api/v1/admin/reviews/{id}/answer"),
]


@pytest.mark.parametrize("method,path", ROUTES)
def test_staff_routes_need_a_token_and_a_support_role(mag_rr, make_entry, client, staff_headers, method, path):
    # given
    entry = make_entry(mag_rr, kind="question", status=PENDING)
    url = path.format(id=entry.id)
    send = getattr(client, method)
    # when / then
    assert send(url, json={"body": "Yes"}).status_code == 401
    assert send(url, json={"body": "Yes"}, headers={"Authorization": "Bearer nope"}).status_code == 401
    forbidden = send(url, json={"body": "Yes"}, headers=staff_headers("fulfilment"))
    assert forbidden.status_code == 403
    assert set(forbidden.get_json()) == {"code", "status", "message", "errors"}
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).status == PENDING
    for role in ("support", "admin"):
        assert send(url, json={"body": "Yes"}, headers=staff_headers(role)).status_code in (200, 201)


def test_publishing_counts_the_rating_once_and_rejecting_takes_it_back(mag_rr, make_entry, client, staff_headers):
    # given a pending 2-star review
    review = make_entry(mag_rr, status=PENDING, rating=2)
    headers = staff_headers("support")
    url = f"/api/v1/admin/reviews/{review.id}"
    # when published twice
    first = client.post(url + "/publish", headers=headers)
    again = client.post(url + "/publish", headers=headers)
    # then the second is a no-op 200 and the rating counts once
    assert first.status_code == again.status_code == 200
    body = again.get_json()
    assert (body["id"], body["status"], body["rating"], body["replies"]) == (review.id, PUBLISHED, 2, [])
    assert "email" not in body
    db.session.expire_all()
    assert (mag_rr.rating_count, mag_rr.rating_sum) == (1, 2)
    # when rejected (unpublished), then the rating leaves the product, and comes back on publishing
    assert client.post(url + "/reject", headers=headers).get_json()["status"] == REJECTED
    db.session.expire_all()
    assert (mag_rr.rating_count, mag_rr.rating_sum) == (0, 0)
    client.post(url + "/publish", headers=headers)
    db.session.expire_all()
    assert (mag_rr.rating_count, mag_rr.rating_sum) == (1, 2)
    assert client.get("/api/v1/products/mag-rr").get_json()["rating_average"] == 2.0


def test_unknown_entry_is_404(client, staff_headers):
    headers = staff_headers("support")
    for action in ("publish", "reject", "answer"):
        response = client.post(f"/api/v1/admin/reviews/424242/{action}", json={"body": "x"}, headers=headers)
        assert response.status_code == 404


def test_answering_a_question_in_moderation_publishes_it_and_emails_the_asker_once(
        mag_rr, post_entry, client, staff_headers, run_tasks):
    # given a question posted through the API, still pending
    asked = post_entry(kind="question", rating=..., email="Asker@Example.com",
                       body="Can I open the capsule and mix it into a drink?")
    question_id = asked.get_json()["id"]
    run_tasks()
    headers = staff_headers("support")
    # when support answers it (twice, as two colleagues might)
    answer = client.post(f"/api/v1/admin/reviews/{question_id}/answer",
                         json={"body": "Yes, twist it open and stir it into a warm drink."}, headers=headers)
    client.post(f"/api/v1/admin/reviews/{question_id}/answer", json={"body": "Agreed!"}, headers=headers)
    sent = run_tasks()
    # then the answer is a published staff reply and the question is published
    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["is_staff"], body["status"], body["kind"], body["rating"]) == (True, PUBLISHED, "question", None)
    listed = client.get("/api/v1/products/mag-rr/reviews?kind=question").get_json()["items"]
    assert [q["id"] for q in listed] == [question_id]
    assert [r["is_staff"] for r in listed[0]["replies"]] == [True, True]
    # and the asker got exactly one email, with a link to the answer
    emails = db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "question_answered")).all()
    assert sent == 1 and len(emails) == 1
    email = emails[0]
    assert (email.to, email.status) == ("asker@example.com", SENT)
    link = f"http://shop.test/products/mag-rr/entries/{body['id']}"
    assert link in email.body_text and link in email.body_html
    assert "twist it open" in email.body_text
    assert "Mag R&amp;R" in email.body_html and "Mag R&R" in email.subject
    # and the link leads to the answer on the product page
    followed = client.get(link.replace("http://shop.test", ""))
    assert followed.status_code == 302
    assert followed.headers["Location"].endswith(f"/products/mag-rr#entry-{body['id']}")


def test_a_rolled_back_answer_emails_nobody(mag_rr, make_entry, app, run_tasks, make_staff):
    from shop.reviews.moderation import answer_question

    question = make_entry(mag_rr, kind="question", status=PENDING)
    staff, _ = make_staff("support")
    answer_question(question.id, staff, "Yes")  # outside any request, as a command would
    assert db.session.scalars(select(EmailMessage)).one().kind == "question_answered"
    db.session.rollback()
    assert run_tasks() == 0
    assert db.session.scalars(select(EmailMessage)).all() == []


def test_an_answer_needs_a_body(mag_rr, make_entry, client, staff_headers):
    question = make_entry(mag_rr, kind="question", status=PENDING)
    headers = staff_headers("support")
    for body in ({}, {"body": ""}, {"body": "   "}, {"body": None}):
        response = client.post(f"/api/v1/admin/reviews/{question.id}/answer", json=body, headers=headers)
        assert response.status_code == 422
        assert response.get_json()["errors"] == {"body": ["Required field missing"]}
    db.session.expire_all()
    assert db.session.get(Entry, question.id).status == PENDING


def test_a_rejected_question_or_a_reply_cannot_be_answered(mag_rr, make_entry, client, staff_headers):
    rejected = make_entry(mag_rr, kind="question", status=REJECTED)
    top = make_entry(mag_rr, kind="question")
    reply = make_entry(mag_rr, parent=top)
    headers = staff_headers("support")
    assert client.post(f"/api/v1/admin/reviews/{rejected.id}/answer", json={"body": "x"}, headers=headers).status_code == 409
    assert client.post(f"/api/v1/admin/reviews/{reply.id}/answer", json={"body": "x"}, headers=headers).status_code == 422


def test_unanswered_questions_oldest_first_pending_or_published(mag_rr, make_entry, client, staff_headers, make_staff):
    # given questions of every kind of state
    now = utcnow()
    newest_pending = make_entry(mag_rr, kind="question", status=PENDING, created_at=now)
    oldest_published = make_entry(mag_rr, kind="question", created_at=now - timedelta(days=3))
    answered = make_entry(mag_rr, kind="question", created_at=now - timedelta(days=4))
    make_entry(mag_rr, parent=answered, is_staff=True, name="Support")
    customer_replied = make_entry(mag_rr, kind="question", created_at=now - timedelta(days=2))
    make_entry(mag_rr, parent=customer_replied, name="Another customer")
    make_entry(mag_rr, kind="question", status=REJECTED, created_at=now - timedelta(days=5))
    make_entry(mag_rr, kind="review", status=PENDING, created_at=now - timedelta(days=6))
    # when
    response = client.get("/api/v1/admin/questions?status=unanswered", headers=staff_headers("support"))
    # then
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["id"] for i in items] == [oldest_published.id, customer_replied.id, newest_pending.id]
    assert [len(i["replies"]) for i in items] == [0, 1, 0]
    headers = staff_headers("support")
    assert client.get("/api/v1/admin/questions", headers=headers).status_code == 200
    bad = client.get("/api/v1/admin/questions?status=everything", headers=headers)
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]


def test_ids_beyond_the_database_range_are_404_not_500(mag_rr, client, staff_headers, post_entry):
    huge = 2**40
    headers = staff_headers("support")
    assert client.post(f"/api/v1/admin/reviews/{huge}/publish", headers=headers).status_code == 404
    assert client.post(f"/products/mag-rr/entries/{huge}/helpful").status_code == 404
    assert client.get(f"/products/mag-rr/entries/{huge}").status_code == 404
    refused = post_entry(kind=..., rating=..., parent_id=huge)
    assert refused.status_code == 422 and list(refused.get_json()["errors"]) == ["parent_id"]
