"""Django settings for the working-group forum.

Every deployment choice comes from an environment variable with an embedded
default, so that `make run` works on a bare machine (SQLite, in-memory channel
layer, console email) and production switches to PostgreSQL, Redis and SMTP
without code changes.
"""

import os
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from forum import config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = config.env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off: export SECRET_KEY=<a long random string>"
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = config.env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = config.env_list("CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto
# are believed; from anyone else those headers are dropped (forum.proxies).
TRUSTED_PROXIES = config.trusted_proxies()

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_countries",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks_db",
    "accounts",
    "forum",
    "countries",
    "search",
    "api",
    "ninja",  # the API docs page's Swagger UI from our static files
    "webhooks",
    "conversations",
    "attachments",
    "projects",
]

MIDDLEWARE = [
    "forum.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.MemberPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "forum.urls"
ASGI_APPLICATION = "forum.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "forum.context_processors.navigation",
                "forum.context_processors.inbox",
            ],
        },
    },
]

# PostgreSQL through psycopg's pool, or PgBouncer (DB_PGBOUNCER=1); see forum.config.
DATABASES = {"default": config.database(os.environ.get("DATABASE_URL"), BASE_DIR)}
if DATABASES["default"]["ENGINE"] == config.SQLITE_ENGINE:
    # The embedded default lives in var/, which a fresh clone does not have yet.
    (BASE_DIR / "var").mkdir(exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.Member"

REDIS_URL = os.environ.get("REDIS_URL") or None
CHANNEL_LAYERS = config.channel_layers(REDIS_URL)
# Daphne processes `manage.py serve` runs on one address; 0: one per CPU core.
SERVE_PROCESSES = int(os.environ.get("SERVE_PROCESSES", "0"))

# Background work (notifications derived from committed posts) runs through Django's
# Tasks framework: queued in the database, run by `manage.py db_worker`.
# TASKS_BACKEND=immediate runs each task in the request once its write has committed.
TASKS = config.tasks(os.environ.get("TASKS_BACKEND", "database"))
CACHES = config.caches(REDIS_URL)

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- allauth -----------------------------------------------------------------
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.InvitedSignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Forum] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# allauth's defaults, with a stricter failed-login limit.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "10/m/ip",
    "reset_password": "10/m/ip,3/m/key",
}
# forum.proxies has already put the client's address in REMOTE_ADDR (from a trusted
# proxy only): allauth must not walk X-Forwarded-For again, with a rule of its own.
ALLAUTH_TRUSTED_PROXY_COUNT = 0
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = None
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Working-group forum"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# Events older than this are pruned (`manage.py prune_events`); older clients resync.
EVENT_RETENTION_DAYS = int(os.environ.get("EVENT_RETENTION_DAYS", "30"))
FORUM_POSTS_PER_MINUTE = int(os.environ.get("FORUM_POSTS_PER_MINUTE", "6"))
# Open WebSockets per member in each server process (group, meeting and inbox sockets
# together); one more is closed with 4429. A member's tabs each hold one or two.
FORUM_SOCKETS_PER_MEMBER = int(os.environ.get("FORUM_SOCKETS_PER_MEMBER", "20"))

INVITATION_MAX_AGE = timedelta(days=int(os.environ.get("INVITATION_MAX_AGE_DAYS", "7")))

# --- email -------------------------------------------------------------------
MAILERS = config.mailers(os.environ.get("EMAIL_URL", "console:"), BASE_DIR)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Working-group forum <forum@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in emails (digests, notifications) start with this.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The mailto: half of List-Unsubscribe; the https link is the one that acts at once.
UNSUBSCRIBE_EMAIL = os.environ.get(
    "UNSUBSCRIBE_EMAIL", parseaddr(DEFAULT_FROM_EMAIL)[1] or "forum@localhost"
)
# Digests are built and sent this many members at a time.
DIGEST_BATCH_SIZE = int(os.environ.get("DIGEST_BATCH_SIZE", "500"))
# Processes send_digests sends with (one shard each); 0: one per CPU core, at most 4.
DIGEST_PROCESSES = int(os.environ.get("DIGEST_PROCESSES", "0"))

# --- internationalization ----------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("fr", _("French")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- static files ------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- security ------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = config.env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = config.env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Preloading is hard to undo (browsers ship the list): only on request.
    SECURE_HSTS_PRELOAD = config.env_bool("SECURE_HSTS_PRELOAD", False)
if TRUSTED_PROXIES:
    # Only a trusted proxy's header survives forum.proxies.TrustedProxyMiddleware.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Inline script is forbidden everywhere; pages load only this site's own files.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- conversations (direct messages) -------------------------------------------------
