"""The page a locked-out login gets (django-axes calls `login_locked`, settings AXES_LOCKOUT_CALLABLE)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def login_locked(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """429 with a page that says the account is locked for this address and when it opens again
    (AXES_COOLOFF_TIME after the last failed attempt, which was this one)."""
    cooloff = settings.AXES_COOLOFF_TIME
    context = {
        "username": (credentials or {}).get("username", ""),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(cooloff.total_seconds() // 60),
        "unlocks_at": timezone.localtime(timezone.now() + cooloff),
    }
    return render(request, "registration/locked.html", context, status=429)
