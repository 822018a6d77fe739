"""Reviews and questions (support): the moderation queue, unanswered questions, answers."""
from urllib.parse import parse_qs, urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.admin import queries
from shop.admin.access import SUPPORT, roles, safe_next
from shop.admin.blueprint import bp
from shop.admin.forms import AnswerForm, attach_service_errors
from shop.errors import ShopError
from shop.extensions import db
from shop.reviews.moderation import answer_question, publish_entry, reject_entry, unanswered_questions

PER_PAGE = 50


@bp.get("/reviews")
@roles(*SUPPORT)
def reviews():
    return render_template("admin/reviews/queue.html", result=_queue_page(request.args.get("page", 1, type=int)),
                           answer_forms={})


@bp.get("/questions")
@roles(*SUPPORT)
def questions():
    return render_template("admin/reviews/questions.html", entries=unanswered_questions(), answer_forms={})


@bp.post("/reviews/<int:entry_id>/publish")
@roles(*SUPPORT)
def entry_publish(entry_id):
    return _act(entry_id, publish_entry, "Published.")


@bp.post("/reviews/<int:entry_id>/reject")
@roles(*SUPPORT)
def entry_reject(entry_id):
    return _act(entry_id, reject_entry, "Rejected: it will not be shown.")


@bp.post("/reviews/<int:entry_id>/answer")
@roles(*SUPPORT)
def entry_answer(entry_id):
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            answer_question(entry_id, current_user, form.body.data)
        except ShopError as exc:
            db.session.rollback()
            if exc.code == 404:
                raise
            attach_service_errors(form, exc)
        else:
            db.session.commit()
            flash("Answer published; the asker is emailed.")
            return redirect(_back(), code=303)
    # Show the queue the answer came from again, with this entry's form and its errors.
    if _back().startswith(url_for("admin.questions")):
        return render_template("admin/reviews/questions.html", entries=unanswered_questions(),
                               answer_forms={entry_id: form}), 422
    page = parse_qs(urlsplit(_back()).query).get("page", ["1"])[0]
    return render_template("admin/reviews/queue.html", result=_queue_page(int(page) if page.isdigit() else 1),
                           answer_forms={entry_id: form}), 422


def _queue_page(page: int | None):
    return queries.moderation_queue(min(max(page or 1, 1), 100_000), PER_PAGE)


def _act(entry_id: int, action, done: str):
    try:
        action(entry_id, current_user)
    except ShopError as exc:
        db.session.rollback()
        if exc.code == 404:
            raise
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(done)
    return redirect(_back(), code=303)


def _back() -> str:
    return safe_next(request.form.get("back")) or url_for("admin.reviews")
