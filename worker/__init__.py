"""The Celery worker: `celery -A worker worker` (and `celery -A worker beat`, or `-B` in development).

The Celery app is built from `create_app()`, so every task runs inside the Flask app context
with the same settings as the web app (the broker, and `CELERY_QUEUE`, the queue the web side
sends to and the worker reads).
"""
from shop import create_app

flask_app = create_app()
celery = app = flask_app.extensions["celery"]
