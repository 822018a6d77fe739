"""The Celery worker: `celery -A worker worker` (and `celery -A worker beat`, or `-B` in development).

The Celery app is built from `create_app()`, so every task runs inside the Flask app context
with the same settings as the web app. `CELERY_QUEUE` names the queue tasks go to and the
worker reads (default `celery`): tests and side-by-side deployments keep theirs apart with it.
"""
import os

from shop import create_app

flask_app = create_app()
celery = app = flask_app.extensions["celery"]
if os.environ.get("CELERY_QUEUE"):
    celery.conf.task_default_queue = os.environ["CELERY_QUEUE"]
