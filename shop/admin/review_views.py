"""Reviews and questions (support): the moderation queue, unanswered questions, answers."""
from urllib.parse import parse_qsl, urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from shop.admin import queries
from shop.admin.access import SUPPORT, roles
from shop.admin.blueprint import bp
from shop.admin.forms import AnswerForm, attach_service_errors
from shop.errors import ShopError
from shop.pagination import Cursor, page_cursor
from shop.reviews.moderation import answer_question, publish_entry, reject_entry
from shop.urls import local_path

PER_PAGE = 50


@bp.get("/reviews")
@roles(*SUPPORT)
def reviews():
    return render_template("admin/reviews/queue.html", result=_queue_page(page_cursor(request.args)),
                           answer_forms={})


@bp.get("/questions")
@roles(*SUPPORT)
def questions():
    return render_template("admin/reviews/questions.html", result=_questions_page(page_cursor(request.args)),
                           answer_forms={})


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
            if exc.code == 404:
                raise
            attach_service_errors(form, exc)
        else:
            flash("Answer published; the asker is emailed.")
            return redirect(_back(), code=303)
    # Show the queue the answer came from again, with this entry's form and its errors.
    cursor = page_cursor(MultiDict(parse_qsl(urlsplit(_back()).query)))
    if _back().startswith(url_for("admin.questions")):
        return render_template("admin/reviews/questions.html", result=_questions_page(cursor),
                               answer_forms={entry_id: form}), 422
    return render_template("admin/reviews/queue.html", result=_queue_page(cursor), answer_forms={entry_id: form}), 422


def _queue_page(cursor: Cursor):
    return queries.moderation_queue(cursor, PER_PAGE)


def _questions_page(cursor: Cursor):
    return queries.unanswered_questions(cursor, PER_PAGE)


def _act(entry_id: int, action, done: str):
    """Publish or reject, then back to the queue. A refused move (already rejected...) is told
    in a flash message on the 303; the moderation services refuse before changing anything."""
    try:
        action(entry_id, current_user)
    except ShopError as exc:
        if exc.code == 404:
            raise
        flash(exc.message, "error")
    else:
        flash(done)
    return redirect(_back(), code=303)


def _back() -> str:
    return local_path(request.form.get("back")) or url_for("admin.reviews")
