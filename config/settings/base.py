"""Settings read from the environment (and an optional `.env` file) through django-environ.

See `.env.example` for every variable with its default.
"""

import datetime as dt
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "import_export",
    "django_q",
    "axes",
    "csp",
    "core",
    "customers",
    "loyalty",
    "analytics",
    "api",
    "cashier",
    "console",
    "campaigns",
    "messaging",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it answers a locked-out login (django-axes).
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "console.context_processors.nav",
            ],
        },
    },
]

# SQLite file by default (zero set-up); DATABASE_URL=postgres://... for tests and production.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: opening one per request costs more than the request (bench/api_purchases.py).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg prepares a statement the fifth time a connection runs it; Django turns that off by default,
    # and its own queries (client-side binding) are never prepared: only the hot path's statements run
    # through core.db.prepared_cursor are (issue #16).
    # DATABASE_PREPARE_THRESHOLD=off turns it off (a pooler in transaction mode that cannot keep them).
    _threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="5").strip().lower()
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "prepare_threshold", None if _threshold in ("", "none", "off", "false") else int(_threshold)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Let concurrent writers (web server + django-q worker) wait instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- login throttling (django-axes): per user name and address ----------------------------------------
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)  # wrong passwords in a row …
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))  # … lock for this long
# One user name from one address: a stranger cannot lock a cashier out by typing her name elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# A try while locked does not push the opening time back (else anyone at the address could keep it locked).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The lockout page says when the login opens again (console/views/login.py).
AXES_LOCKOUT_CALLABLE = "console.views.login.login_locked"
# Behind a reverse proxy the client address comes from X-Forwarded-For (set AXES_IPWARE_PROXY_COUNT=1).
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# --- Content Security Policy (django-csp): scripts and styles from this site only, no inline code -----
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
FORMAT_MODULE_PATH = ["config.formats"]  # one date format per language: config/formats/<lang>/formats.py
USE_I18N = True
# django-filter's empty choice of an optional select, as the console's forms show it (core.forms.EMPTY_CHOICE_LABEL)
FILTERS_EMPTY_CHOICE_LABEL = "—"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Loyalty program defaults that are not part of the editable ProgramSettings row.
# Default region for phone numbers typed without a country code.
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="RU")
# Card numbers: a fixed prefix, then digits, then a Luhn check digit (13 digits in all).
CARD_NUMBER_PREFIX = env.str("CARD_NUMBER_PREFIX", default="27")

# The customer import's bounds (customers/imports): a bigger file is refused before it is parsed.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 2**20)  # 20 MB: ~250 000 rows of a typical file
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_MAX_OPENING_BALANCE = env.int("IMPORT_MAX_OPENING_BALANCE", default=1_000_000)  # points per customer

