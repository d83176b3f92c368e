"""Test settings: PostgreSQL (the real thing), fast hashing."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang")

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LANGUAGE_CODE = "en"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
# Two test runs at once (e.g. a long property run beside the suite) need their own test databases.
if os.environ.get("TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DB_NAME"]}  # noqa: F405

# No quiet hours unless a test sets them (with a fixed `now`): a send task runs on the real clock, and a
# test that sent an SMS passed by day and failed after 21:00 in the shop's time zone.
MESSAGING_QUIET_HOURS_START = MESSAGING_QUIET_HOURS_END = 0
