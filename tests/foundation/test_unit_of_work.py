"""One unit of work per request: a success commits what the request did, a refusal leaves nothing."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from shop.errors import Unprocessable
from shop.extensions import db
from shop.payments.models import StripeEvent


def _stored_events() -> list[str]:
    db.session.remove()  # read what was committed, not what this session holds
    return list(db.session.scalars(select(StripeEvent.event_id).order_by(StripeEvent.event_id)))


@pytest.fixture
def routes(app):
    """Two endpoints that record events, then answer as told: the page and the API side."""

    def record(answer: str, *event_ids: str):
        for event_id in event_ids:
            db.session.add(StripeEvent(event_id=event_id, type="test"))
        if answer == "ok":
            return "done", 200  # flushed by the commit, at the end of the request
        db.session.flush()
        if answer == "refuse":
            raise Unprocessable("Refused after writing", errors={"field": ["bad"]})
        if answer == "form":
            return "the form again, with its errors", 422
        raise AssertionError(answer)

    app.add_url_rule("/uow/<answer>/<path:ids>", "uow_page", lambda answer, ids: record(answer, *ids.split(",")))
    app.add_url_rule("/api/v1/uow/<answer>/<path:ids>", "uow_api",
                     lambda answer, ids: record(answer, *ids.split(",")), methods=["POST"])
    return app.test_client()


def test_a_successful_request_commits_its_work(routes):
    # when a request writes two rows and answers 200
    response = routes.get("/uow/ok/evt_1,evt_2")
    # then both rows are in the database for the next request
    assert response.status_code == 200
    assert _stored_events() == ["evt_1", "evt_2"]


def test_a_refused_request_leaves_nothing_behind(routes):
    # when a service writes, then refuses (the error handler answers 422), on a page and on the API
    page = routes.get("/uow/refuse/evt_1")
    api = routes.post("/api/v1/uow/refuse/evt_2")
    # and when a view re-renders its form with an error status after a write
    form = routes.get("/uow/form/evt_3")
    # then each answer says so, and none of the writes was kept
    assert (page.status_code, api.status_code, form.status_code) == (422, 422, 422)
    assert api.get_json()["errors"] == {"field": ["bad"]}
    assert _stored_events() == []


def test_two_writers_of_one_unique_row_get_a_conflict_not_a_500(routes):
    # given an event already stored
    assert routes.get("/uow/ok/evt_1").status_code == 200
    # when a second request stores the same event id and only the commit finds out
    response = routes.post("/api/v1/uow/ok/evt_1")
    # then it answers 409 in the API's error shape, and the store holds the event once
    assert response.status_code == 409
    assert response.get_json()["code"] == 409
    assert _stored_events() == ["evt_1"]


def test_a_commit_the_database_drops_answers_503(routes, monkeypatch):
    # given a database that goes away at the commit
    def lost(*args, **kwargs):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(db.session, "commit", lost)
    # when a request that wrote answers
    response = routes.post("/api/v1/uow/ok/evt_1")
    monkeypatch.undo()
    # then the client is told to retry later, and nothing was kept
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert _stored_events() == []
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_a_task_commits_when_it_returns_and_keeps_nothing_when_it_raises(app):
    celery = app.extensions["celery"]

    @celery.task(name="tests.record_events")
    def record_events(*event_ids: str, fail: bool = False) -> None:
        for event_id in event_ids:
            db.session.add(StripeEvent(event_id=event_id, type="test"))
        db.session.flush()
        if fail:
            raise RuntimeError("the task failed after writing")

    # when the worker runs one task that finishes and one that fails after writing
    record_events("evt_done")
    with pytest.raises(RuntimeError):
        record_events("evt_failed", fail=True)
    # then only the finished task's work is kept
    assert _stored_events() == ["evt_done"]
