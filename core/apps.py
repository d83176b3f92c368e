from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer every app may import: domain-error base, idempotency, (later) audit and roles."""

    name = "core"
    verbose_name = "Core"
