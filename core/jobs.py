"""Jobs: a guard so that two runs of one job never overlap."""

import hashlib
import time
from contextlib import contextmanager

from django.db import connection


@contextmanager
def job_lock(name: str, *, wait_seconds: float = 0):
    """Guard a job against overlapping runs (PostgreSQL advisory lock; SQLite serialises writers anyway).

    Waits up to `wait_seconds` for a run that holds the lock to finish. Yields True when this process holds
    the lock, False when another run still holds it."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = int(hashlib.sha256(name.encode()).hexdigest()[:15], 16)
    deadline = time.monotonic() + wait_seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            got = cursor.fetchone()[0]
            if got or time.monotonic() >= deadline:
                break
            time.sleep(1)
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
