"""Production settings: DJANGO_SETTINGS_MODULE=config.settings.production. Fails closed.

Required from the environment (the process refuses to start without them): SECRET_KEY (not the
development key), ALLOWED_HOSTS, DATABASE_URL. DEBUG is always off. HTTPS is assumed behind a reverse
proxy that sets X-Forwarded-Proto: HTTP requests are redirected, cookies are Secure, HSTS is sent.

Plain HTTP (a till on a shop's LAN, a test on loopback) is possible only by saying so:
ALLOW_PLAIN_HTTP=true turns off the redirect, HSTS and Secure cookies, and nothing else.
`python manage.py check --deploy` is clean with these settings (CI checks it).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")  # no default: ImproperlyConfigured when missing
if SECRET_KEY.startswith("dev-only") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("SECRET_KEY must be a long random value (50+ characters), not the development key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")  # no default
if "DATABASE_URL" not in env.ENVIRON:
    raise ImproperlyConfigured("Set DATABASE_URL (postgres://…) for production; the SQLite file is for trying it out")

PLAIN_HTTP = env.bool("ALLOW_PLAIN_HTTP", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = not PLAIN_HTTP
SECURE_HSTS_SECONDS = 0 if PLAIN_HTTP else env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)  # the header; preloading needs a submission too
SESSION_COOKIE_SECURE = not PLAIN_HTTP
CSRF_COOKIE_SECURE = not PLAIN_HTTP
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Static files: collected (`collectstatic`), compressed and with hashed names, served by the app itself
# (WhiteNoise, right after the security middleware): no separate web server is needed for CSS and htmx.
MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
