"""Dispatching due follow-ups: on time, once, only the latest after an outage; real SMTP."""
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from shop.emails.models import MARKETING, TRANSACTIONAL, EmailMessage
from shop.emails.services import suppress_marketing
from shop.extensions import db
from shop.followups.dispatch import dispatch_due_followups
from shop.followups.models import CANCELLED, FollowUp
from shop.followups.services import order_followups
from tests.followups.conftest import evening
from tests.smtp_server import smtp_config


def _emails(order=None):
    query = select(EmailMessage).order_by(EmailMessage.id)
    if order is not None:
        query = query.where(EmailMessage.order_id == order.id)
    return db.session.scalars(query).all()


def _statuses(order):
    return [(f["day"], f["status"]) for f in order_followups(order)]


def test_nothing_goes_out_before_it_is_due(mag_rr, delivered):
    order, _ = delivered(mag_rr)
    result = dispatch_due_followups(now=evening(0) - timedelta(minutes=1))
    assert result.handled == 0 and _emails() == []


def test_each_step_goes_out_on_its_evening_once(mag_rr, delivered):
    # given a delivered order
    order, _ = delivered(mag_rr)
    # when the dispatcher runs on the first evening, twice
    assert dispatch_due_followups(now=evening(0)).sent == 1
    assert dispatch_due_followups(now=evening(0) + timedelta(minutes=1)).handled == 0
    # then one email says tonight's dose, in numbers and words
    [first] = _emails(order)
    assert first.dedupe_key == f"followup:{db.session.scalar(select(FollowUp.id).order_by(FollowUp.id))}"
    assert "take 1 capsule" in first.subject.lower()
    assert "take 1 capsule (one)" in first.body_text
    # when day 7 comes
    dispatch_due_followups(now=evening(7))
    second = _emails(order)[-1]
    assert "2 capsules (two)" in second.body_text
    assert _statuses(order)[:3] == [(0, "sent"), (7, "sent"), (14, "scheduled")]


def test_a_dose_email_helps(mag_rr, delivered):
    order, _ = delivered(mag_rr)
    dispatch_due_followups(now=evening(0))
    [email] = _emails(order)
    text = email.body_text
    # tonight, the next step and its date, side effects, the three signed links
    assert "TONIGHT: take 1 capsule (one) immediately before bed." in text
    assert "from Tuesday, May 12 (day 7), take 2 capsules (two)" in text
    assert "Vivid dreams or disturbed sleep? That is a sign to go slower" in text  # Mag R&R's own advice
    assert "Stay at this dose one more week before you go up" in text
    assert "http://shop.test/followups/hold/" in text
    assert "http://shop.test/followups/started/" in text
    assert "http://shop.test/followups/unsubscribe/" in text
    assert email.category == TRANSACTIONAL
    # RFC 8058 one-click unsubscribe on every follow-up
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = email.headers["List-Unsubscribe"].split(", ")
    assert https.startswith("<http://shop.test/followups/unsubscribe/") and mailto.startswith("<mailto:")
    assert "Stay at this dose one more week" in email.body_html


def test_a_checkin_is_marketing_and_shows_the_guarantee_deadline(mag_rr, delivered):
    order, _ = delivered(mag_rr)
    for day in (0, 7, 14, 29, 30):
        dispatch_due_followups(now=evening(day))
    checkin = _emails(order)[-1]
    assert checkin.kind == "followup_checkin" and checkin.category == MARKETING
    assert "List-Unsubscribe" in checkin.headers
    # Mag R&R's guarantee is 60 days from delivery on 5 May
    deadline = mag_rr.guarantee_days
    assert deadline == 60 and "guarantee runs until Saturday, July 4" in checkin.body_text


def test_the_reorder_reminder_links_back_to_the_product(mag_rr, delivered):
    order, _ = delivered(mag_rr)
    dispatch_due_followups(now=evening(29))  # a long outage: everything up to day 29 is due
    [reminder] = _emails(order)
    assert reminder.kind == "followup_reorder" and reminder.category == MARKETING
    assert "http://shop.test/products/mag-rr" in reminder.body_text
    assert "runs out around Thursday, June 11" in reminder.subject  # day 37


def test_after_an_outage_only_the_latest_due_step_goes_out(mag_rr, delivered):
    # given an order delivered 20 days before the dispatcher runs again
    order, _ = delivered(mag_rr)
    # when it runs on day 20
    result = dispatch_due_followups(now=evening(20))
    # then day 14 (3 capsules) goes out; days 0 and 7 are skipped as stale
    assert (result.sent, result.skipped) == (1, 2)
    [email] = _emails(order)
    assert "3 capsules (three)" in email.body_text
    assert _statuses(order)[:4] == [(0, "skipped"), (7, "skipped"), (14, "sent"), (29, "scheduled")]


