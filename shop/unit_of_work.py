"""One unit of work per request, per task and per command: the one place the shop commits.

Views, API handlers, tasks and CLI commands call services; services change the session and
flush, never commit. The work of one request is committed here, once, when the request ends:

- an answer below 400 (a page, a redirect, a JSON body) commits what the request did;
- an answer of 400 or more (a refused form, a validation error, a 404, a 500) rolls it all
  back, so a refusal never leaves half a change behind;
- a commit that fails turns into the answer the error would have had anyway: the database
  unavailable is a 503 with Retry-After, a constraint that only the commit caught (two
  requests racing for one unique row) a 409; the customer never sees a 500 for either.
  A safe request (GET, HEAD, OPTIONS) promises no change, so when the database goes away after
  its answer was decided, the answer still goes out (the lost connection is logged).

Tasks (`worker_bridge.FlaskTask`) and CLI commands (`shop.cli.command`) go through `transaction()`:
commit when the work returns, roll back when it raises.

A use case that must put something on record before it calls Stripe (a checkout reserving stock,
a claim approved before its refund is asked for, an email marked handed-off before SMTP) commits
those steps itself, inside that one service function, and says so in its docstring.
"""
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import IntegrityError

from shop.db import DATABASE_UNAVAILABLE
from shop.errors import Conflict
from shop.extensions import db

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    """Register last, so the commit runs before every other after-request function."""
    app.after_request(end_request)


def end_request(response: Response) -> Response:
    """Commit the request's work if its answer is a success, roll it back if not."""
    session = db.session
    if not (session.registry.has() and session().in_transaction()):
        return response  # nothing was read or written (a cached answer, say): nothing to end
    if response.status_code >= 400:
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        log.warning("Commit refused by a constraint: %s", exc.orig)
        return _error_response(Conflict("This changed at the same moment elsewhere; reload and try again"))
    except DATABASE_UNAVAILABLE as exc:
        db.session.rollback()
        if request.method in SAFE_METHODS:
            log.warning("The database went away after %s %s was answered: %s", request.method, request.path, exc)
            return response
        return _error_response(exc)
    return response


@contextmanager
def transaction() -> Iterator[None]:
    """Commit the work done inside the block; roll it back if the block raises."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def _error_response(exc: Exception) -> Response:
    """The answer the app's error handlers give for `exc` (an API error body or the error page)."""
    return current_app.make_response(current_app.handle_user_exception(exc))
