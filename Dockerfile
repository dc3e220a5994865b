# OptiCRM production image: gunicorn + WhiteNoise, PostgreSQL via DATABASE_URL.
#   docker build -t opticrm .
#   docker run -p 8000:8000 -e SECRET_KEY=… -e DATABASE_URL=… -e ALLOWED_HOSTS=… opticrm
# Migrations are not run here: `docker compose run --rm web python manage.py migrate`
# (or the same command against the image before each release).
# The background worker is the same image with another command:
#   docker run … opticrm python manage.py db_worker   (docs/messaging.md)
FROM python:3.11-slim

# WEB_CONCURRENCY: gunicorn's worker count (override at run time).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=opticrm.settings \
    WEB_CONCURRENCY=3

RUN groupadd --system opticrm \
    && useradd --system --gid opticrm --home-dir /app --no-create-home opticrm

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root: the app user can read it, not change it.
COPY . .

# Settings need SECRET_KEY and DATABASE_URL at import; these values exist only
# for these commands (neither connects to the database). The translations are
# compiled afresh from the .po files; gettext is removed again in the same layer.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build \
       python manage.py compilemessages --ignore ".venv" \
    && SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build \
       python manage.py collectstatic --noinput \
    && apt-get purge -y --auto-remove gettext \
    && rm -rf /var/lib/apt/lists/*

# Generated files (the "Alle Daten exportieren" ZIPs): a folder the app user
# may write; compose mounts a volume here that web, worker and scheduler share.
ENV MEDIA_ROOT=/var/lib/opticrm/media
RUN mkdir -p "$MEDIA_ROOT" && chown opticrm "$MEDIA_ROOT"

USER opticrm

EXPOSE 8000

# /health/ checks the app and its database. The Host header is the first
# ALLOWED_HOSTS entry, so the check passes ALLOWED_HOSTS validation.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.'); r.urlopen(r.Request('http://127.0.0.1:8000/health/', headers={'Host': h if h not in ('', '*') else 'localhost'}), timeout=4)"]

CMD ["gunicorn", "-c", "python:opticrm.gunicorn_conf", "opticrm.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-"]
