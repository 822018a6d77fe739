"""Compose an email from templates/emails/<kind>.{subject.txt,txt,html}, log it, send after commit.

The email log is also the development outbox: with no MAIL_SERVER a "sent" row is the email,
readable with `flask --app shop emails outbox` or in the admin.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import current_app, has_request_context
from jinja2 import Template
from sqlalchemy import delete, insert, select

from shop.db import after_commit, dialect_of, insert_or_skip, utcnow
from shop.emails.handoff import HandOff
from shop.emails.headers import EmailHeaderError, check_header_value, check_headers  # noqa: F401  callers import them from here
from shop.emails.models import (FAILED, MARKETING, QUEUED, TRANSACTIONAL, EmailMessage, EmailSuppression,
                                new_message_id)
from shop.errors import Conflict, NotFound
from shop.extensions import db
from shop.worker_bridge import enqueue


def render_email(kind: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of an email.

    Rendered by the Jinja environment itself: an email knows nothing of the request it may be
    sent from (no session, no CSRF token, no signed-in user), so Flask's per-render context
    processors and signals are skipped; the dispatcher renders thousands per pass. The three
    parts share one set of variables (`Template.render` would copy the globals into each).
    """
    environment = current_app.jinja_env
    variables = {**environment.globals, "shop_name": current_app.config["SHOP_NAME"],
                 "public_url": current_app.config["PUBLIC_URL"],
                 # CAN-SPAM: every marketing email names the store's postal address.
                 "postal_address": current_app.config.get("STORE_POSTAL_ADDRESS"), **context}
    subject, text, html = (_render(environment.get_template(f"emails/{kind}.{part}"), variables)
                           for part in ("subject.txt", "txt", "html"))
    return subject.strip(), text, html


def _render(template: Template, variables: dict) -> str:
    """`template.render(variables)`, with `variables` taken as they are (they include the globals)."""
    try:
        return template.environment.concat(template.root_render_func(template.new_context(variables, shared=True)))
    except Exception:  # noqa: BLE001  as Template.render does: re-raised, its traceback at the template's lines
        template.environment.handle_exception()


def queue_email(
    kind: str,
    to: str,
    *,
    context: dict,
    order_id: int | None = None,
    dedupe_key: str | None = None,
    category: str = TRANSACTIONAL,
    headers: dict | None = None,
) -> int | None:
    """Log the email and hand it to the worker once the transaction commits; the log row's id.

    With a `dedupe_key` the same email is queued at most once: a second call returns None.
    Marketing mail to an address that unsubscribed is not queued at all (None). A recipient,
    subject or header value with a line break or control character raises EmailHeaderError
    (a 422) and logs nothing.
    """
    spec = EmailSpec(kind, to, context, order_id, dedupe_key, category, headers)
    if category == MARKETING:  # the address may have unsubscribed: the batch path reads the list
        message = queue_emails([spec])[0]
        return message.id if message is not None else None
    # One statement: a dedupe key already taken skips the row (ON CONFLICT DO NOTHING), even one
    # another transaction took a moment ago.
    message_id = db.session.execute(_insert_one(dialect_of(db.session)), _logged(spec)).scalar()
    if message_id is not None:
        _send_after_commit(message_id)
    return message_id


@dataclass
class EmailSpec:
    """One email to queue: what `queue_email` takes, for `queue_emails`."""

    kind: str
    to: str
    context: dict
    order_id: int | None = None
    dedupe_key: str | None = None
    category: str = TRANSACTIONAL
    headers: dict | None = None


def queue_emails(
    specs: list[EmailSpec],
    *,
    one_task: bool = False,
    on_refused: Callable[[int, EmailHeaderError], None] | None = None,
) -> list[EmailMessage | None]:
    """`queue_email` for many at once, in a constant number of queries (the dispatcher's path).

    Answers, in order, the logged message of each spec, or None where it was not queued (its
    dedupe key exists, or it is marketing to a suppressed address). With `one_task`, a single
    `send_emails` task carries the whole batch to the worker instead of one task per email.
    A spec whose headers are refused raises EmailHeaderError, or with `on_refused` is reported
    to it (with its index) and answers None, so one bad email does not hold back the others.
    """
    keys = {s.dedupe_key for s in specs if s.dedupe_key}
    taken = set(db.session.scalars(select(EmailMessage.dedupe_key).where(EmailMessage.dedupe_key.in_(keys)))) \
        if keys else set()
    marketing_to = {s.to.strip().lower() for s in specs if s.category == MARKETING}
    suppressed = set(db.session.scalars(
        select(EmailSuppression.email).where(EmailSuppression.email.in_(marketing_to)))) if marketing_to else set()
    rows: list[dict | None] = []
    for spec in specs:
        if (spec.dedupe_key and spec.dedupe_key in taken) or (
                spec.category == MARKETING and spec.to.strip().lower() in suppressed):
            rows.append(None)
            continue
        try:
            row = _logged(spec)
        except EmailHeaderError as refused:
            if on_refused is None:
                raise
            on_refused(len(rows), refused)
            row = None
        if row is not None and spec.dedupe_key:
            taken.add(spec.dedupe_key)
        rows.append(row)
    # An ORM bulk INSERT: one statement for the lot, answering the logged rows in order, without
    # the unit of work's per-object bookkeeping (thousands per dispatch pass).
    wanted = [row for row in rows if row is not None]
    messages = list(db.session.scalars(
        insert(EmailMessage).returning(EmailMessage, sort_by_parameter_order=True), wanted)) if wanted else []
    logged = iter(messages)
    answers = [next(logged) if row is not None else None for row in rows]
    if one_task and messages:
        from shop.emails.tasks import send_emails

        enqueue(send_emails, [m.id for m in messages])
    else:
        for message in messages:
            _send_after_commit(message.id)
    return answers