def test_stale_catch_up_is_per_plan_across_batches(mag_rr, make_product, delivered):
    # given two orders overdue by three steps each, dispatched in tiny batches
    first, _ = delivered(mag_rr)
    second, _ = delivered(mag_rr, email="other@example.com")
    # when one pass runs with a batch of 2 rows
    result = dispatch_due_followups(now=evening(20), batch_size=2)
    # then each order got exactly its day-14 step
    assert result.sent == 2 and result.skipped == 4
    assert [len(_emails(o)) for o in (first, second)] == [1, 1]


def test_marketing_to_an_unsubscribed_address_is_cancelled_but_dose_steps_go(mag_rr, delivered):
    # given an address that unsubscribed from marketing, and a new order
    suppress_marketing("buyer@example.com")
    db.session.commit()
    order, _ = delivered(mag_rr)
    # when the plan runs its course
    for day in (0, 7, 14, 29, 30, 60):
        dispatch_due_followups(now=evening(day))
    # then the dose steps went, the check-ins and reminder did not
    assert [e.kind for e in _emails(order)] == ["followup_dose"] * 3
    assert [s for _, s in _statuses(order)] == ["sent", "sent", "sent", CANCELLED, CANCELLED, CANCELLED]


def test_a_refund_cancels_what_is_still_scheduled(mag_rr, delivered):
    from shop.payments.models import Refund
    from shop.payments.signals import refund_updated

    order, _ = delivered(mag_rr)
    dispatch_due_followups(now=evening(0))
    # when a refund for the order is confirmed
    refund = Refund(order_id=order.id, amount=100, currency="usd", status="succeeded",
                    idempotency_key="test-refund", stripe_refund_id="re_test")
    refund_updated.send(refund, previous_status="pending")
    db.session.commit()
    # then nothing more is sent
    assert [s for _, s in _statuses(order)] == ["sent"] + [CANCELLED] * 5
    assert dispatch_due_followups(now=evening(60)).handled == 0


def test_the_idle_pass_is_one_query(mag_rr, delivered):
    delivered(mag_rr)
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        dispatch_due_followups(now=evening(0) - timedelta(hours=1))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1 and "followups.due_at <=" in selects[0]


def test_a_pass_reads_each_product_once_however_many_batches(mag_rr, delivered):
    # given three customers whose first dose is due tonight
    order_ids = [delivered(mag_rr, email=f"buyer{n}@example.com")[0].id for n in range(3)]
    db.session.expunge_all()  # a worker's pass starts from an empty session
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    # when one pass sends them a batch at a time (each batch commits, and the session lets go of
    # the rows a batch read once nothing refers to them)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = dispatch_due_followups(now=evening(0), batch_size=1)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    # then every email went out, and the product was read once for the whole pass
    assert result.sent == 3 and {m.order_id for m in _emails()} >= set(order_ids)
    assert all("Mag R&R" in m.subject or "Mag R&R" in m.body_text for m in _emails() if m.kind == "followup_dose")
    reads_of_products = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM products" in s]
    assert len(reads_of_products) == 1, reads_of_products


def test_cli_dispatch_shows_progress(app, mag_rr, delivered):
    delivered(mag_rr, at=evening(-30))  # long past: all six due, only the latest goes
    result = app.test_cli_runner().invoke(args=["followups", "dispatch"])
    assert result.exit_code == 0, result.output
    assert "handled" in result.output and "Dispatch done: 1 sent, 5 skipped" in result.output


def test_followup_email_arrives_over_smtp_with_unsubscribe_headers(make_app, smtp_server, make_order):
    # given a store that sends over real SMTP, and a delivered order
    app = make_app(**smtp_config(smtp_server))
    with app.app_context():
        from shop.catalog.demo import DEMO_PRODUCTS, build_product
        from shop.fulfilment.services import deliver_order
        from tests.followups.conftest import DELIVERED_AT

        product = build_product(DEMO_PRODUCTS[0])
        db.session.add(product)
        db.session.commit()
        order, _ = make_order(product, status="shipped")
        deliver_order(order.id, delivered_at=DELIVERED_AT, actor="staff:test", now=DELIVERED_AT)
        db.session.commit()
        # when the dispatcher runs that evening and the worker sends the queued email
        dispatch_due_followups(now=evening(0))
        for task, args in app.config["TASKS_CAPTURE"]:
            task.run(*args)
        # then it arrived, with RFC 8058 headers and both parts
        [received] = smtp_server.messages
        assert received["To"] == "buyer@example.com"
        assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert received["List-Unsubscribe"].startswith("<http://shop.test/followups/unsubscribe/")
        assert "take 1 capsule (one)" in received.get_body(("plain",)).get_content()
        assert received.get_body(("html",)) is not None


@pytest.mark.postgres
def test_two_dispatchers_racing_never_double_send(app, mag_rr, make_order):
    """Two threads dispatch the same backlog on PostgreSQL; every row goes out once."""
    import threading

    _deliver_backlog(mag_rr, make_order, 60)
    now = evening(0)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(dispatch_due_followups(now=now, batch_size=7))
            except Exception as exc:  # noqa: BLE001  reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(r.sent for r in results) == 60
    keys = db.session.scalars(select(EmailMessage.dedupe_key)).all()
    assert len(keys) == len(set(keys)) == 60



