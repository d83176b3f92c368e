from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

# Third-party apps that Django admin lists, named in the active language. Their own AppConfig gives an
# untranslated name: django-q2 takes Q_CLUSTER["label"] as a plain string (read once, at import), and
# django-axes has none, so its app label "axes" shows. Set here rather than through AppConfig subclasses
# in INSTALLED_APPS so that the settings keep the apps' plain names; the admin reads `verbose_name` on
# every request, so a lazy string is translated per request.
THIRD_PARTY_APP_NAMES = {
    "django_q": _("Jobs"),
    "axes": _("Login protection"),
}


class CoreConfig(AppConfig):
    """The bottom layer every app may import: the audit log, roles and permission decorators, the
    domain-error base, idempotency keys, job locks, formatting, logging filters, migration operations."""

    name = "core"
    verbose_name = _("Audit")

    def ready(self) -> None:
        for config in apps.get_app_configs():
            if config.label in THIRD_PARTY_APP_NAMES:
                config.verbose_name = THIRD_PARTY_APP_NAMES[config.label]