@cache
def _insert_one(dialect: str):
    """Built once per dialect (SQLAlchemy then skips building the statement and its cache key),
    on the table: a Core INSERT answering the id, without the ORM's bulk-insert machinery."""
    table = EmailMessage.__table__
    return insert_or_skip(dialect, table, "dedupe_key").returning(table.c.id)


def _logged(spec: EmailSpec) -> dict:
    """The email log's row for `spec`, rendered, its headers checked, its Message-ID given."""
    subject, text, html = render_email(spec.kind, spec.context)
    check_headers(spec.to, subject, spec.headers)
    return {"to": spec.to, "kind": spec.kind, "category": spec.category, "subject": subject,
            "body_text": text, "body_html": html, "headers": spec.headers or {},
            "order_id": spec.order_id, "dedupe_key": spec.dedupe_key,
            "message_id": new_message_id(), "claimed_until": task_claim_deadline()}


def task_claim_deadline():
    """How long the task handed a queued row has to claim it before the sweep hands it to another."""
    return utcnow() + timedelta(seconds=current_app.config["EMAIL_CLAIM_LEASE_SECONDS"])


def _send_after_commit(message_id: int) -> None:
    """Once the transaction commits: a request's email joins its process's hand-off to the worker
    (`shop.emails.handoff`, batched with the moment's others); a task's or a command's goes as a
    task of its own at once (their processes may end without notice right after). TASKS_CAPTURE
    collects a `send_email` task in either case, as `enqueue` does."""
    if not has_request_context() or current_app.config.get("TASKS_CAPTURE") is not None:
        from shop.emails.tasks import send_email

        enqueue(send_email, message_id)
        return
    handoff = current_app.extensions.get("email_handoff")
    if handoff is None:
        handoff = current_app.extensions.setdefault("email_handoff", HandOff(current_app.extensions["celery"]))
    after_commit(db.session(), lambda: handoff.add(message_id))


def is_suppressed(address: str) -> bool:
    return db.session.scalar(
        select(EmailSuppression.id).where(EmailSuppression.email == address.strip().lower())
    ) is not None


def suppress_marketing(address: str) -> bool:
    """Stop marketing mail to `address` (transactional mail still goes); True if newly added."""
    address = address.strip().lower()
    if is_suppressed(address):
        return False
    db.session.add(EmailSuppression(email=address))
    db.session.flush()
    return True


def allow_marketing(address: str) -> bool:
    """Marketing mail to `address` again (the customer turned it back on); True if it was off."""
    return bool(db.session.execute(
        delete(EmailSuppression).where(EmailSuppression.email == address.strip().lower())).rowcount)


def resend_refusal(message: EmailMessage) -> str | None:
    """Why staff may not send `message` again, or None when they may.

    Only a failed email is sent again (a queued or sending one is still on its way, a sent one
    arrived), and only a transactional one: marketing mail is not worth a second try.
    """
    if message.status != FAILED:
        return f"Only a failed email can be sent again; this one is {message.status}"
    if message.category != TRANSACTIONAL:
        return "Only transactional email is sent again; marketing mail is not retried"
    return None


def can_resend(message: EmailMessage) -> bool:
    """Whether the admin offers "Send again" for `message` (see `resend_refusal`)."""
    return resend_refusal(message) is None


def needing_attention(messages: list[EmailMessage]) -> set[int]:
    """The ids among `messages` the email log marks for staff: failed, so the customer never got them."""
    return {message.id for message in messages if message.status == FAILED}


def resend_email(message_id: int) -> EmailMessage:
    """Try a failed transactional email again (staff action); it goes out after commit.
    Refuses (409) before changing anything."""
    message = db.session.get(EmailMessage, message_id)
    if message is None:
        raise NotFound("Email not found")
    refusal = resend_refusal(message)
    if refusal is not None:
        raise Conflict(refusal)
    message.status = QUEUED
    message.attempts = 0
    message.claimed_until = task_claim_deadline()
    message.last_error = None
    db.session.flush()
    _send_after_commit(message.id)
    return message


def outbox(to: str | None = None, limit: int = 50) -> list[EmailMessage]:
    """The email log, newest first (the development outbox when no SMTP server is set)."""
    query = select(EmailMessage).order_by(EmailMessage.id.desc()).limit(max(1, min(limit, 500)))
    if to:
        query = query.where(EmailMessage.to == to.strip())
    return list(db.session.scalars(query))
