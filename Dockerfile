# Production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.lock ./
RUN pip install --no-cache-dir "uv>=0.5,<1" \
 && uv pip install --system --no-cache --require-hashes -r requirements.lock \
 && useradd --system --create-home --uid 1000 umkm

COPY . .
# Static files and compiled translations are part of the image. Settings refuse to load with DEBUG off
# without their keys: the build gets throwaway ones, set for these two commands only (not in the image's
# environment; the real keys come with the containers, from .env in docker-compose.yml).
RUN export DEBUG=0 \
    SECRET_KEY=build-only-not-used-at-runtime-0123456789abcdefghijklmnop \
    NIK_ENCRYPTION_KEYS=build:YnVpbGQtb25seS1ub3QtdXNlZC1hdC1ydW50aW1lMDE \
    NIK_HMAC_KEY=YnVpbGQtb25seS1ub3QtdXNlZC1hdC1ydW50aW1lMDI \
    CARD_SIGNING_KEY=YnVpbGQtb25seS1ub3QtdXNlZC1hdC1ydW50aW1lMDM \
 && python manage.py compilemessages_babel \
 && python manage.py collectstatic --no-input -v 0 \
 && mkdir -p /data && chown umkm /data

USER umkm
ENV DATA_DIR=/data STATIC_ROOT=/app/.data/staticfiles
EXPOSE 8000
CMD ["gunicorn", "umkm_enroll.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
