"""Django settings for Factbase.

Everything that differs between a laptop and production comes from the environment, with
defaults that make a local first run work with no setup (SQLite, DEBUG on). Production sets
DEBUG=false, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; the security settings then default
to the strict values that ``manage.py check --deploy`` expects.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

# A fixed key is fine for a local DEBUG run; anything else must bring its own.
_DEV_SECRET_KEY = "django-insecure-local-development-key-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "factbase.core",  # the provenance core (app label "factbase")
    "companies",
    "events",
    "factbase.rates",  # reference exchange rates (not records: no history, no snapshot)
    "factbase.webhooks",  # subscriptions to the change feed, their delivery log
    "factbase.snapshots",
    "factbase.demo",
    "factbase.synth",
    "factbase.mirror",  # a copy of another Factbase kept in sync (manage.py mirror)
    "factbase.imports",  # bulk imports of facts: CSV, XLSX, JSON lines (import_facts)
]

# The record a citation's quote is attributed to (Citation.attributed_to). The core names
# no domain app; the project says which model is a person, as AUTH_USER_MODEL does for users.
FACTBASE_PERSON_MODEL = "companies.Person"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "factbase.middleware.AnonymousStatementTimeout",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

# django-axes checks every password login (the admin's) before Django's own backend.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "factbase.urls"
WSGI_APPLICATION = "factbase.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "factbase" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Read replicas (docs/scaling.md): DATABASE_REPLICA_URLS, comma-separated, adds the aliases
# replica_1, replica_2, ... GET requests read from one of them, chosen per request; writes,
# reads in a transaction on the primary, the admin and commands use `default`; a client
# that wrote reads `default` for REPLICA_PIN_SECONDS. Without replicas, no router and no
# middleware: one database, as before.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS", [])
if DATABASE_REPLICA_URLS and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_REPLICA_URLS needs PostgreSQL: a replica is a streaming replica of "
        "DATABASE_URL's server (docs/scaling.md)."
    )
for _number, _url in enumerate(DATABASE_REPLICA_URLS, start=1):
    DATABASES[f"replica_{_number}"] = {
        **dj_database_url.parse(
            _url,
            conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        ),
        # Tests read the test database through the replica's alias.
        "TEST": {"MIRROR": "default"},
    }
REPLICA_PIN_SECONDS = int(os.environ.get("REPLICA_PIN_SECONDS", "5"))
# Django's PostgreSQL backend with a health check that sends no `SELECT 1` to a connection
# with nothing to read (factbase/core/postgresql/base.py).
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database["ENGINE"] = "factbase.core.postgresql"
# The read path's hand-built statements (pages, details, name lookups) are prepared on their
# connection (factbase/core/prepared.py).
# Off behind a pooler that does not carry prepared statements from one transaction to the
# next (PgBouncer in transaction mode before 1.21, or with max_prepared_statements = 0).
PREPARED_STATEMENTS = env_bool("PREPARED_STATEMENTS", True)
if DATABASE_REPLICA_URLS:
    DATABASE_ROUTERS = ["factbase.core.routing.ReplicaRouter"]
    # Before the session and the user are read: they are reads too.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "factbase.core.pinning.ReadReplicaMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
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

# Security: strict unless DEBUG. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# One cache for what every worker must share: throttle counts. Redis when REDIS_URL is
# set (production: all workers and machines count together), else each process's memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # Counts of filtered lists, now and at a past instant (factbase.api.pagination.
    # counted_once), apart from the rate limits' counts: in one process's memory, many of
    # them would push those out.
    "counts": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "counts",
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "counts",
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    ),
}

# Admin login lockout (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# username, or from one address, logins are refused for AXES_COOLOFF_HOURS.
# `manage.py axes_reset` (or axes_reset_username NAME) lifts a lockout.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(hours=float(os.environ.get("AXES_COOLOFF_HOURS", "1")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_PROXY_COUNT", "0"))

# Content-Security-Policy on every page (admin, browsable API, Swagger UI): scripts,
# fonts and images from this site only. Styles allow inline attributes, which the admin's
# and Swagger UI's markup use; they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Where the admin keeps an uploaded import file between its preview and the editor's
# confirmation (factbase.admin.imports): a server-side directory, never the session.
IMPORT_DIR = Path(os.environ.get("IMPORT_DIR", Path(tempfile.gettempdir()) / "factbase-imports"))

# Snapshots one user (not a superuser) may take per hour, from the admin or the API; 0: no limit.
SNAPSHOT_QUOTA_PER_HOUR = int(os.environ.get("SNAPSHOT_QUOTA_PER_HOUR", "4"))
# Snapshots taken in the app write usernames as user-<id> (export_snapshot --pseudonymise).
SNAPSHOT_PSEUDONYMISE = env_bool("SNAPSHOT_PSEUDONYMISE", False)

# Webhooks (factbase.webhooks): the worker's queue, on Redis through Celery; the other
# tunables are in factbase/webhooks/conf.py. The app itself never talks to the broker.
WEBHOOKS_BROKER_URL = os.environ.get("WEBHOOKS_BROKER_URL", "redis://127.0.0.1:6379/0")
WEBHOOKS_QUEUE = os.environ.get("WEBHOOKS_QUEUE", "webhooks")
# SQLite, with the worker writing beside the app: a transaction takes the write lock as it
# begins, so that another process's write waits its turn (up to the timeout) instead of
# failing with "database is locked" when a transaction that has read goes on to write.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"

# Anonymous API reads on PostgreSQL stop after this long (a 503 that says so); logged-in
# users and CSV exports (which stream for as long as they take) are not bounded by it.
ANON_STATEMENT_TIMEOUT_MS = int(os.environ.get("ANON_STATEMENT_TIMEOUT_MS", "5000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Reads are public unless API_READ_REQUIRES_LOGIN; writes need the model's permission.
API_READ_REQUIRES_LOGIN = env_bool("API_READ_REQUIRES_LOGIN", False)
# PUT, PATCH and DELETE without If-Match are refused (428) rather than written over the
# latest version. Off by default: a PATCH writes only the fields it sends either way.
API_REQUIRE_IF_MATCH = env_bool("API_REQUIRE_IF_MATCH", False)


def throttle_rate(name: str, default: str) -> str | None:
    """A DRF rate ("60/min"); "off" lifts the limit (benchmarks, the fuzzing run)."""
    value = os.environ.get(name, default)
    return None if value.lower() in {"off", "none", ""} else value


REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "factbase.api.schema.FactbaseAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "factbase.api.permissions.ModelPermissions"
        if API_READ_REQUIRES_LOGIN
        else "factbase.api.permissions.ModelPermissionsOrAnonReadOnly"
    ],
    # One request body shape: JSON.
    "DEFAULT_PARSER_CLASSES": ["factbase.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "factbase.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "factbase.api.renderers.CSVRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "factbase.api.renderers.StrictFormatNegotiation",
    "EXCEPTION_HANDLER": "factbase.api.exceptions.exception_handler",
    # Counted in CACHES["default"]: per address for anonymous clients, per user otherwise.
    # CSV exports and snapshot POSTs also count against the stricter `export` scope.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "factbase.api.throttling.ExportRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": throttle_rate("THROTTLE_ANON", "300/min"),
        "user": throttle_rate("THROTTLE_USER", "1200/min"),
        "export": throttle_rate("THROTTLE_EXPORT", "30/hour"),
    },
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0")) or None,
    "DEFAULT_PAGINATION_CLASS": "factbase.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "ORDERING_PARAM": "ordering",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Request bodies are bounded (a fact with its citations is a few kilobytes).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024))

SPECTACULAR_SETTINGS = {
    "TITLE": "Factbase API",
    "DESCRIPTION": (
        "Typed facts about the technology industry (companies, products, people, "
        "partnerships, funding, metrics, events), each with the sources that support it."
    ),
    "VERSION": "1.0.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "GET_LIB_DOC_EXCLUDES": "factbase.api.schema.lib_doc_excludes",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "factbase.api.schema.closed_request_bodies",
        "factbase.api.schema.overlapping_choices_as_any_of",
    ],
    "ENUM_NAME_OVERRIDES": {
        "DatePrecisionEnum": "factbase.core.choices.DatePrecision",
        "UnitKindEnum": "events.models.UnitKind",
        "QualifierEnum": "factbase.core.choices.Qualifier",
        "CountryEnum": "factbase.core.codes.COUNTRY_CHOICES",
        "CurrencyEnum": "factbase.core.codes.CURRENCY_CHOICES",
    },
}
