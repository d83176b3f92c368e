"""Permission checks for views: anonymous users go to the login page, logged-in users without the
permission get 403 (Django's own decorator would send them to the login page again)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def permission_required(*perms: str):
    """Decorate a view so that it needs every one of `perms` ("app_label.codename")."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_permissions = perms  # console/tests/test_urls.py checks every screen has some
        return wrapped

    return decorator
