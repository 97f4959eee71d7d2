"""Settings for the METU Strategy KPI tracker.

Everything that differs between a laptop and the production server comes from the
environment, so the same file serves `make run`, the tests and production.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and env("DJANGO_REQUIRE_SECRET_KEY"):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in production (see README, Deploying); "
            "the server refuses to run on the development key."
        )
    # Only for development and tests; production sets SECRET_KEY (see README, "Deploying").
    SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105

ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "modeltranslation",  # before the admin, which it extends
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "axes",
    "import_export",
    "simple_history",
    "directions",
    "kpis",
    "reports",
    "notices",
]

MIDDLEWARE = [
    "metu_strategy.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "metu_strategy.middleware.RefuseNulMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "metu_strategy.locale.KazakhFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "metu_strategy.middleware.SignInAgainMiddleware",
    "notices.middleware.UnreadNoticesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "metu_strategy.urls"
WSGI_APPLICATION = "metu_strategy.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kpis.context_processors.user_role",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        # A connection the database dropped (a restart, a failover) is replaced before
        # the request uses it, instead of failing the request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite waits for a writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Kazakh first, then Russian; English for international partners.
LANGUAGE_CODE = "kk"
LANGUAGES = [
    ("kk", _("Kazakh")),
    ("ru", _("Russian")),
    ("en", _("English")),
]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # remember the choice for a year
# Our own catalogs, then our Kazakh completions of Django's (Django's kk lacks a third)
# and of the admin libraries' (django-import-export ships "kz", simple-history none).
LOCALE_PATHS = [
    BASE_DIR / "locale",
    BASE_DIR / "locale_django_kk",
    BASE_DIR / "locale_libraries_kk",
]
MODELTRANSLATION_DEFAULT_LANGUAGE = "kk"
MODELTRANSLATION_LANGUAGES = ("kk", "ru", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("kk",)
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: evidence goes through a permission-checked view

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("STATIC_MANIFEST", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# E-mail (notifications, `manage.py send_notifications`; see README, "Deadlines,
# reminders and notifications"). Without EMAIL_BACKEND, e-mails are printed (make run).
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "strategy@metu.edu.kz")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # TLS from the start, usually port 465
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "20"))
# The address the links in e-mails start with.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
# A failed e-mail is tried again after 5 minutes, then 10, 20, 40…, at most this often.
NOTICE_MAX_ATTEMPTS = int(env("NOTICE_MAX_ATTEMPTS", "8"))
NOTICE_RETRY_SECONDS = int(env("NOTICE_RETRY_SECONDS", "300"))
# The daily digest (and Monday's weekly summary) is written from this hour, Almaty time.
NOTICE_DIGEST_HOUR = int(env("NOTICE_DIGEST_HOUR", "7"))

# Rendered dashboards are cached this many seconds (0: off); any change of the data
# they show invalidates them at once (reports/cache.py).
DASHBOARD_CACHE_SECONDS = int(env("DASHBOARD_CACHE_SECONDS", "600"))


def cache_from_url(url: str) -> dict:
    """The cache named by CACHE_URL: `redis://host:6379/0` (shared by every worker and
    server), `db://table` (Django's database cache) or, when unset, this process's
    memory. Nothing correct depends on the cache: what it holds is keyed by the data
    version kept in the database, so a per-process cache is only slower, never wrong."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if url.startswith("db://"):
        table = url.removeprefix("db://") or "metu_cache"
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": table}
    if url and not url.startswith("locmem://"):
        raise ImproperlyConfigured(f"CACHE_URL must be redis://, db:// or locmem://, not {url!r}")
    return {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "metu",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    }


CACHES = {"default": cache_from_url(env("CACHE_URL"))}
# Sessions live in the database only, so signing out ends a session on every worker and
# every server at once, whatever cache each of them has (a cache in front of them goes
# stale as soon as one server writes without it). One primary-key read per request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# A KPI within this share of its target (but not on it) is "close"; below it, "behind".
KPI_CLOSE_THRESHOLD = int(env("KPI_CLOSE_THRESHOLD", "90"))
# A unit's contribution that differs from its approved figure of the year before by
# more than this many per cent is flagged for the reviewer (a warning, not a refusal).
CONTRIBUTION_CHANGE_WARNING = int(env("CONTRIBUTION_CHANGE_WARNING", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "metu.security": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}

FORMAT_MODULE_PATH = ["metu_strategy.formats"]

# --- Security -------------------------------------------------------------------------

# Login throttling: lock a username from one address after repeated failures, for a
# while. Locking by IP alone would lock a whole campus behind one NAT address.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False

# Behind a reverse proxy (nginx) that terminates HTTPS and sets X-Forwarded-* headers.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
# Login throttling counts failures per client address (django-ipware reads it). Behind
# the proxy every request comes from the proxy's own address; the client's is the last
# entry of X-Forwarded-For, the one the proxy appended. Entries before it are whatever
# the client sent, so a forged header can neither hide an attacker nor lock out others.
AXES_IPWARE_PROXY_ORDER = "left-most"
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    AXES_IPWARE_PROXY_COUNT = 0  # python-ipware: no proxy before ours, take its entry
    IPWARE_STRICT = False  # a longer (forged) header still yields the proxy's entry
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True  # the language switch is a form post; no script reads it
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(env("SESSION_HOURS", "8")) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Uploads: evidence files are at most 10 MB, spreadsheets 5 MB (checked where they are
# read); a whole request may not carry more than this. The proxy should limit it too.
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_FILES = int(env("EVIDENCE_MAX_FILES", "20"))  # per value
MAX_UPLOAD_BYTES = int(env("MAX_UPLOAD_MB", "50")) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "metu_strategy.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10000

# django-import-export (admin). Its own formula escaping turns every number into text,
# so kpis/resources.py escapes text fields itself. The file between preview and
# confirmation is kept where every worker can read it.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# The history keeps a person's reason for a change whole (a return or target change
# reason may be 2,000 characters); django-simple-history's default column holds 100.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
