"""Demo logins: one user per role, created or reset to a known password.

    python manage.py create_demo_users [--password demo-pass-2026] [--force]

Known passwords on a production database are a way in: with DEBUG off the command refuses unless
`--force` is given.

The groups come from migration loyalty/0003_roles. Running it again resets the password and the role of
each demo user (so a demo that someone changed comes back to a known state) and touches no other user.
Each demo user has an email on the reserved domain example.com (RFC 2606: it reaches nobody), so that
"Send a test to me" by email can be tried in the demo (issue #14).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEFAULT_PASSWORD = "demo-pass-2026"

# username, superuser, group, what the role sees
DEMO_USERS = (
    ("admin", True, None, "superuser (everything, /admin/)"),
    (
        "marketing",
        False,
        "Marketing",
        "group Marketing (overview, customers, settings, adjustments, analytics, messages, campaigns)",
    ),
    ("cashier", False, "Cashiers", "group Cashiers (the till)"),
)
DEMO_EMAIL_DOMAIN = "example.com"  # reserved (RFC 2606): a demo email reaches nobody


class Command(BaseCommand):
    help = "Create the demo users admin, marketing and cashier (or reset their passwords) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help=f"password for all three (default {DEFAULT_PASSWORD})"
        )
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off (a production database)")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like a production database, and demo users with known passwords "
                "would be a way in. Nothing was created. Use --force if you really mean it."
            )
        password = options["password"]
        if not password:
            raise CommandError("--password must not be empty")
        names = [group for _u, _s, group, _d in DEMO_USERS if group]
        groups = {group.name: group for group in Group.objects.filter(name__in=names)}
        missing = sorted(set(names) - set(groups))
        if missing:
            raise CommandError(f"group(s) {', '.join(missing)} missing: run `manage.py migrate` first")
        User = get_user_model()
        created_names, reset_names = [], []
        with transaction.atomic():
            for username, superuser, group, _description in DEMO_USERS:
                user, created = User.objects.get_or_create(username=username)
                user.is_active = True
                user.email = f"{username}@{DEMO_EMAIL_DOMAIN}"
                user.is_superuser = superuser
                user.is_staff = superuser  # only the superuser uses Django admin; the others use the back office
                user.set_password(password)  # set directly: demo passwords need not pass the validators
                user.save()
                user.groups.set([groups[group]] if group else [])
                (created_names if created else reset_names).append(username)
        done = ", ".join(
            part
            for part in (
                f"created {', '.join(created_names)}" if created_names else "",
                f"password reset for {', '.join(reset_names)}" if reset_names else "",
            )
            if part
        )
        width = max(len(password), len("password")) + 2
        self.stdout.write(f"Demo logins ({done}):")
        self.stdout.write(f"  {'user':<10} {'password':<{width}} {'email':<22} role")
        for username, _superuser, _group, description in DEMO_USERS:
            email = f"{username}@{DEMO_EMAIL_DOMAIN}"
            self.stdout.write(f"  {username:<10} {password:<{width}} {email:<22} {description}")
