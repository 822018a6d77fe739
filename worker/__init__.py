"""The Celery worker: `celery -A worker worker` (and `celery -A worker beat`, or `--beat` in development).

Celery finds the app in `worker.celery`, which builds it from `create_app()`, so every task runs
inside the Flask app context with the same settings as the web app. Celery's own settings are
in `worker.config`, the periodic work in `worker.schedule`; this package imports nothing else,
so the web app can read both without starting a worker.
"""
