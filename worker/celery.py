"""The Celery app of the worker and of beat, bound to the Flask app (see `shop.worker_bridge`)."""
from shop import create_app

flask_app = create_app()
app = flask_app.extensions["celery"]
