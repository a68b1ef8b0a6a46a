"""One settings module, driven by the environment.

DEBUG is off unless set; SECRET_KEY is required unless DEBUG. DATABASE_URL, REDIS_URL and
BASE_DOMAIN say where things are. Nothing here has a production secret baked in.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from finops.queues import Queue
from finops.secrets import env_or_secret

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
TESTING = env_bool("FINOPS_TESTING")

SECRET_KEY = env_or_secret("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # Development only: a key that is obviously not a production one.
    SECRET_KEY = "dev-insecure-" + "x" * 50

BASE_DOMAIN = os.environ.get("BASE_DOMAIN", "localhost")
# Port shown in links we build (sign-up redirect, invitation emails); empty in production.
PUBLIC_PORT = os.environ.get("PUBLIC_PORT", "8000" if BASE_DOMAIN == "localhost" else "")
SITE_SCHEME = os.environ.get("SITE_SCHEME", "http" if BASE_DOMAIN == "localhost" else "https")

ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", *env_list("EXTRA_ALLOWED_HOSTS")]
if TESTING:
    ALLOWED_HOSTS.append("testserver")
CSRF_TRUSTED_ORIGINS = [
    f"{SITE_SCHEME}://{BASE_DOMAIN}" + (f":{PUBLIC_PORT}" if PUBLIC_PORT else ""),
    f"{SITE_SCHEME}://*.{BASE_DOMAIN}" + (f":{PUBLIC_PORT}" if PUBLIC_PORT else ""),
]

# ---------------------------------------------------------------------------
# Applications: shared (public schema) vs tenant (one schema per organization)
# ---------------------------------------------------------------------------
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
]
# Swagger UI served from our static files (no CDN); pinned in requirements.txt. Guarded
# only so a shared development virtualenv that predates the pin still starts; the API docs test
# fails there (it looks the assets up), so a real install without it cannot pass.
if importlib.util.find_spec("drf_spectacular_sidecar") is not None:
    SHARED_APPS.append("drf_spectacular_sidecar")
TENANT_APPS = [
    # contenttypes is listed in both so tenant-schema models get their content types.
    "django.contrib.contenttypes",
    "costs",
    "costs.explorer",
    "costs.monitoring",
    "recommendations",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Organization"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "finops.urls_public"
ROOT_URLCONF = "finops.urls_tenants"
# New organizations are cloned from this migrated template schema (see tenants/services/provisioning.py).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Seconds a process keeps a host's organization (finops.middleware.TenantHostMiddleware): no
# database round trip per request to find the tenant. Off in tests (flushes bypass invalidation).
TENANT_CACHE_SECONDS = int(os.environ.get("TENANT_CACHE_SECONDS") or (0 if TESTING else 60))

MIDDLEWARE = [
    # Headers only, no database: outermost so probes and host errors carry them too.
    "finops.middleware.SecurityHeadersMiddleware",
    "finops.middleware.TenantHostMiddleware",  # django-tenants' TenantMainMiddleware, first to touch the database
    "finops.middleware.RequestContextMiddleware",
    # Before anything reads a request body (CSRF parses POSTs): refuses oversized bodies.
    "finops.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "tenants.middleware.MembershipRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
                "tenants.context_processors.organization",
            ],
        },
    },
]

WSGI_APPLICATION = "finops.wsgi.application"

# ---------------------------------------------------------------------------
# Database and cache
# ---------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/finops")
if os.environ.get("DATABASE_HOST"):
    # In ECS the parts arrive separately: host/port/name as plain values, user and
    # password injected from Secrets Manager (or read through their *_SECRET_ARN).
    DATABASES: dict[str, dict[str, Any]] = {
        "default": {
            "HOST": os.environ["DATABASE_HOST"],
            "PORT": os.environ.get("DATABASE_PORT", "5432"),
            "NAME": os.environ.get("DATABASE_NAME", "finops"),
            "USER": env_or_secret("DATABASE_USER", key="username"),
            "PASSWORD": env_or_secret("DATABASE_PASSWORD", key="password"),
            "CONN_MAX_AGE": 60,
            "OPTIONS": {"sslmode": os.environ.get("DATABASE_SSLMODE", "require")},
        }
    }
else:
    DATABASES = {"default": dict(dj_database_url.parse(DATABASE_URL, conn_max_age=60))}
DATABASES["default"]["ENGINE"] = os.environ.get("DATABASE_ENGINE", "finops.db_backend")
# Behind a transaction pooler (RDS Proxy, which DATABASE_HOST names in ECS) consecutive transactions
# may run on different server connections: nothing may live on one (see finops/db_backend).
if env_bool("DATABASE_POOLED", default=bool(os.environ.get("DATABASE_HOST"))):
    DATABASES["default"]["TRANSACTION_POOLED"] = True
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Tests use `test_<name>` (pytest-xdist adds `_gw<n>`), so a suite run against its own
# DATABASE_URL never shares a test database with another.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_REDIS_PASSWORD = env_or_secret("REDIS_PASSWORD")
if _REDIS_PASSWORD and "@" not in REDIS_URL:
    # ElastiCache's AUTH token is injected on its own; it is alphanumeric, so no escaping.
    _scheme, _rest = REDIS_URL.split("://", 1)
    REDIS_URL = f"{_scheme}://:{_REDIS_PASSWORD}@{_rest}"
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "finops")
CACHES = {
    "default": {
        "BACKEND": "finops.cache_backend.RedisCache",
        "LOCATION": REDIS_URL,
        # Cache keys carry the schema name so one organization never reads another's entries.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": CACHE_KEY_PREFIX,
    },
    # Deliberately NOT per organization (Django's default key function, no schema in the key):
    # counters that guard accounts (login failures, resets, confirmations, TOTP, invitation
    # tokens, sign-ups) must hold on every host. Only finops/account_guards.py uses it.
    "account_guards_global": {
        "BACKEND": "finops.cache_backend.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{CACHE_KEY_PREFIX}:account-guards",
    },
    # Also not per organization: entries that are global by nature (resolved API keys, by prefix)
    # or that name their organization's schema in the key themselves (costs.answers).
    "global": {
        "BACKEND": "finops.cache_backend.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{CACHE_KEY_PREFIX}:global",
    },
}

# ---------------------------------------------------------------------------
# Auth (django-allauth: login, sign-out, password reset, email verification, TOTP)
# ---------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[FinOps] "
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "tenants.auth_adapter.AccountAdapter"
# Counted in the global "account_guards_global" cache (finops/account_guards.py), never per host.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "login": "30/m/ip",
    "reset_password": "5/m/ip,5/m/key",
    "confirm_email": "3/m/key",
}
# Behind the ALB the client is the last X-Forwarded-For entry (the ALB appends it); REMOTE_ADDR
# is the ALB itself, so without this every per-address limit would be one limit for everyone.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Sign-up (tenants/services/signup.py): per client address and for everyone together.
SIGNUP_RATE_PER_ADDRESS = os.environ.get("SIGNUP_RATE_PER_ADDRESS", "10/3600")
SIGNUP_RATE_GLOBAL = os.environ.get("SIGNUP_RATE_GLOBAL", "300/3600")
SIGNUP_LINK_MAX_AGE_SECONDS = 24 * 3600
# Failed invitation links per client address before the invitation pages answer 429.
INVITATION_TOKEN_FAILURES_PER_ADDRESS = "20/600"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "FinOps"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# ---------------------------------------------------------------------------
# Email: console in development, SMTP (or SES's SMTP endpoint) in production.
# ---------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"FinOps <no-reply@{BASE_DOMAIN}>")

INVITATION_MAX_AGE_SECONDS = 7 * 24 * 3600
HANDOFF_MAX_AGE_SECONDS = 60

# ---------------------------------------------------------------------------
# Internationalisation, static and uploaded files
# ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".var" / "media"))
MEDIA_URL = "/media/"

AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
STORAGES = {
    "default": {
        "BACKEND": "finops.storage.TenantS3Storage"
        if AWS_STORAGE_BUCKET_NAME
        else "finops.storage.TenantFileSystemStorage",
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# ---------------------------------------------------------------------------
# Celery: one app, three queues; acks late so a killed worker's task is redelivered.
# ---------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = Queue.DEFAULT.value
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "3600"))
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "3300"))
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers unacked tasks after this many seconds; it must exceed the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
CELERY_TASK_ALWAYS_EAGER = False
# A worker child that has grown past this after a task is replaced before it takes the next
# one (KiB for Celery; set in MiB). Ingest memory is bounded per file (issue 16), so growth is
# a leak or fragmentation; the task definition's memory is the hard ceiling (README, Operations).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = int(os.environ.get("CELERY_WORKER_MAX_MEMORY_PER_CHILD_MB", "1024")) * 1024

# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "finops.api.api_exception_handler",
}
# Requests per API key and per signed-in user (finops.api throttles), e.g. "600/min".
API_THROTTLE_RATES = {
    "api_key": os.environ.get("API_THROTTLE_KEY_RATE", "600/min"),
    "api_user": os.environ.get("API_THROTTLE_USER_RATE", "300/min"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FinOps API",
    "DESCRIPTION": (
        "Per-organization cost, anomaly and recommendation data, on the organization's own host "
        "(https://<organization>.<base domain>/api/v1/). Authenticate with an API key from the API keys "
        "page (`Authorization: Bearer fo_…`) or a browser session. Money is a decimal string; a cost basis "
        'the export does not carry is null. Errors share one body: {"error": {"code", "message", "fields"}}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One name per choice set that several fields share (costs, monitoring and recommendations).
    "ENUM_NAME_OVERRIDES": {
        "SourceKindEnum": "costs.models.SourceKind",
        "JobStatusEnum": "costs.models.JobStatus",
        "AnomalyKindEnum": "costs.monitoring.models.AnomalyKind",
        "AnomalyStatusEnum": "costs.monitoring.models.AnomalyStatus",
        "SeverityEnum": "costs.monitoring.models.Severity",
        "RecommendationStatusEnum": "recommendations.models.Status",
        "LevelEnum": "recommendations.models.Level",
        "ExportFormatEnum": "costs.explorer.models.ExportFormat",
        "ExportStatusEnum": "costs.explorer.models.ExportStatus",
        "ReportFormatEnum": "costs.models.ReportFormat",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "finops.api_schema.error_responses",
    ],
}

# ---------------------------------------------------------------------------
# Security: strict by default outside DEBUG; the ALB terminates TLS and says so in
# X-Forwarded-Proto.
# ---------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # /healthz and /readyz are probed over plain HTTP inside the VPC.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Set on every response by finops.middleware.SecurityHeadersMiddleware, with the
# Content-Security-Policy (finops/content_security.py) and a Permissions-Policy.
# same-origin: a link out (AWS console, docs) does not learn the organization's host name.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {"request_context": {"()": "finops.logging.RequestContextFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json"),
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# ---------------------------------------------------------------------------
# Cost sources (costs app): cross-account roles, Cost Explorer request quota, schedule
# ---------------------------------------------------------------------------
# Our AWS account, which customers' read-only roles trust (with the organization's ExternalId).
FINOPS_AWS_ACCOUNT_ID = os.environ.get("FINOPS_AWS_ACCOUNT_ID", "111111111111")
# Customer roles live under this IAM path; our task role may assume only roles under it.
CUSTOMER_ROLE_PATH = "/finops-readonly/"
AWS_REGION = os.environ.get("AWS_REGION", "us-east-1")
# Only set for local AWS emulators (moto in tests); production talks to AWS itself.
AWS_ENDPOINT_URL = os.environ.get("AWS_ENDPOINT_URL") or None
# Each GetCostAndUsage page costs the customer $0.01; this caps it per organization and month.
# (COST_EXPLORER_MONTHLY_REQUEST_BUDGET is its former name, still read when the new one is unset.)
COST_EXPLORER_MONTHLY_REQUEST_QUOTA = int(
    os.environ.get("COST_EXPLORER_MONTHLY_REQUEST_QUOTA")
    or os.environ.get("COST_EXPLORER_MONTHLY_REQUEST_BUDGET")
    or "200"
)
# Largest cost report accepted through the browser upload.
COST_UPLOAD_MAX_BYTES = int(os.environ.get("COST_UPLOAD_MAX_BYTES", str(512 * 1024 * 1024)))
# Uploads stop at that limit, and go to unnamed temporary files, which a killed worker
# cannot leave behind (finops/upload_handlers.py); request bodies over it are refused
# from their Content-Length (finops.middleware.RequestBodyLimitMiddleware).
FILE_UPLOAD_HANDLERS = [
    "finops.upload_handlers.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "finops.upload_handlers.UnnamedTemporaryFileUploadHandler",
]
FILE_UPLOAD_TEMP_DIR = os.environ.get("FILE_UPLOAD_TEMP_DIR") or None
# A public (e.g. S3) copy of the read-only role template for the console's quick-create link;
# by default the public site serves it.
CLOUDFORMATION_TEMPLATE_URL = os.environ.get("CLOUDFORMATION_TEMPLATE_URL", "")
SOURCE_CHECK_INTERVAL_SECONDS = 6 * 3600
# A delivery whose manifest lists files that are still missing this long after the manifest
# was written is reported as a problem (the source turns red, the missing keys are named);
# before that it is a delivery still being written.
DELIVERY_FILES_OVERDUE_HOURS = int(os.environ.get("DELIVERY_FILES_OVERDUE_HOURS", "24"))
SOURCE_CHECK_JITTER_SECONDS = int(os.environ.get("SOURCE_CHECK_JITTER_SECONDS", "900"))
# A running ingestion job stamps a heartbeat every few seconds; one silent this long belongs to
# a dead worker and is failed (with the reason on its page) by the beat task below.
INGEST_HEARTBEAT_STALE_SECONDS = int(os.environ.get("INGEST_HEARTBEAT_STALE_SECONDS", "300"))
# PostgreSQL work_mem for the end of an ingestion (rollups and summaries of the replaced periods),
# set for that transaction only (costs.ingest.delivery). Per sort or hash step of one backend.
INGEST_WORK_MEM = os.environ.get("INGEST_WORK_MEM", "128MB")
CELERY_BEAT_SCHEDULE = {
    "costs-check-all-sources": {
        "task": "costs.tasks.sources_check_all_organizations",
        "schedule": SOURCE_CHECK_INTERVAL_SECONDS,
    },
    # Worker autoscaling reads it (finops/metrics.py). A run older than its period is worthless.
    "publish-queue-depth": {
        "task": "finops.metrics.publish_queue_depth",
        "schedule": 60,
        "options": {"queue": Queue.DEFAULT.value, "expires": 50},
    },
    # On "default": the ingest queue may be busy with the very jobs it judges.
    "costs-fail-dead-jobs": {
        "task": "costs.tasks.jobs_dead_fail_all_organizations",
        "schedule": 60,
        "options": {"queue": Queue.DEFAULT.value, "expires": 50},
    },
    # Alert deliveries that failed are retried with back-off; the digest goes out once a day.
    "monitoring-retry-deliveries": {"task": "costs.monitoring.tasks.alerts_all_organizations", "schedule": 300},
    "monitoring-daily-digest": {
        "task": "costs.monitoring.tasks.alerts_all_organizations",
        "schedule": crontab(hour=7, minute=0),
        "kwargs": {"digest": True},
    },
}
# ---------------------------------------------------------------------------
# Recommendations: detectors run nightly and after each ingestion; the rationale comes from
# Amazon Bedrock (Claude) when configured, else from templates labelled "not AI".
# ---------------------------------------------------------------------------
BEDROCK_MODEL_ID = os.environ.get("BEDROCK_MODEL_ID", "us.anthropic.claude-sonnet-4-6")
BEDROCK_REGION = os.environ.get("BEDROCK_REGION", "us-east-1")
# Only for a local Bedrock stand-in (tests, `make bench`); production talks to Bedrock itself.
BEDROCK_ENDPOINT_URL = os.environ.get("BEDROCK_ENDPOINT_URL") or None
RECOMMENDATIONS_PROVIDER = os.environ.get(
    "RECOMMENDATIONS_PROVIDER", "bedrock" if os.environ.get("BEDROCK_MODEL_ID") else "offline"
)
BEDROCK_BATCH_SIZE = int(os.environ.get("BEDROCK_BATCH_SIZE", "20"))
BEDROCK_MAX_OUTPUT_TOKENS = int(os.environ.get("BEDROCK_MAX_OUTPUT_TOKENS", "8000"))
# At or above this many candidates, a run goes to a batch inference job (half price, asynchronous)
# when a bucket and a service role for it are configured; Bedrock wants at least 100 records a job.
BEDROCK_BATCH_INFERENCE_THRESHOLD = int(os.environ.get("BEDROCK_BATCH_INFERENCE_THRESHOLD", "2000"))
BEDROCK_BATCH_BUCKET = os.environ.get("BEDROCK_BATCH_BUCKET", "")
BEDROCK_BATCH_ROLE_ARN = os.environ.get("BEDROCK_BATCH_ROLE_ARN", "")
# Input + output tokens one organization may spend per calendar month.
BEDROCK_MONTHLY_TOKEN_BUDGET = int(os.environ.get("BEDROCK_MONTHLY_TOKEN_BUDGET", "2000000"))
# Model calls one organization may have in flight at once (across all workers).
BEDROCK_ORGANIZATION_CONCURRENCY = int(os.environ.get("BEDROCK_ORGANIZATION_CONCURRENCY", "2"))
# Nightly runs ask for the cheaper, slower flex tier where the model offers it.
BEDROCK_FLEX_FOR_NIGHTLY = env_bool("BEDROCK_FLEX_FOR_NIGHTLY", True)
# Our own retries after botocore's (which already retry throttling and 5xx with jitter).
BEDROCK_RETRY_ATTEMPTS = int(os.environ.get("BEDROCK_RETRY_ATTEMPTS", "3"))
BEDROCK_RETRY_BASE_SECONDS = float(os.environ.get("BEDROCK_RETRY_BASE_SECONDS", "2"))
BEDROCK_READ_TIMEOUT_SECONDS = int(os.environ.get("BEDROCK_READ_TIMEOUT_SECONDS", "120"))
# USD per million tokens, for the estimated cost in the AI logs (Claude Sonnet list prices).
BEDROCK_PRICE_INPUT_PER_MTOK = os.environ.get("BEDROCK_PRICE_INPUT_PER_MTOK", "3")
BEDROCK_PRICE_OUTPUT_PER_MTOK = os.environ.get("BEDROCK_PRICE_OUTPUT_PER_MTOK", "15")
BEDROCK_PRICE_CACHE_READ_PER_MTOK = os.environ.get("BEDROCK_PRICE_CACHE_READ_PER_MTOK", "0.30")
BEDROCK_PRICE_CACHE_WRITE_PER_MTOK = os.environ.get("BEDROCK_PRICE_CACHE_WRITE_PER_MTOK", "3.75")
# Share of the on-demand price the flex tier and batch inference charge.
BEDROCK_FLEX_PRICE_FACTOR = os.environ.get("BEDROCK_FLEX_PRICE_FACTOR", "0.5")
BEDROCK_BATCH_PRICE_FACTOR = os.environ.get("BEDROCK_BATCH_PRICE_FACTOR", "0.5")
# Several ingestions in a row (one per billing period) ask for one run, this many seconds later.
RECOMMENDATIONS_DEBOUNCE_SECONDS = int(os.environ.get("RECOMMENDATIONS_DEBOUNCE_SECONDS", "30"))
CELERY_BEAT_SCHEDULE["recommendations-nightly"] = {
    "task": "recommendations.tasks.recommendations_run_all_organizations",
    "schedule": crontab(hour=int(os.environ.get("RECOMMENDATIONS_NIGHTLY_HOUR", "3")), minute=0),
}

# finops is not an installed app, so autodiscovery would not register its tasks in the workers.
CELERY_IMPORTS = ["finops.metrics"]
CELERY_TASK_ROUTES = {
    "costs.tasks.*": {"queue": Queue.INGEST.value},
    # FOCUS exports read a whole billing period: the bill's heavy work, beside ingestion.
    "costs.explorer.tasks.*": {"queue": Queue.INGEST.value},
    "recommendations.tasks.*": {"queue": Queue.AI.value},
    "costs.monitoring.tasks.*": {"queue": Queue.DEFAULT.value},
}