def _deliver_backlog(mag_rr, make_order, count):
    from shop.fulfilment.services import deliver_order
    from tests.followups.conftest import DELIVERED_AT

    for n in range(count):
        order, _ = make_order(mag_rr, status="shipped", email=f"buyer{n}@example.com")
        deliver_order(order.id, delivered_at=DELIVERED_AT, actor="staff:test", now=DELIVERED_AT)
    db.session.commit()


@pytest.mark.postgres
def test_a_backlog_asks_helpers_to_join_the_pass_up_to_the_same_moment(app, mag_rr, make_order, run_tasks):
    from shop.followups.tasks import dispatch_due_followups as beat_task

    # given 5 orders due tonight, batches of 2, and 2 helpers allowed
    app.config.update(DISPATCH_BATCH_SIZE=2, DISPATCH_HELPERS=2)
    _deliver_backlog(mag_rr, make_order, 5)
    app.config["TASKS_CAPTURE"].clear()
    now = evening(0).isoformat()
    # when the beat task runs
    handled = beat_task.run(now)
    # then it asked for two helpers once (its first batch came back full), for the same moment
    helpers = [(task.name, args) for task, args in app.config["TASKS_CAPTURE"] if task.name == beat_task.name]
    assert helpers == [(beat_task.name, (now, True))] * 2
    # and the helpers, finding the backlog gone, ask no one further; nothing went twice
    app.config["TASKS_CAPTURE"][:] = [t for t in app.config["TASKS_CAPTURE"] if t[0].name == beat_task.name]
    assert run_tasks() == 2
    keys = db.session.scalars(select(EmailMessage.dedupe_key)).all()
    assert handled == 5 and len(keys) == len(set(keys)) == 5


@pytest.mark.postgres
def test_a_helper_working_meanwhile_takes_a_share_and_each_row_goes_once(app, mag_rr, make_order):
    import threading

    from shop.followups.tasks import dispatch_due_followups as beat_task

    # given a backlog of 40 due rows in batches of 3, and the beat task asking for one helper
    app.config.update(DISPATCH_BATCH_SIZE=3, DISPATCH_HELPERS=1)
    _deliver_backlog(mag_rr, make_order, 40)
    handled, errors, helpers = {}, [], []

    def work(name, *args):
        with app.app_context():
            try:
                handled[name] = beat_task.run(*args)
            except Exception as exc:  # noqa: BLE001  reported below
                errors.append(exc)
            finally:
                db.session.remove()

    class StartHelper(list):
        """The helper task starts at once in another thread, as an idle worker process takes it."""

        def append(self, item):
            task, args = item
            if task.name == beat_task.name:
                helpers.append(threading.Thread(target=work, args=("helper", *args)))
                helpers[-1].start()

    app.config["TASKS_CAPTURE"] = StartHelper()
    # when the beat task runs
    beat = threading.Thread(target=work, args=("beat", evening(0).isoformat()))
    beat.start()
    beat.join(60)
    for helper in helpers:
        helper.join(60)
    # then one helper joined, both sent part of the backlog, together all of it, each row once
    assert errors == [] and len(helpers) == 1
    assert handled["beat"] > 0 and handled["helper"] > 0 and handled["beat"] + handled["helper"] == 40
    keys = db.session.scalars(select(EmailMessage.dedupe_key)).all()
    assert len(keys) == len(set(keys)) == 40


def test_no_helpers_without_a_backlog_nor_on_sqlite(app, mag_rr, make_order):
    from shop.followups.tasks import dispatch_due_followups as beat_task

    # given 3 due rows, helpers allowed, and batches of 5 (SQLite, one writer: batches of 1)
    sqlite = db.engine.dialect.name == "sqlite"
    app.config.update(DISPATCH_BATCH_SIZE=1 if sqlite else 5, DISPATCH_HELPERS=2)
    _deliver_backlog(mag_rr, make_order, 3)
    app.config["TASKS_CAPTURE"].clear()
    # when the beat task runs
    assert beat_task.run(evening(0).isoformat()) == 3
    # then it asked no one to help
    assert [task.name for task, _ in app.config["TASKS_CAPTURE"] if task.name == beat_task.name] == []


def test_a_followup_whose_email_header_is_refused_is_cancelled_and_the_others_go(mag_rr, delivered):
    # given two delivered orders, and then a product name that would break the email's subject
    order, _ = delivered(mag_rr, email="first@example.com")
    other, _ = delivered(mag_rr, email="second@example.com")
    mag_rr.name = "Mag R&R\r\nBcc: everyone@example.com"
    db.session.commit()
    # when the first evening's dispatch runs
    result = dispatch_due_followups(now=evening(0))
    # then nothing is sent with a broken header, each refused step is cancelled (the rest of the
    # plan stays), and the dispatch neither failed nor will pick the same rows again
    assert _emails() == [] and result.cancelled == 2
    assert _statuses(order)[0] == (0, "cancelled") and _statuses(other)[1] == (7, "scheduled")
    assert dispatch_due_followups(now=evening(0) + timedelta(minutes=1)).handled == 0
