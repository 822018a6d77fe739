"""The Celery worker: `celery -A worker worker` (and `celery -A worker beat`).

The Celery app is built from `create_app()`, so every task runs inside the Flask app context
with the same settings as the web app.
"""
from shop import create_app

flask_app = create_app()
celery = app = flask_app.extensions["celery"]
