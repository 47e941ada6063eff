"""Django settings, all read from the environment (docs/configuration.md lists each variable)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO
from django.utils.translation import gettext_lazy as _

from kalrav import data_dir
from kalrav.conf import Env, ImproperlyConfiguredVariable

env = Env()
PACKAGE_DIR = Path(__file__).resolve().parent

DATA_DIR = env.path("KALRAV_DATA_DIR", Path.home() / ".local" / "share" / "kalrav")
data_dir.prepare(DATA_DIR)


def _secret_key() -> str:
    """The configured key, or one generated once and kept in the data directory."""
    configured = env.str("KALRAV_SECRET_KEY", "")
    if configured:
        if len(configured) < 32:
            raise ImproperlyConfiguredVariable("KALRAV_SECRET_KEY", "***", "at least 32 characters")
        return configured
    return data_dir.secret_key(DATA_DIR)


SECRET_KEY = _secret_key()
DEBUG = env.bool("KALRAV_DEBUG", False)
ALLOWED_HOSTS = env.list("KALRAV_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
BASE_URL = (
    env.url("KALRAV_BASE_URL", "http://127.0.0.1:8000", schemes=("http", "https")) or ""
).rstrip("/")
# Where networks that fetch media from a URL (Instagram) reach Kalrav; unset: they cannot publish.
PUBLIC_URL = (env.url("KALRAV_PUBLIC_URL", "", schemes=("http", "https")) or "").rstrip("/")
CSRF_TRUSTED_ORIGINS = [BASE_URL]
SECURE_COOKIES = BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if SECURE_COOKIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Browsers that once saw Kalrav over https refuse plain http to it for this long (HSTS); only
# sent when the public address is https, so a first test on http never pins a host.
SECURE_HSTS_SECONDS = (
    env.int("KALRAV_HSTS_SECONDS", 31536000, minimum=0, maximum=63072000) if SECURE_COOKIES else 0
)
# Proxies whose X-Forwarded-For is believed (kalrav.proxies); none by default.
TRUSTED_PROXIES = env.networks("KALRAV_TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "huey.contrib.djhuey",
    "kalrav.accounts",
    "kalrav.workspaces",
    "kalrav.api",
    "kalrav.web",
    "kalrav.ops",
    "kalrav.connectors",
    "kalrav.channels",
    "kalrav.publishing",
    "kalrav.inbox",
    "kalrav.hooks",
    "kalrav.analytics",
    "kalrav.nlp",
    "kalrav.sandbox",
    "kalrav.demo",
    "kalrav.listening",
    "kalrav.portability",
]
# A network's own operator commands live in its folder (networks/<slug>/management/commands/,
# X's webhook for one); a folder that has them is an app, found here, never named.
NETWORK_APPS = sorted(
    f"kalrav.connectors.networks.{folder.parent.name}"
    for folder in (PACKAGE_DIR / "connectors" / "networks").glob("*/management")
)
INSTALLED_APPS += NETWORK_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kalrav.web.security_headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kalrav.ops.metrics.RequestMetricsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kalrav.accounts.sessions.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kalrav.disk_full.DiskFullMiddleware",
]

ROOT_URLCONF = "kalrav.urls"
ASGI_APPLICATION = "kalrav.asgi.application"
WSGI_APPLICATION = "kalrav.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kalrav.workspaces.context.workspace_context",
                "kalrav.web.context.navigation",
                "kalrav.web.security_headers.nonce",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------------
_database_url = env.url(
    "DATABASE_URL",
    f"sqlite:///{DATA_DIR / 'kalrav.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql"),
)
DATABASES = {
    "default": dj_database_url.parse(_database_url or "", conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets readers and one writer work at once; IMMEDIATE makes a writer wait for the lock
    # at BEGIN (where the busy timeout applies) instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("KALRAV_SQLITE_BUSY_TIMEOUT", 20, minimum=1),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- analytics ------------------------------------------------------------------------------
# A conversion is credited to the last click through a tracked link this many days before it.
KALRAV_ATTRIBUTION_DAYS = env.int("KALRAV_ATTRIBUTION_DAYS", 30, minimum=1, maximum=365)

# --- queue and cache ------------------------------------------------------------------------
REDIS_URL = env.url("REDIS_URL", None, schemes=("redis", "rediss"))
HUEY_WORKERS = env.int("KALRAV_WORKERS", 2, minimum=1, maximum=64)
# Each worker's publishing dispatcher: network calls in flight at once, and how often it looks
# for due posts (milliseconds).
PUBLISH_CONCURRENCY = env.int("KALRAV_PUBLISH_CONCURRENCY", 16, minimum=1, maximum=128)
PUBLISH_POLL_SECONDS = env.int("KALRAV_PUBLISH_POLL_MS", 200, minimum=10, maximum=5000) / 1000
# How long a worker holds a post it is publishing without renewing its claim; a dead worker's
# posts are taken over this long after its last heartbeat (it renews every third of it).
PUBLISH_LEASE_SECONDS = env.int("KALRAV_PUBLISH_LEASE_SECONDS", 45, minimum=2, maximum=3600)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": env.str("KALRAV_QUEUE_NAME", "kalrav"),
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": HUEY_WORKERS, "worker_type": "thread"},
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "kalrav",
        "filename": str(DATA_DIR / "queue.sqlite3"),
        "immediate": False,
        # An idle worker checks the SQLite queue at least every half second (Huey's default backs
        # off to 10 s), so a post due now is not up to 10 s late after a quiet spell.
        "consumer": {"workers": HUEY_WORKERS, "worker_type": "thread", "max_delay": 0.5},
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "kalrav_cache",
        }
    }

# --- auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:signin"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SIGNIN_MAX_FAILURES = env.int("KALRAV_SIGNIN_MAX_FAILURES", 5, minimum=1)
SIGNIN_LOCKOUT_SECONDS = env.int("KALRAV_SIGNIN_LOCKOUT_SECONDS", 900, minimum=1)
INVITATION_DAYS = env.int("KALRAV_INVITATION_DAYS", 7, minimum=1, maximum=90)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# A sign-in lasts this long whatever happens after it (kalrav.accounts.sessions); "keep me signed
# in" makes it days (0 takes the choice away); an idle limit is off unless set.
SESSION_HOURS = env.int("KALRAV_SESSION_HOURS", 12, minimum=1, maximum=24 * 30)
SESSION_REMEMBER_DAYS = env.int("KALRAV_SESSION_REMEMBER_DAYS", 14, minimum=0, maximum=365)
SESSION_IDLE_MINUTES = env.int("KALRAV_SESSION_IDLE_MINUTES", 0, minimum=0, maximum=60 * 24 * 30)
SESSION_COOKIE_AGE = SESSION_HOURS * 3600

ENCRYPTION_KEYS = env.list("KALRAV_ENCRYPTION_KEYS", [])
# Channel addresses are typed in by people; private and loopback ones are refused unless the
# installation's own networks are meant (a PDS or Mastodon instance on the same LAN).
ALLOW_PRIVATE_ADDRESSES = env.bool("KALRAV_ALLOW_PRIVATE_ADDRESSES", False)
X_CLIENT_ID = env.str("KALRAV_X_CLIENT_ID", "")  # the operator's X app (docs/networks.md)
X_CLIENT_SECRET = env.str("KALRAV_X_CLIENT_SECRET", "")
# Direct messages need X's dm.read and dm.write scopes and an access level that has them.
X_DIRECT_MESSAGES = env.bool("KALRAV_X_DIRECT_MESSAGES", False)
# The app's API Key Secret (consumer secret): signs X's Account Activity webhook deliveries.
X_CONSUMER_SECRET = env.str("KALRAV_X_CONSUMER_SECRET", "")
# The Account Activity webhook registered for the app (docs: x/docs.md); each X channel is
# subscribed to it when checked.
X_WEBHOOK_ID = env.str("KALRAV_X_WEBHOOK_ID", "")
# The app's own bearer token (app-only): `kalrav x_webhook` registers and checks that webhook.
X_BEARER_TOKEN = env.str("KALRAV_X_BEARER_TOKEN", "")
# The operator's Meta app, for Facebook Pages and Instagram (docs/networks.md, "Meta").
META_APP_ID = env.str("KALRAV_META_APP_ID", "")
META_APP_SECRET = env.str("KALRAV_META_APP_SECRET", "")
META_WEBHOOK_VERIFY_TOKEN = env.str("KALRAV_META_WEBHOOK_VERIFY_TOKEN", "")
# The Instagram app's own id and secret (App Dashboard > Instagram > API setup with Instagram
# login), for Instagram Login; not the Meta app's (docs/networks.md, "Instagram").
INSTAGRAM_APP_ID = env.str("KALRAV_INSTAGRAM_APP_ID", "")
INSTAGRAM_APP_SECRET = env.str("KALRAV_INSTAGRAM_APP_SECRET", "")
# Optional: a Facebook Login for Business configuration id; sent instead of a scope list.
META_LOGIN_CONFIG_ID = env.str("KALRAV_META_LOGIN_CONFIG_ID", "")
# Where Meta is: only a stand-in Meta (tests/peers/meta_standin.py) or an operator's proxy changes
# these. The dialog's default names the Graph version the connectors speak (facebook/client.py).
META_GRAPH_URL = (
    env.url("KALRAV_META_GRAPH_URL", "https://graph.facebook.com", schemes=("http", "https")) or ""
)
META_DIALOG_URL = env.url("KALRAV_META_DIALOG_URL", "", schemes=("http", "https")) or ""
# Where X is: only a stand-in X (tests/peers/x_standin.py) or an operator's proxy changes these.
X_API_URL = env.url("KALRAV_X_API_URL", "https://api.x.com", schemes=("http", "https")) or ""
X_AUTHORIZE_URL = (
    env.url("KALRAV_X_AUTHORIZE_URL", "https://x.com/i/oauth2/authorize", schemes=("http", "https"))
    or ""
)
# Bluesky's public posts for listening: a Jetstream (JSON) endpoint, such as
# wss://jetstream2.us-east.bsky.network/subscribe; empty: the repository firehose of each
# channel's relay or PDS (kalrav/connectors/networks/bluesky/public_stream.py).
BLUESKY_JETSTREAM_URL = env.url("KALRAV_BLUESKY_JETSTREAM_URL", "", schemes=("ws", "wss")) or ""

# --- email ----------------------------------------------------------------------------------
EMAIL_HOST = env.str("KALRAV_EMAIL_HOST", "")
DEFAULT_FROM_EMAIL = env.str("KALRAV_EMAIL_FROM", "Kalrav <kalrav@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.int("KALRAV_EMAIL_PORT", 587, minimum=1, maximum=65535)
    EMAIL_HOST_USER = env.str("KALRAV_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = env.str("KALRAV_EMAIL_PASSWORD", "")
    EMAIL_USE_SSL = env.bool("KALRAV_EMAIL_SSL", False)
    EMAIL_USE_TLS = env.bool("KALRAV_EMAIL_TLS", not EMAIL_USE_SSL)
    if EMAIL_USE_SSL and EMAIL_USE_TLS:
        raise ImproperlyConfiguredVariable(
            "KALRAV_EMAIL_TLS", "true", "false when KALRAV_EMAIL_SSL is true"
        )
    EMAIL_TIMEOUT = 20
else:
    # Without a mail server, messages land as files an administrator can open.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox")

# --- i18n and time --------------------------------------------------------------------------
LANGUAGE_CODE = env.choice("KALRAV_LANGUAGE", "en", ("en", "bn", "hi", "gu", "el"))
LANGUAGES = [
    ("en", _("English")),
    ("bn", _("Bengali")),
    ("hi", _("Hindi")),
    ("gu", _("Gujarati")),
    ("el", _("Greek")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Django ships no Gujarati entry; the language switcher needs its local name.
LANG_INFO.setdefault(
    "gu", {"bidi": False, "code": "gu", "name": "Gujarati", "name_local": "ગુજરાતી"}
)
USE_I18N = True
# One date style in every language, Gujarati included (Django has no `gu` formats).
FORMAT_MODULE_PATH = ["kalrav.formats"]
TIME_ZONE = "UTC"
USE_TZ = True
DEFAULT_WORKSPACE_TIME_ZONE = env.timezone("KALRAV_TIME_ZONE", "UTC")

# --- files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
data_dir.prepare(STATIC_ROOT)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# Django would chmod every stored file 0644 whatever the umask; media is served by Kalrav itself.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
LOGO_MAX_BYTES = 2 * 1024 * 1024

# --- logging --------------------------------------------------------------------------------
LOG_LEVEL = env.choice("KALRAV_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "huey": {"level": "WARNING" if LOG_LEVEL == "INFO" else LOG_LEVEL},
        # httpx logs each request line at INFO, and some networks put the token in the URL path.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
METRICS_TOKEN = env.str("KALRAV_METRICS_TOKEN", "")
