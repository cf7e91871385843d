"""Fengqiao settings: one module, driven by the environment.

Development (the default): DEBUG on, SQLite file next to manage.py, an insecure key.
Production: DEBUG=0 with SECRET_KEY, ALLOWED_HOSTS (and usually DATABASE_URL) set;
`manage.py check --deploy --fail-level WARNING` must then pass.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.db import check_pooled_connection

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY when DEBUG=0 (production).")
    SECRET_KEY = "django-insecure-dev-only-fengqiao-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS when DEBUG=0 (production).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "axes",
    "django_filters",
    "django_htmx",
    "widget_tweaks",
    "simple_history",
    "django_tasks_db",
    "grids",
    "cases",
    "incidents",
    "mediators",
    "stats",
    "config",  # the composition root: seed_demo, which needs every app
]

MIDDLEWARE = [
    "config.proxy.ClientAddressMiddleware",  # first: every later record sees the real client
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.SessionMiddleware",  # Django's, minus a second read on 5xx answers
    "config.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # With a streaming replica: whoever has just written reads from the primary (config/db.py).
    "config.middleware.ReadYourWritesMiddleware",
    "config.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Roster, meeting, department and due-rule history records who made each change.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes must be last: it turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "grids.context_processors.navigation",
                "cases.context_processors.bell",
                "incidents.context_processors.navigation",
                "stats.context_processors.navigation",
            ],
        },
    },
]

# Forms and widgets: Django's own templates, rendered by Jinja2 where Django ships them for it
# (config/renderers.py); the admin's and packages' widget templates by Django's engine.
FORM_RENDERER = "config.renderers.FormRenderer"

# Database: SQLite file by default; PostgreSQL (psycopg 3, Django's pool) via DATABASE_URL.
def database(url: str) -> dict:
    """One database's settings from its URL (the primary's and the replica's alike)."""
    conf = dj_database_url.parse(url, conn_max_age=0)
    if conf["ENGINE"] == "django.db.backends.postgresql":
        # Fail fast while PostgreSQL is down or unreachable: the 503 page within seconds, not a
        # worker stuck for the default 30 s (or the operating system's TCP timeout).
        conf.setdefault("OPTIONS", {})
        conf["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))
        # No JIT compilation: a page's query is costed high on ten million cases and compiled
        # (100-200 ms) to save less than it took. DB_JIT=1 leaves PostgreSQL's own setting (behind
        # pgbouncer, which refuses the startup option: `ALTER DATABASE … SET jit = off` instead).
        if not env_bool("DB_JIT", False):
            conf["OPTIONS"].setdefault("options", "-c jit=off")
        # Behind pgbouncer in transaction pooling mode (README, "Scaling out"): no cursors
        # that outlive a transaction.
        conf["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", False)
        # The app's hot statements are prepared (grids/compiled.py fetch_all); DB_PREPARE=0 behind
        # a pgbouncer without prepared statement support (before 1.21).
        conf["PREPARED_STATEMENTS"] = env_bool("DB_PREPARE", True)
        if env_bool("DB_POOL", True):
            conf["OPTIONS"]["pool"] = {
                "min_size": env_int("DB_POOL_MIN", 2),
                "max_size": env_int("DB_POOL_MAX", 10),
                # A restart kills every pooled connection: test each one before handing it out,
                # rather than failing one request per dead connection (config/db.py).
                "check": check_pooled_connection,
                # Longest wait for a connection (all busy, or the database down) before giving up.
                "timeout": env_int("DB_POOL_TIMEOUT", 5),
            }
    elif conf["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers work while a case is written; IMMEDIATE takes the write lock at the
        # start of a transaction, so two writers queue instead of failing half-way.
        conf["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return conf


DATABASES = {"default": database(os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# A PostgreSQL streaming replica of it, for reads that tolerate a few seconds of lag (statistics,
# exports, the leaders' ledger and dashboard: `cases/replica.py`); the router (config/db.py)
# sends everything else to the primary. Run the test suite without it: a test's rows are in its
# own transaction on the primary, which no replica sees (the mirror only keeps a stray setting from
# creating a test database on a read-only standby). tests/test_replica_router.py adds the alias
# itself; tests/test_replica_streaming.py tests a real standby (FQ_REAL_REPLICA_URL).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {**database(os.environ["DATABASE_REPLICA_URL"]), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["config.db.ReplicaRouter"]
# An index's covering columns (INCLUDE: the ledger's, cases/models/case.py) are PostgreSQL's;
# SQLite builds the index without them, which Django warns of.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
# Someone who wrote reads only from the primary for this long afterwards (config/middleware.py).
FENGQIAO_READ_YOUR_WRITES_SECONDS = env_int("READ_YOUR_WRITES_SECONDS", 10)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }
# Each user's scope (grids/scope_cache.py) is kept between requests only in a cache that every
# process shares: per-process memory could not forget a revoked place in the other workers.
FENGQIAO_SCOPE_CACHE = os.environ.get("SCOPE_CACHE", "default" if os.environ.get("REDIS_URL") else "")

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "cases.backends.UserWithBellBackend",  # ModelBackend that reads the bell with the user
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:workbench"
LOGOUT_REDIRECT_URL = "login"

# Sessions live in the database (the app stays stateless) and end after a idle period.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 4 * 60 * 60)
# Not saved on every request (a write per page): config.middleware.SessionMiddleware restarts
# the idle clock at most once per this many seconds.
SESSION_SAVE_EVERY_REQUEST = False
FENGQIAO_SESSION_REFRESH_SECONDS = env_int("SESSION_REFRESH_SECONDS", 5 * 60)
SESSION_COOKIE_HTTPONLY = True
# With a cache every process shares (REDIS_URL), sessions are read from it and written through
# to the database: one query less a page. Never with per-process memory: a session ended in one
# worker (log-out) would live on in another's.
if os.environ.get("REDIS_URL"):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_SAMESITE = "Lax"

# django-guardian: no anonymous user row; object permissions only for signed-in people.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-axes: lock a username at one client address after repeated failures. Not the address
# alone: a police post behind NAT or a proxy shares one, and one person's typos must not lock
# out the whole post.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.views.locked_out"
AXES_VERBOSE = False
# Reverse proxies in front of the app that append the client to X-Forwarded-For (nginx: 1).
# 0 (the default) trusts no header and uses REMOTE_ADDR. See config/proxy.py.
FENGQIAO_TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
AXES_CLIENT_IP_CALLABLE = "config.proxy.client_ip"  # django-ipware is not installed

# Internationalisation: Simplified Chinese by default, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# In development (and tests) whitenoise serves straight from the source folders;
# production serves the output of `collectstatic`.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = "media/"  # never served directly: attachments go through an access-checked view

# Fengqiao
FENGQIAO_MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 10)
FENGQIAO_FOLLOW_UP_DAYS = env_int("FOLLOW_UP_DAYS", 7)  # follow-up visit after resolving
FENGQIAO_CALL_RESPONSE_MINUTES = env_int("CALL_RESPONSE_MINUTES", 30)  # two-way calls
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# Security headers. Everything is served by the app itself: police intranets have no internet.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
CSRF_FAILURE_VIEW = "config.views.csrf_failure"  # the app's own page, not Django's English one
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("BEHIND_HTTPS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}


# Background and periodic work: Django's task framework with a database-backed worker
# (`manage.py db_worker`), so it needs nothing beyond the app and its database. The periodic
# checks are enqueued by `manage.py schedule_checks` (a loop in the demo, a timer in production).
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
FENGQIAO_CHECK_SECONDS = int(os.environ.get("CHECK_SECONDS", "300"))

# E-mail for notices a user chose to receive that way; the console in development.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend" if DEBUG
                               else "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fengqiao@localhost")
