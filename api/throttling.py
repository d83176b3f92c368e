"""Requests per API client, at `settings.API_THROTTLE_RATE` (env API_THROTTLE_RATE, default 600/min)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiClient


class ApiClientRateThrottle(SimpleRateThrottle):
    scope = "api_client"

    def get_rate(self) -> str | None:
        # Read at request time (not import time) so that a settings override takes effect.
        return getattr(settings, "API_THROTTLE_RATE", None) or None

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiClient):
            return None  # not an API client (the public schema and docs): not throttled here
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
