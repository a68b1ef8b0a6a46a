# Multi-stage image: build wheels once, run as a non-root user with gunicorn.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 DJANGO_SETTINGS_MODULE=finops.settings PATH="/app/.venv/bin:$PATH"
RUN apt-get update && apt-get install -y --no-install-recommends curl libpq5 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system finops && useradd --system --gid finops --home /app finops
WORKDIR /app
COPY --from=build /wheels /wheels
RUN python -m venv /app/.venv && /app/.venv/bin/pip install --no-cache-dir --no-index /wheels/* && rm -rf /wheels
COPY --chown=finops:finops . .
# collectstatic needs settings but no secrets or database.
RUN DEBUG=1 python manage.py collectstatic --noinput --verbosity 0
USER finops
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD curl -fsS http://localhost:8000/healthz || exit 1
CMD ["gunicorn", "finops.wsgi:application", "--config", "deploy/gunicorn.conf.py"]
