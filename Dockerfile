# Production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.lock ./
RUN pip install --no-cache-dir "uv>=0.5,<1" \
 && uv pip install --system --no-cache --require-hashes -r requirements.lock \
 && useradd --system --create-home --uid 1000 umkm

COPY . .
# Static files and compiled translations are part of the image; the build needs a throwaway key only.
RUN DEBUG=0 SECRET_KEY=build-only-not-used-at-runtime-0123456789abcdefghijklmnop \
    python manage.py compilemessages_babel \
 && DEBUG=0 SECRET_KEY=build-only-not-used-at-runtime-0123456789abcdefghijklmnop \
    python manage.py collectstatic --no-input -v 0 \
 && mkdir -p /data && chown umkm /data

USER umkm
ENV DATA_DIR=/data STATIC_ROOT=/app/.data/staticfiles
EXPOSE 8000
CMD ["gunicorn", "umkm_enroll.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
