"""`flask --app shop emails outbox`: the development outbox on the command line."""
from shop.emails.services import outbox, queue_email
from shop.extensions import db


def _queue(to, tracking):
    order = type("O", (), {"id": 3, "items": []})()
    queue_email("order_shipped", to, context={"order": order, "carrier": "DHL", "tracking_number": tracking})
    db.session.commit()


def test_outbox_lists_newest_first_and_filters_by_address(app, run_tasks):
    _queue("a@example.com", "T-1")
    _queue("b@example.com", "T-2")
    run_tasks()
    assert [m.to for m in outbox()] == ["b@example.com", "a@example.com"]
    assert [m.to for m in outbox(to="a@example.com")] == ["a@example.com"]

    result = app.test_cli_runner().invoke(args=["emails", "outbox", "--to", "a@example.com"])
    assert result.exit_code == 0
    assert "T-1" in result.output and "T-2" not in result.output


def test_outbox_show_prints_one_email(app, run_tasks):
    _queue("a@example.com", "T-9")
    run_tasks()
    message_id = outbox()[0].id
    result = app.test_cli_runner().invoke(args=["emails", "outbox", "--show", str(message_id)])
    assert result.exit_code == 0
    assert "Tracking number: T-9" in result.output

    missing = app.test_cli_runner().invoke(args=["emails", "outbox", "--show", "999999"])
    assert missing.exit_code != 0 and "No email with id" in missing.output
