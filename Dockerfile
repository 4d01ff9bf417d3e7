# syntax=docker/dockerfile:1
# solidaire: gunicorn web image; the same image runs the Celery worker and beat
# (see docker-compose.yml).
FROM python:3.11-slim-bookworm

# PYTHONPATH: the source tree wins over the installed copy, so BASE_DIR is /app for manage.py,
# gunicorn and celery alike (templates/, static/, locale/ live next to the packages).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    STATIC_ROOT=/app/staticfiles \
    STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage \
    MEDIA_ROOT=/data/media \
    PRIVATE_MEDIA_ROOT=/data/private

# WeasyPrint: Pango + HarfBuzz subsetting (4x faster PDFs) + a font; gettext for compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 solidaire \
    && useradd --system --uid 10001 --gid solidaire --home-dir /app --shell /usr/sbin/nologin solidaire \
    && mkdir -p /data/media /data/private \
    && chown -R solidaire:solidaire /data

WORKDIR /app
COPY . .
RUN pip install . \
    && SECRET_KEY=build-only-not-secret DATABASE_URL=sqlite:////tmp/build.sqlite3 \
       python manage.py collectstatic --noinput \
    && SECRET_KEY=build-only-not-secret DATABASE_URL=sqlite:////tmp/build.sqlite3 \
       python manage.py compilemessages --ignore=.venv \
    && rm -rf /tmp/build.sqlite3 build *.egg-info

USER solidaire
EXPOSE 8000
CMD ["gunicorn", "solidaire.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--timeout", "60"]
