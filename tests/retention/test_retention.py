"""The retention job: what is past its time goes (in batches), what may still be needed stays."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.config import ConfigError
from shop.customers.services import export_customer_data
from shop.db import utcnow
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.followups.models import FollowUp
from shop.payments.models import StripeEvent
from shop.retention.services import BODY_REMOVED_TEXT, apply_retention
from shop.retention.tasks import apply_retention_task
from tests.payments.stripe_events import charge, deliver, event
from worker.schedule import beat_schedule


def ids(model) -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(model.id)))


def test_settled_followups_go_after_their_time_and_scheduled_ones_never(app, followup):
    # given follow-ups sent, skipped and cancelled long ago and lately, and one still waiting
    old_sent, old_skipped, old_cancelled = followup("sent", 181), followup("skipped", 200), followup("cancelled", 365)
    recent_sent, recent_cancelled = followup("sent", 179), followup("cancelled", 10)
    waiting = followup("scheduled", 400)  # e.g. held again and again: still to be sent
    # when the retention job runs with the default 180 days
    report = apply_retention()
    # then only the settled rows older than 180 days are gone
    assert ids(FollowUp) == {recent_sent, recent_cancelled, waiting}
    assert report.as_dict()["followups"] == 3
    assert {old_sent, old_skipped, old_cancelled}.isdisjoint(ids(FollowUp))


def test_sent_email_bodies_are_removed_and_their_record_stays(app, email):
    # given emails sent 100 and 10 days ago, and old ones that never went out
    old_sent, recent_sent = email("sent", 100), email("sent", 10)
    failed, queued = email("failed", 200), email("queued", 200)
    # when the retention job runs with the default 90 days
    apply_retention()
    # then the old sent email keeps its record but not its body
    db.session.expire_all()
    trimmed = db.session.get(EmailMessage, old_sent)
    assert (trimmed.to, trimmed.kind, trimmed.status, trimmed.subject) == (
        "gina@example.com", "order_shipped", "sent", "Your order is on its way")
    assert trimmed.sent_at is not None and trimmed.body_removed_at is not None
    assert trimmed.body_text == BODY_REMOVED_TEXT and "Hi Gina" not in trimmed.body_html
    # and the recent one, the failed and the queued ones keep their bodies
    for kept in (recent_sent, failed, queued):
        message = db.session.get(EmailMessage, kept)
        assert message.body_text == "Hi Gina, tracking T-1" and message.body_removed_at is None
    # and a second run changes nothing more
    assert apply_retention().as_dict()["email_messages"] == 0


def test_a_trimmed_email_still_shows_in_the_data_export_and_the_admin(app, email, staff_client):
    # given a sent email whose body the retention job removed
    message_id = email("sent", 120)
    apply_retention()
    # when the customer's data is exported
    exported = export_customer_data("gina@example.com")
    # then the email is listed with its metadata and the notice for a body
    [row] = exported["emails"]
    assert row["id"] == message_id and row["status"] == "sent" and row["sent_at"] is not None
    assert row["body_text"] == BODY_REMOVED_TEXT
    # and staff can open it in the email log, with its preview
    client, _ = staff_client("support")
    page = client.get(f"/admin/emails/{message_id}")
    assert page.status_code == 200
    assert "Your order is on its way" in page.get_data(as_text=True)
    assert "removed by the retention job" in page.get_data(as_text=True)
    preview = client.get(f"/admin/emails/{message_id}/html")
    assert preview.status_code == 200 and "removed by the retention job" in preview.get_data(as_text=True)


def test_a_webhook_event_stripe_may_still_send_is_still_a_duplicate(app, client, make_product, make_order):
    # given a webhook event received and applied
    order, _ = make_order(make_product())
    evt = event("charge.succeeded", charge(order, payment_intent=order.stripe_payment_intent_id))
    assert deliver(client, evt).get_json()["outcome"] == "payment details"
    # when the retention job runs 40 days later (Stripe may send an event again for 30 days)
    apply_retention(utcnow() + timedelta(days=40))
    # then the event is still recorded, and Stripe sending it again changes nothing
    assert len(ids(StripeEvent)) == 1
    assert deliver(client, evt).get_json()["outcome"] == "duplicate"


def test_webhook_events_go_after_their_retention(app, stripe_event):
    # given events received 46 and 44 days ago
    old, recent = stripe_event(46), stripe_event(44)
    # when the retention job runs with the default 45 days
    apply_retention()
    # then only the older one is gone
    assert ids(StripeEvent) == {recent}
    assert old not in ids(StripeEvent)


def test_work_goes_in_batches_each_committed(app, stripe_event):
    # given 12 events past their time and 2 that are not
    old = {stripe_event(100 + n) for n in range(12)}
    recent = {stripe_event(1), stripe_event(2)}
    # when the job runs in batches of 5 rows
    seen = []
    report = apply_retention(batch_size=5, progress=lambda table: seen.append((table.table, table.rows)))
    # then the events went in three batches, each reported after its commit
    assert seen == [("stripe_events", 5), ("stripe_events", 10), ("stripe_events", 12)]
    assert report.as_dict()["stripe_events"] == 12
    assert ids(StripeEvent) == recent and old.isdisjoint(ids(StripeEvent))


def test_a_run_out_of_time_stops_between_batches_and_the_next_run_finishes(app, stripe_event):
    # given 6 events past their time
    for n in range(6):
        stripe_event(100 + n)
    # when a run has no time left
    report = apply_retention(batch_size=2, time_budget=timedelta(0))
    # then it stops before deleting anything and says so; the next run deletes them all
    assert report.tables[2].complete is False and len(ids(StripeEvent)) == 6
    assert apply_retention(batch_size=2).as_dict()["stripe_events"] == 6
    assert ids(StripeEvent) == set()


def test_a_dry_run_counts_and_changes_nothing(app, followup, email, stripe_event):
    # given one row past its time in each table
    followup("sent", 200)
    email("sent", 200)
    stripe_event(60)
    # when the command runs with --dry-run
    result = app.test_cli_runner().invoke(args=["retention", "run", "--dry-run"])
    # then it says what would go, per table, and nothing went
    assert result.exit_code == 0, result.output
    assert "followups: 1 would be deleted" in result.output
    assert "email_messages: 1 bodies would be removed" in result.output
    assert "stripe_events: 1 would be deleted" in result.output
    assert len(ids(FollowUp)) == 1 and len(ids(StripeEvent)) == 1
    assert db.session.scalar(select(func.count()).where(EmailMessage.body_removed_at.is_not(None))) == 0
    # when it runs for real, it says what went
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert "followups: 1 deleted" in result.output and "stripe_events: 1 deleted" in result.output
    assert "email_messages: 1 bodies removed" in result.output
    assert ids(FollowUp) == set() and ids(StripeEvent) == set()


def test_a_retention_of_zero_keeps_everything(make_app, followup, email, stripe_event):
    keep_all = make_app(FOLLOWUP_RETENTION_DAYS=0, EMAIL_BODY_RETENTION_DAYS=0, STRIPE_EVENT_RETENTION_DAYS=0)
    followup("sent", 1000)
    email("sent", 1000)
    stripe_event(1000)
    with keep_all.app_context():
        result = keep_all.test_cli_runner().invoke(args=["retention", "run"])
        assert result.output.count("kept (retention off)") == 3
        assert apply_retention().as_dict() == {"followups": 0, "email_messages": 0, "stripe_events": 0}


@pytest.mark.parametrize("setting, value", [
    ("STRIPE_EVENT_RETENTION_DAYS", 30),  # Stripe may still send an event again
    ("FOLLOWUP_RETENTION_DAYS", 100),  # links in follow-up emails work for 120 days
    ("RETENTION_BATCH_SIZE", 0),
])
def test_a_retention_that_would_break_a_guarantee_is_refused(make_app, setting, value):
    with pytest.raises(ConfigError, match=setting):
        make_app(**{setting: value})


def test_beat_runs_the_task_daily_and_the_task_applies_retention(app, stripe_event):
    # given the beat schedule, and an event past its time
    entry = beat_schedule(app.config)["apply-retention"]
    assert entry["task"] == "shop.retention.tasks.apply_retention" and entry["schedule"] == 86400.0
    stripe_event(90)
    # when the task runs as the worker runs it
    assert apply_retention_task.run()["stripe_events"] == 1
    # then the event is gone
    assert ids(StripeEvent) == set()


@pytest.mark.postgres
def test_each_table_is_bounded_through_an_index_not_a_scan(app):
    # given an email log of recent sent mail, as PostgreSQL's statistics know it
    from sqlalchemy import event as sa_event, insert, text

    recent = utcnow() - timedelta(days=1)
    db.session.execute(insert(EmailMessage), [
        {"to": f"c{n}@example.com", "kind": "order_shipped", "subject": "s", "body_text": "t", "body_html": "h",
         "message_id": f"<{n}@shop.test>", "status": "sent", "sent_at": recent} for n in range(3000)])
    db.session.commit()
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE email_messages"))
    # and the statements a retention run uses to find the rows past their time
    bounds = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT MIN("):
            bounds.append((statement, parameters))

    sa_event.listen(db.engine, "before_cursor_execute", capture)
    try:
        apply_retention(dry_run=True)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", capture)
    assert len(bounds) == 3
    # when PostgreSQL plans each with sequential scans ruled out unless nothing else can answer
    with db.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plans = ["\n".join(conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
                 for statement, parameters in bounds]
    # then every one reads its table through the retention index
    for plan, index in zip(plans, ("ix_followups_updated_at", "ix_email_messages_body_held_sent_at",
                                   "ix_stripe_events_received_at")):
        assert "Seq Scan" not in plan and index in plan, plan
