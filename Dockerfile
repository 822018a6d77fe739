FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SHOP_ENV=production
COPY pyproject.toml README.md ./
# The application only: .dockerignore keeps out the Stripe stand-in (a development tool), tests,
# benchmarks, docs and any local instance/ or virtualenv.
COPY shop ./shop
COPY worker ./worker
COPY templates ./templates
COPY migrations ./migrations
# Editable install: the app finds templates/ and migrations/ beside the package (they are not
# inside it), so the project stays where it was copied rather than in site-packages.
RUN pip install --no-cache-dir -e . && useradd --create-home shop && mkdir -p instance && chown shop instance
USER shop
EXPOSE 8000
# No gunicorn access log: the shop writes its own access line (JSON, secrets in links left out),
# where gunicorn's would repeat every address whole, signed links included.
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "--worker-class", "gthread", "--threads", "4", \
     "--reuse-port", "shop:create_app()"]
