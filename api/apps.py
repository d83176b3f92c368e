from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """REST v1 for tills and web shops: API clients and their keys, authentication, idempotency keys,
    throttling, serializers and the OpenAPI schema. A screen on top: it may import every domain app."""

    name = "api"
    verbose_name = _("REST API")
