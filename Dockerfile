FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY shop ./shop
COPY worker ./worker
COPY templates ./templates
COPY migrations ./migrations
RUN pip install --no-cache-dir . && useradd --create-home shop && mkdir -p instance && chown shop instance
USER shop
EXPOSE 8000
