"""Settings for UMKM Enroll, read only from environment variables.

Every variable is listed in README.md (Configuration). The defaults suit development on this
machine; production (DEBUG off) refuses to start without a real SECRET_KEY.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DEBUG", False)

_INSECURE_KEY_PREFIX = "django-insecure"  # Django's startproject default
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    from django.core.management.utils import get_random_secret_key

    # Development only: a fresh key per process start (sessions do not survive a restart).
    SECRET_KEY = get_random_secret_key()
elif not DEBUG and (
    SECRET_KEY.startswith(_INSECURE_KEY_PREFIX) or len(set(SECRET_KEY)) < 5 or len(SECRET_KEY) < 50
):
    raise ImproperlyConfigured("SECRET_KEY is a default or weak value; set a random key of 50+ characters.")

# NIK protection (members/vault.py): AES-256-GCM keys "id:base64,..." (the first encrypts; the others
# still decrypt, for rotation) and the HMAC key for exact lookups. Required when DEBUG is off.
NIK_ENCRYPTION_KEYS = os.environ.get("NIK_ENCRYPTION_KEYS", "")
NIK_HMAC_KEY = os.environ.get("NIK_HMAC_KEY", "")
if not (NIK_ENCRYPTION_KEYS and NIK_HMAC_KEY):
    if not DEBUG:
        raise ImproperlyConfigured("NIK_ENCRYPTION_KEYS and NIK_HMAC_KEY must be set when DEBUG is off.")
    import base64
    import hashlib

    # Development only: keys derived from SECRET_KEY (make run / make test keep one in .data/).
    _dev = hashlib.sha256(f"nik-dev:{SECRET_KEY}".encode()).digest()
    NIK_ENCRYPTION_KEYS = NIK_ENCRYPTION_KEYS or "dev:" + base64.urlsafe_b64encode(_dev).decode().rstrip("=")
    NIK_HMAC_KEY = NIK_HMAC_KEY or base64.urlsafe_b64encode(hashlib.sha256(b"hmac" + _dev).digest()).decode()

# Membership cards: the Ed25519 seed (32 bytes, base64url) that signs the QR tokens; its public key is
# published at /verify/kunci-publik/. Required when DEBUG is off.
CARD_SIGNING_KEY = os.environ.get("CARD_SIGNING_KEY", "")
if not CARD_SIGNING_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("CARD_SIGNING_KEY must be set when DEBUG is off.")
    import base64
    import hashlib

    CARD_SIGNING_KEY = base64.urlsafe_b64encode(
        hashlib.sha256(f"card-dev:{SECRET_KEY}".encode()).digest()
    ).decode()
# Print batches: cards per PDF part (bounds the worker's memory), cards per batch, days files are kept;
# the address printed in the QR codes (the public verification page).
CARD_BATCH_PART = env_int("CARD_BATCH_PART", 1000)
CARD_BATCH_LIMIT = env_int("CARD_BATCH_LIMIT", 200_000)
CARD_BATCH_KEEP_DAYS = env_int("CARD_BATCH_KEEP_DAYS", 14)
# Bulk import of people lists (members/imports.py).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 50 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000)
IMPORT_CHUNK_ROWS = env_int("IMPORT_CHUNK_ROWS", 10_000)
# Processes checking a list's chunks (forked by the check job after parsing the file; the rules are Python).
IMPORT_CHECK_PROCESSES = env_int("IMPORT_CHECK_PROCESSES", 2)
# Chunks of a commit stored at once, each by a thread with its own database connection.
IMPORT_COMMIT_THREADS = env_int("IMPORT_COMMIT_THREADS", 2)
IMPORT_KEEP_DAYS = env_int("IMPORT_KEEP_DAYS", 14)
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# Public card verifications allowed per minute from one address.
VERIFY_RATE_LIMIT_PER_MINUTE = env_int("VERIFY_RATE_LIMIT_PER_MINUTE", 30)

# Enrollment rules that are policy, not law: configurable (docs in README).
ENROLLMENT_MIN_AGE = env_int("ENROLLMENT_MIN_AGE", 15)
ENROLLMENT_MAX_AGE = env_int("ENROLLMENT_MAX_AGE", 65)
# KPJ numbers: 11 digits by default (weakly sourced, so configurable).
KPJ_PATTERN = os.environ.get("KPJ_PATTERN", r"\d{11}")
KPJ_GENERATED_DIGITS = env_int("KPJ_GENERATED_DIGITS", 11)
# Pending enrollments waiting longer than this many days are highlighted in the officers' queue.
ENROLLMENT_QUEUE_OVERDUE_DAYS = env_int("ENROLLMENT_QUEUE_OVERDUE_DAYS", 5)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Where the application keeps files it produces (uploads, generated PDFs, exports).
DATA_DIR = Path(os.environ.get("DATA_DIR", str(BASE_DIR / ".data" / "files")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "umkm_enroll.regions",
    "umkm_enroll.accounts",
    "umkm_enroll.audit",
    "umkm_enroll.jobs",
    "umkm_enroll.exports",
    "umkm_enroll.web",
    "cooperatives",
    "members",
    "contributions",
    "cards",
    "umkm_enroll.dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "umkm_enroll.accounts.middleware.SessionLimitsMiddleware",
    "umkm_enroll.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "umkm_enroll.audit.context.AuditContextMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "umkm_enroll.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "umkm_enroll.web.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "umkm_enroll.wsgi.application"

# The embedded servers started by `make run` listen on these ports (see umkm_enroll/devstack.py).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:55432/umkm_enroll"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:56379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "umkm"),
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out usernames before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# A stale form (signed out and in again in another tab): the app's page, in Indonesian, not Django's.
CSRF_FAILURE_VIEW = "umkm_enroll.web.views.csrf_failure"

# Login throttling. Whole offices share one public IP, so the username is locked, not the address.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "umkm_enroll.accounts.views.locked_out"
AXES_VERBOSE = False
# axes.W006 asks for the IP address among the lockout parameters; that would lock whole offices out.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Two-factor sign-in (TOTP): required for the roles in accounts.models.TWO_FACTOR_ROLES, or for all.
OTP_REQUIRED_FOR_ALL = env_bool("OTP_REQUIRED_FOR_ALL", False)
OTP_TOTP_ISSUER = "UMKM Enroll"

# Absolute session lifetime; the idle timeout is SESSION_COOKIE_AGE below.
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)

# Content Security Policy: everything from our own origin, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Internationalisation: Bahasa Indonesia by default, English available.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Jakarta")
USE_TZ = True
FORMAT_MODULE_PATH = ["umkm_enroll.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", str(BASE_DIR / ".data" / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": DATA_DIR}},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Sessions: idle timeout (refreshed on every request) and an absolute cap enforced by middleware.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Transport security: on whenever DEBUG is off.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# The container health check calls /healthz over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    # Default deny: every API view names the permissions it needs.
    "DEFAULT_PERMISSION_CLASSES": ["umkm_enroll.accounts.permissions.DenyAll"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "umkm_enroll.web.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "UMKM Enroll API",
    "DESCRIPTION": "Enrolment of UMKM actors in BPJAMSOSTEK JKK and JKM.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI assets come from the installed sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OfficeKindEnum": "umkm_enroll.accounts.models.Office.Kind",
        "CooperativeKindEnum": "cooperatives.models.Cooperative.Kind",
        "ParticipantKindEnum": "members.models.ParticipantKind",
        "RejectionReasonEnum": "members.models.RejectionReasons",
        "EndReasonEnum": "members.models.EndReason",
        "PayerEnum": "members.models.Payer",
        "ImportPayerEnum": "members.api_imports.IMPORT_PAYER_CHOICES",
    },
}

# Celery: Redis broker; results that matter are written to the database by the tasks themselves.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Approved enrollments become active on their coverage start date.
    "activate-due-enrollments": {"task": "members.activate_due_enrollments", "schedule": 3600.0},
    # Jobs whose worker died (SIGKILL, a lost machine) are queued again instead of waiting for Redis'
    # visibility timeout.
    "requeue-stale-jobs": {"task": "jobs.requeue_stale", "schedule": 60.0},
    # The monthly contribution run, on the first day of the month (idempotent: safe to repeat).
    # Arrears and cover: BPU lapse after unpaid months, restoration when paid (daily).
    "cover-review": {"task": "contributions.cover_review", "schedule": crontab(minute=30, hour=1)},
    # List export files older than EXPORT_KEEP_DAYS are deleted (daily).
    "purge-exports": {
        "task": "exports.purge",
        "schedule": crontab(minute=45, hour=2),
    },
    # Unmatched and invalid payment-file lines per office, logged for follow-up (daily).
    "reconcile-payment-files": {
        "task": "contributions.reconcile_daily",
        "schedule": crontab(minute=0, hour=6),
    },
    # Card batch files past CARD_BATCH_KEEP_DAYS are deleted (daily).
    "purge-card-batches": {"task": "cards.purge_batches", "schedule": crontab(minute=50, hour=2)},
    # Uploaded people lists (encrypted), their staged rows and error reports after IMPORT_KEEP_DAYS.
    "purge-imports": {"task": "members.imports_purge", "schedule": crontab(minute=55, hour=2)},
    # The dashboard tallies' delta rows folded into one per region (keeps the dashboard's reads small).
    "compact-dashboard-tallies": {"task": "dashboards.compact", "schedule": 300.0},
    "monthly-contribution-run": {
        "task": "contributions.run_month",
        "schedule": crontab(minute=15, hour=0, day_of_month=1),
    },
    # Each office's report of the month just ended (PDF and XLSX, kept), after the contribution run.
    "monthly-reports": {
        "task": "dashboards.monthly_reports",
        "schedule": crontab(minute=30, hour=3, day_of_month=1),
    },
}
# Contributions: BPU cover lapses after this many consecutive unpaid months, and is
# restored when the arrears are paid within the grace period; PU pays a late fee per month (basis points).
BPU_LAPSE_AFTER_MONTHS = env_int("BPU_LAPSE_AFTER_MONTHS", 3)
BPU_RESTORE_GRACE_MONTHS = env_int("BPU_RESTORE_GRACE_MONTHS", 3)
PU_LATE_FEE_BASIS_POINTS = env_int("PU_LATE_FEE_BASIS_POINTS", 200)
# List exports (umkm_enroll/exports): up to EXPORT_DIRECT_LIMIT rows the file is answered at once, more are
# written by a job in chunks of EXPORT_CHUNK rows; at most EXPORT_MAX_ROWS rows; files kept EXPORT_KEEP_DAYS.
EXPORT_DIRECT_LIMIT = env_int("EXPORT_DIRECT_LIMIT", 5_000)
EXPORT_CHUNK = env_int("EXPORT_CHUNK", 5_000)
EXPORT_MAX_ROWS = env_int("EXPORT_MAX_ROWS", 1_000_000)
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7)
# A sponsor's invoice of up to INVOICE_DIRECT_LIMIT bills is answered at once (ReportLab sets about 7,000
# lines a second); a larger one is made by a job, its PDF kept as the exports are.
INVOICE_DIRECT_LIMIT = env_int("INVOICE_DIRECT_LIMIT", 5_000)
# A running job without a sign of life for this long is considered lost and queued again.
JOB_STALE_AFTER_SECONDS = env_int("JOB_STALE_AFTER_SECONDS", 120)
CELERY_BEAT_SCHEDULE_FILENAME = os.environ.get(
    "CELERY_BEAT_SCHEDULE_FILENAME", str(BASE_DIR / ".data" / "celerybeat-schedule")
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