# django-q2: the Django ORM is the broker by default (no extra server); set Q_REDIS_URL for Redis.
Q_CLUSTER = {
    "name": "boomerang",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=1800),
    "retry": env.int("Q_RETRY", default=3600),
    "catch_up": False,
    "orm": "default",
    "label": "Jobs",
}
_q_redis = env.str("Q_REDIS_URL", default="")
if _q_redis:
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = _q_redis

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Phones and emails are masked in every record before it is written (core/logging.py).
    "filters": {
        "personal_data": {"()": "core.logging.PersonalDataFilter"},
        "expected_denial": {"()": "core.logging.ExpectedDenialFilter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["expected_denial", "personal_data"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every login at INFO; its lockouts (WARNING) are what matter.
    "loggers": {"axes": {"level": "WARNING"}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)

# --- REST API (issue #5): Django REST framework + drf-spectacular, see api/ -------------------
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar"]
# Outermost, so that the time it logs for each /api/ request covers the whole stack.
MIDDLEWARE = ["api.middleware.ApiRequestLogMiddleware", *MIDDLEWARE]
# Requests per API client: "<n>/<sec|min|hour|day>". Counted in the cache below, per client.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/min")
# Offline tills (POST /api/v1/purchases/batch/, issue #16): a purchase's `occurred_at` may be at most this
# many days old (older: refused, that item only), and at most this many seconds ahead of the server's
# clock (a till's clock running a little fast; such a purchase is dated at the moment it is recorded).
API_BATCH_MAX_AGE_DAYS = env.int("API_BATCH_MAX_AGE_DAYS", default=7)
API_BATCH_CLOCK_SKEW_SECONDS = env.int("API_BATCH_CLOCK_SKEW_SECONDS", default=300)
# The batch endpoint records its plain purchases with set-based statements per chunk (issue #16); false: one by one.
API_BATCH_SET_BASED = env.bool("API_BATCH_SET_BASED", default=True)
# The throttle counts in this cache. The default (local memory) counts per server process, so with
# N gunicorn workers a client gets up to N × the rate; point it at Redis or Memcached to count exactly.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiClientAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.authentication.IsApiClient"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiClientRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.ExactJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Boomerang loyalty API",
    "DESCRIPTION": (
        "Customers, purchases with points, refunds and the points ledger. Authenticate with "
        "`Authorization: Token <key>`; send `Idempotency-Key` on every purchase and refund."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"LedgerKindEnum": "loyalty.models.LedgerEntry.Kind"},
    # Swagger UI and ReDoc from the drf-spectacular-sidecar package (static files), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# --- end of REST API --------------------------------------------------------------------------------

# --- Messaging (issue #14): outbox, channels, consent; see docs/messaging.md ------------------------
# Email goes through Django's email backend: EMAIL_URL=smtp://user:pass@host:587/?tls=True in production,
# the console backend (prints the message) by default.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST, EMAIL_PORT = _email.get("EMAIL_HOST", ""), _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_USER", ""), _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS, EMAIL_USE_SSL = _email.get("EMAIL_USE_TLS", False), _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Boomerang <noreply@localhost>")
# The address people reach this site at: unsubscribe links in emails are absolute.
MESSAGING_SITE_URL = env.str("MESSAGING_SITE_URL", default="http://127.0.0.1:8000")
# The shop's name in the header of the pages customers open (the unsubscribe page); empty: no name shown.
MESSAGING_SHOP_NAME = env.str("MESSAGING_SHOP_NAME", default="")
# SMS and messenger providers by name; MESSAGING_CHANNEL_PROVIDERS picks one per channel. "BACKEND" is the
# provider's class; the generic HTTPS provider (messaging.channels.http.HttpProvider) needs "URL" and
# "SECRET" (the HMAC-SHA256 key of requests and of its status webhooks), "TIMEOUT" in seconds.
MESSAGING_PROVIDERS = {
    "console": {"BACKEND": "messaging.channels.console.ConsoleProvider"},
    "http": {
        "BACKEND": "messaging.channels.http.HttpProvider",
        "URL": env.str("MESSAGING_HTTP_URL", default=""),
        "SECRET": env.str("MESSAGING_HTTP_SECRET", default=""),
        "TIMEOUT": env.float("MESSAGING_HTTP_TIMEOUT", default=10.0),
    },
}
MESSAGING_CHANNEL_PROVIDERS = {
    "sms": env.str("MESSAGING_SMS_PROVIDER", default="console"),
    "messenger": env.str("MESSAGING_MESSENGER_PROVIDER", default="console"),
}
# Service notices (points earned, points about to burn…) need the marketing consent too when true.
MESSAGING_SERVICE_NEEDS_CONSENT = env.bool("MESSAGING_SERVICE_NEEDS_CONSENT", default=False)
# Quiet hours in the shop's TIME_ZONE: SMS and messenger messages due from START (hour, 0–23) until END
# are held until END. START > END spans midnight (21 → 9: 21:00–08:59); START == END: no quiet hours.
MESSAGING_QUIET_HOURS_START = env.int("MESSAGING_QUIET_HOURS_START", default=21)
MESSAGING_QUIET_HOURS_END = env.int("MESSAGING_QUIET_HOURS_END", default=9)
# At most N marketing messages per customer (all channels) in any M days; 0 messages = no cap.
MESSAGING_FREQUENCY_CAP_MESSAGES = env.int("MESSAGING_FREQUENCY_CAP_MESSAGES", default=3)
MESSAGING_FREQUENCY_CAP_DAYS = env.int("MESSAGING_FREQUENCY_CAP_DAYS", default=7)
# Sending: attempts before a message fails, the first retry's delay (doubling each time), and how long a
# claimed message may stay "sending" before the dispatcher takes it again (longer than any provider call).
MESSAGING_MAX_ATTEMPTS = env.int("MESSAGING_MAX_ATTEMPTS", default=5)
MESSAGING_RETRY_SECONDS = env.int("MESSAGING_RETRY_SECONDS", default=60)
MESSAGING_CLAIM_SECONDS = env.int("MESSAGING_CLAIM_SECONDS", default=300)
# The every-minute dispatcher hands out at most LIMIT due messages, BATCH per send task.
MESSAGING_DISPATCH_LIMIT = env.int("MESSAGING_DISPATCH_LIMIT", default=5000)
MESSAGING_DISPATCH_BATCH = env.int("MESSAGING_DISPATCH_BATCH", default=100)
# --- end of messaging -------------------------------------------------------------------------------

# The daily campaign run (campaigns.services.daily): how many chunks of customer ids of a campaign without
# a points budget are granted at once, each on its own database connection (PostgreSQL only; a budgeted
# campaign's chunks run one after another, in customer-id order). 1 runs every campaign serially.
CAMPAIGNS_DAILY_WORKERS = env.int("CAMPAIGNS_DAILY_WORKERS", default=2)
# The most points one campaign grant may give (campaigns.bounds.GRANT_POINTS_MAX).
CAMPAIGN_POINTS_MAX = env.int("CAMPAIGN_POINTS_MAX", default=10_000)
