"""Facturier settings: read from the environment only (see README, "Configuration")."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from facturier.config import env
from facturier.private_files import private_dir, private_file

PACKAGE_DIR = Path(__file__).resolve().parent.parent

DATA_DIR = private_dir(Path(env.string("FACTURIER_DATA_DIR", "var")).resolve())  # 0700: the database, keys, mail
# The official validation rules (EN 16931, Factur-X, XRechnung, BR-FR), as the repository
# carries them: conformance/ next to src/ in the checkout the project is installed from.
CONFORMANCE_DIR = Path(
    env.string("FACTURIER_CONFORMANCE_DIR", str(PACKAGE_DIR.parent.parent / "conformance"))
).resolve()

# Saxon (the official rules) runs in a GraalVM isolate whose young generation is bounded to this many MB
# (engine.validation.saxon_isolate: 100-130 MB less per process, same CPU); 0 leaves SaxonC's own, unbounded.
FACTURIER_SAXON_YOUNG_GENERATION_MB = env.integer("FACTURIER_SAXON_YOUNG_GENERATION_MB", 64, minimum=0)

# The reform's specifications folder (AFNOR XP Z12-013 OpenAPI files, CDAR D22B XSD): not part of the
# repository (their publisher asks for them to be read in place), so the operator names it. Unset or
# without the XSD, a CDAR's XSD check reports that it could not run (facturier.engine.cdar.validate),
# never a pass; the BR-FR-CDV rules, in conformance/, always run.
_SPECS = env.string("FACTURIER_SPECS_DIR", "")
SPECS_DIR = Path(_SPECS).resolve() if _SPECS else None

DEBUG = env.boolean("FACTURIER_DEBUG", False)
SECRET_KEY = env.persistent_secret("FACTURIER_SECRET_KEY", DATA_DIR / "secret_key", nbytes=48)
FACTURIER_MASTER_KEY = env.master_key("FACTURIER_MASTER_KEY", DATA_DIR / "master.key")
ALLOWED_HOSTS = env.csv("FACTURIER_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env.csv("FACTURIER_CSRF_TRUSTED_ORIGINS", "")
FACTURIER_BASE_URL = env.string("FACTURIER_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Unset, `facturier run` derives the links' address from its --host and --port (see run.served_base_url).
FACTURIER_BASE_URL_CONFIGURED = env.raw("FACTURIER_BASE_URL") is not None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # its Swagger UI files, served by this site (the API's docs page uses no CDN)
    "facturier.config.apps.ConfigConfig",
    "facturier.accounts",
    "facturier.parties",
    "facturier.invoicing",
    "facturier.audit",
    "facturier.documents",
    "facturier.archive",
    "facturier.delivery",
    "facturier.web",
    "facturier.portal",
    "facturier.imports",
    "facturier.api",
    "facturier.billing",
    "facturier.accounting",
    "facturier.contracts",
    "facturier.platforms",
    "facturier.platforms.chorus",
    "facturier.platforms.ereporting",
]

MIDDLEWARE = [
    "facturier.api.problems.ProblemMiddleware",  # outermost: nothing under /api/ answers an HTML page
    "facturier.config.request_limits.RequestSizeLimitMiddleware",  # before anything reads a body
    "django.middleware.security.SecurityMiddleware",
    "facturier.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "facturier.web.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "facturier.web.middleware.CurrentMemberMiddleware",
]

ROOT_URLCONF = "facturier.config.urls"
WSGI_APPLICATION = "facturier.config.wsgi.application"
ASGI_APPLICATION = "facturier.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'facturier.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(env.string("DATABASE_URL", _default_db), conn_max_age=60)}
except ValueError as e:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {e}") from e
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if Path(DATABASES["default"]["NAME"] or ":memory:").parent.is_dir():
        # Created 0600 before SQLite opens it (in the 0700 data folder by default): -wal and -shm take its mode.
        private_file(Path(DATABASES["default"]["NAME"]))
    # WAL and a busy timeout let the web server and the task worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"
PASSWORD_RESET_TIMEOUT = 3 * 3600

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Unambiguous English dates on the screens ("6 Dec 2026", not the American 12/06/2026): facturier/config/formats/en.
FORMAT_MODULE_PATH = ["facturier.config.formats"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# The archive's blobs (encrypted): the data directory, or S3-compatible storage when a bucket is set.
FACTURIER_ARCHIVE_S3_BUCKET = env.string("FACTURIER_ARCHIVE_S3_BUCKET", "")
if FACTURIER_ARCHIVE_S3_BUCKET:
    STORAGES["archive"] = {"BACKEND": "facturier.archive.storage.ArchiveS3Storage", "OPTIONS": {
        "bucket_name": FACTURIER_ARCHIVE_S3_BUCKET,
        "endpoint_url": env.string("FACTURIER_ARCHIVE_S3_ENDPOINT", "") or None,
        "region_name": env.string("FACTURIER_ARCHIVE_S3_REGION", "") or None,
        "access_key": env.string("FACTURIER_ARCHIVE_S3_ACCESS_KEY_ID", "") or None,
        "secret_key": env.string("FACTURIER_ARCHIVE_S3_SECRET_ACCESS_KEY", "") or None,
        "location": env.string("FACTURIER_ARCHIVE_S3_PREFIX", ""),
        "object_lock": env.choice("FACTURIER_ARCHIVE_S3_OBJECT_LOCK", "auto", ("auto", "on", "off")),
    }}
else:
    STORAGES["archive"] = {"BACKEND": "facturier.archive.storage.ArchiveFileStorage"}
FACTURIER_ARCHIVE_RETENTION_YEARS = env.integer("FACTURIER_ARCHIVE_RETENTION_YEARS", 10, minimum=6)
# After a termination, how long the organisation stays readable (read-only) before its personal data is erased.
FACTURIER_TERMINATION_GRACE_DAYS = env.integer("FACTURIER_TERMINATION_GRACE_DAYS", 90, minimum=0)
# A transfer to accounting of more documents and payments than this runs in the worker, its progress shown.
FACTURIER_ACCOUNTING_SYNC_MAX = env.integer("FACTURIER_ACCOUNTING_SYNC_MAX", 2000, minimum=0)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = env.integer("FACTURIER_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# Every request body, files included, per route (config/request_limits.py: sign-in pages take 16 KiB).
FACTURIER_REQUEST_MAX_BYTES = env.integer("FACTURIER_REQUEST_MAX_BYTES", 2 * 1024 * 1024, minimum=64 * 1024)
# Imports of invoices made elsewhere: one file, and one upload (its own route limit; a ZIP's content too).
FACTURIER_IMPORT_MAX_FILE_BYTES = env.integer("FACTURIER_IMPORT_MAX_FILE_BYTES", 20 * 1024 * 1024, minimum=1024 * 1024)
FACTURIER_IMPORT_MAX_UPLOAD_BYTES = env.integer("FACTURIER_IMPORT_MAX_UPLOAD_BYTES", 100 * 1024 * 1024,
                                                minimum=1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = env.integer("FACTURIER_IMPORT_MAX_FILES", 500, minimum=1)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
_secure = FACTURIER_BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
if _secure:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_SSL_REDIRECT = env.boolean("FACTURIER_SSL_REDIRECT", True)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.boolean("FACTURIER_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env.boolean("FACTURIER_HSTS_PRELOAD", False)

# The shared cache: the sign-in throttle lives here, so it must be shared by every process and survive a
# restart. The database cache by default (its table is made by the migrations); Redis when configured.
FACTURIER_CACHE_URL = env.string("FACTURIER_CACHE_URL", "")
CACHES = {"default": env.cache(FACTURIER_CACHE_URL, table="facturier_cache")}
# The client's address, for the throttle and the consent evidence: REMOTE_ADDR, unless the platform sits behind
# reverse proxies that set this header (e.g. X-Forwarded-For); then the address written by the outermost of the
# FACTURIER_TRUSTED_PROXY_COUNT trusted proxies is taken, and what a client wrote in the header is ignored.
FACTURIER_TRUSTED_PROXY_HEADER = env.header_name("FACTURIER_TRUSTED_PROXY_HEADER")
FACTURIER_TRUSTED_PROXY_COUNT = env.integer("FACTURIER_TRUSTED_PROXY_COUNT", 1, minimum=1)

TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[env.choice("FACTURIER_TASKS", "database", ("database", "immediate"))],
    }
}

# A worker whose heartbeat is older than this is dead: what it claimed is recovered (config/leases.py).
# The REST API: requests per key in a fixed window (shared cache), answered 429 with Retry-After past it.
FACTURIER_API_RATE_LIMIT = env.integer("FACTURIER_API_RATE_LIMIT", 600, minimum=1)
FACTURIER_API_RATE_WINDOW = env.integer("FACTURIER_API_RATE_WINDOW", 60, minimum=1)

FACTURIER_WORKER_LEASE_SECONDS = env.integer("FACTURIER_WORKER_LEASE_SECONDS", 30, minimum=3)

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env.string("FACTURIER_EMAIL_HOST", "localhost")
# Unset under `facturier run` with the mail catcher, the platform's own mail goes to the catcher
# (facturier.delivery.platform_mail).
FACTURIER_EMAIL_HOST_CONFIGURED = env.raw("FACTURIER_EMAIL_HOST") is not None
EMAIL_TIMEOUT = env.integer("FACTURIER_EMAIL_TIMEOUT", 15, minimum=1)
EMAIL_PORT = env.integer("FACTURIER_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.string("FACTURIER_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env.string("FACTURIER_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env.boolean("FACTURIER_EMAIL_STARTTLS", False)
EMAIL_USE_SSL = env.boolean("FACTURIER_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env.string("FACTURIER_EMAIL_FROM", "Facturier <noreply@localhost>")
# Organisations' own mail servers are user input: private and loopback addresses are refused
# (SSRF) unless the operator allows them, e.g. for a mail server on the same private network.
FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS = env.boolean("FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS", False)
# A password is never sent over an unencrypted connection (security "none") unless the operator
# allows it, e.g. for a relay on the same host; the local mail catcher of `facturier run` is exempt.
FACTURIER_MAIL_ALLOW_PLAIN_AUTH = env.boolean("FACTURIER_MAIL_ALLOW_PLAIN_AUTH", False)
FACTURIER_MAIL_CA_FILE = env.string("FACTURIER_MAIL_CA_FILE", "")
# Export connectors (SFTP, HTTP) and webhook URLs are user input too: the same rule, the
# operator's own switch (a receiver on the operator's private network, the tests on loopback).
FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = env.boolean("FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS", False)
# A CA bundle trusted in addition to the system's, for HTTPS receivers signed by a private CA.
FACTURIER_OUTBOUND_CA_FILE = env.string("FACTURIER_OUTBOUND_CA_FILE", "")
# Outgoing webhooks: how long a receiver has to answer, and after how many failed attempts in a row an
# endpoint is disabled (its members see why; events wait until they enable it again).
FACTURIER_WEBHOOK_TIMEOUT_SECONDS = env.integer("FACTURIER_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
FACTURIER_WEBHOOK_DISABLE_AFTER = env.integer("FACTURIER_WEBHOOK_DISABLE_AFTER", 15, minimum=1)
# Import by e-mail (imports/mail*.py). Each organisation's address is import+<token>@DOMAIN; the
# operator routes that domain to the IMAP mailbox below and/or to the worker's SMTP listener.
FACTURIER_IMPORT_MAIL_DOMAIN = env.string("FACTURIER_IMPORT_MAIL_DOMAIN", "import.localhost").strip().lower()
FACTURIER_IMPORT_MAIL_MAX_BYTES = env.integer("FACTURIER_IMPORT_MAIL_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
FACTURIER_IMPORT_IMAP_HOST = env.string("FACTURIER_IMPORT_IMAP_HOST", "").strip()  # empty: no mailbox is read
FACTURIER_IMPORT_IMAP_PORT = env.integer("FACTURIER_IMPORT_IMAP_PORT", 993, minimum=1)
FACTURIER_IMPORT_IMAP_SECURITY = env.choice("FACTURIER_IMPORT_IMAP_SECURITY", "tls", ("tls", "starttls", "none"))
FACTURIER_IMPORT_IMAP_USER = env.string("FACTURIER_IMPORT_IMAP_USER", "")
FACTURIER_IMPORT_IMAP_PASSWORD = env.string("FACTURIER_IMPORT_IMAP_PASSWORD", "")
FACTURIER_IMPORT_IMAP_FOLDER = env.string("FACTURIER_IMPORT_IMAP_FOLDER", "INBOX")
FACTURIER_IMPORT_IMAP_DONE_FOLDER = env.string("FACTURIER_IMPORT_IMAP_DONE_FOLDER", "")  # empty: flagged seen only
# "host:port" on which `facturier worker` receives import mail by SMTP (behind the operator's MTA); empty: off.
FACTURIER_IMPORT_SMTP_LISTEN = env.string("FACTURIER_IMPORT_SMTP_LISTEN", "").strip()
# Messages from an organisation's allowed senders (no token) are imported only when the receiving mail
# server vouched for the sender: an Authentication-Results header (RFC 8601) of this authserv-id saying
# dmarc=pass (or aligned dkim/spf pass). Empty: the allowed-sender route is off, only tokens route.
FACTURIER_IMPORT_AUTHSERV_ID = env.string("FACTURIER_IMPORT_AUTHSERV_ID", "").strip().lower()
# The SMTP listener believes Authentication-Results headers only from these relays (the operator's MTA).
FACTURIER_IMPORT_SMTP_RELAYS = env.csv("FACTURIER_IMPORT_SMTP_RELAYS", "127.0.0.1,::1")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("FACTURIER_EMAIL_STARTTLS and FACTURIER_EMAIL_TLS are exclusive; set only one.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Bearer tokens in paths (consent links, password resets…) never reach a log: see config/logredact.py.
    "filters": {"redact_tokens": {"()": "facturier.config.logredact.RedactTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]}},
    "loggers": {"pikepdf": {"level": "WARNING"}, "pyhanko": {"level": "WARNING"},
                **{name: {"filters": ["redact_tokens"]} for name in
                   ("django.request", "django.server", "uvicorn.error", "uvicorn.access")}},
    "root": {"handlers": ["console"], "level": env.choice(
        "FACTURIER_LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper()},
}
