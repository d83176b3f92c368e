"""Test settings: PostgreSQL (the real thing), fast hashing."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang")

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LANGUAGE_CODE = "en"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