# Who may write to whom: "shared group", "same group only", "same country only" or "off".
DM_POLICY = os.environ.get("DM_POLICY", "shared group")
# Days a direct message is kept (unset: forever); `manage.py apply_message_retention`.
DM_RETENTION_DAYS = (
    int(os.environ["DM_RETENTION_DAYS"]) if os.environ.get("DM_RETENTION_DAYS") else None
)
DM_CONVERSATIONS_PER_HOUR = int(os.environ.get("DM_CONVERSATIONS_PER_HOUR", "20"))
DM_MESSAGES_PER_MINUTE = int(os.environ.get("DM_MESSAGES_PER_MINUTE", "30"))

# --- attachments ---------------------------------------------------------------------
from attachments.config import storage as _attachments_storage  # noqa: E402

# Uploaded files: the local file system (var/attachments) unless STORAGE_URL names an
# S3-compatible store (s3://key:secret@host:port/bucket?region=...); see docs/attachments.md.
STORAGES["attachments"] = _attachments_storage(os.environ.get("STORAGE_URL"), BASE_DIR)
# Every upload streams to a temporary file, hashed as it arrives; none is held in memory.
FILE_UPLOAD_HANDLERS = ["attachments.uploads.HashingUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024  # also where ASGI spools request bodies to disk
DATA_UPLOAD_MAX_NUMBER_FILES = 20
ATTACHMENT_MAX_BYTES = config.env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
ATTACHMENT_MAX_PER_POST = config.env_int("ATTACHMENT_MAX_PER_POST", 10, minimum=1)
ATTACHMENT_DAILY_QUOTA_BYTES = config.env_int(
    "ATTACHMENT_DAILY_QUOTA_BYTES", 200 * 1024 * 1024, minimum=0
)
ATTACHMENT_ORPHAN_HOURS = config.env_int("ATTACHMENT_ORPHAN_HOURS", 24, minimum=1)
# Removed posts keep their files for the audit trail; a number of days ends that.
ATTACHMENT_REMOVED_RETENTION_DAYS = (
    config.env_int("ATTACHMENT_REMOVED_RETENTION_DAYS", 0, minimum=1)
    if os.environ.get("ATTACHMENT_REMOVED_RETENTION_DAYS")
    else None
)
# Behind nginx: "x-accel-redirect" (internal location ATTACHMENT_SENDFILE_PREFIX);
# Apache/lighttpd: "x-sendfile". Empty: Django streams the file itself.
ATTACHMENT_SENDFILE = os.environ.get("ATTACHMENT_SENDFILE", "")
ATTACHMENT_SENDFILE_PREFIX = os.environ.get("ATTACHMENT_SENDFILE_PREFIX", "/protected-files/")

# --- projects (the docking platform) ---
PROJECTS_GROUP_SLUG = os.environ.get("PROJECTS_GROUP_SLUG", "project-promotion")
PROJECTS_LISTING_DAYS = 365  # a listing expires after this, unless renewed
PROJECTS_EXPIRY_REMINDER_DAYS = 30  # its author is reminded this long before
PROJECTS_REMIND_AFTER_DAYS = 7  # unanswered interest: a reminder to both sides
PROJECTS_NO_RESPONSE_DAYS = 21  # ... and closed as "no response"
PROJECTS_NO_INTEREST_DAYS = 30  # facilitators see listings nobody showed interest in

# --- webhooks ------------------------------------------------------------------------
# The key that encrypts endpoint URLs and secrets (default: derived from SECRET_KEY).
WEBHOOKS_KEY = os.environ.get("WEBHOOKS_KEY", "")
# Tests and benchmarks send to receivers on 127.0.0.1; never set it in production.
WEBHOOKS_ALLOW_LOOPBACK = config.env_bool("WEBHOOKS_ALLOW_LOOPBACK", False)
# Multiplies the retry schedule (the benchmark shortens it); 1 in production.
WEBHOOKS_RETRY_SCALE = float(os.environ.get("WEBHOOKS_RETRY_SCALE", "1"))

# --- reading (issue 21) ------------------------------------------------------------
# One date-and-time style per language (forum/formats/): never the American m/d/Y.
FORMAT_MODULE_PATH = ["forum.formats"]
# Hashed, compressed static files with far-future caching (WhiteNoise) also under
# `make run` (DEBUG on), which collects them first; the test suite keeps plain files.
if config.env_bool("STATIC_MANIFEST", False):
    STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"
    WHITENOISE_USE_FINDERS = False

# --- api ---------------------------------------------------------------------------
# Personal access tokens: default and longest lifetime; per-token requests a minute.
API_TOKEN_DEFAULT_DAYS = 90
API_TOKEN_MAX_DAYS = 365
API_READS_PER_MINUTE = int(os.environ.get("API_READS_PER_MINUTE", "300"))
API_WRITES_PER_MINUTE = int(os.environ.get("API_WRITES_PER_MINUTE", "30"))
