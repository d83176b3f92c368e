"""Pure rules of messaging: quiet hours, retry delays, request signatures, STOP replies. No database."""

import datetime as dt
import hashlib
import hmac

# The header carrying the HMAC-SHA256 of a request's body, both ways (our requests to a provider and a
# provider's webhooks to us): "sha256=<hex digest>".
SIGNATURE_HEADER = "X-Boomerang-Signature"
# Replies that unsubscribe (compared after trimming and lower-casing; "СТОП" too).
STOP_WORDS = frozenset({"stop", "стоп", "unsubscribe", "отписаться", "отписка", "stopall", "cancel"})
# A retry never waits longer than this, however many attempts came before.
RETRY_MAX_SECONDS = 6 * 3600


def quiet_hours_release(at: dt.datetime, *, start: int, end: int, zone: dt.tzinfo) -> dt.datetime | None:
    """When a message due at `at` (aware) may go, if `at` falls in the quiet hours; None when it is not quiet.

    Quiet hours run from `start`:00 to `end`:00 (hours 0–23) on the shop's wall clock in `zone`; `start` >
    `end` spans midnight (21 → 9 is quiet from 21:00 to 08:59:59), `start` == `end` means no quiet hours.
    The release is `end`:00 of the same local day, or of the next day when `at` is before midnight. Rule
    from issue #14: "no SMS at night: held until morning". Raises ValueError for an hour outside 0–23."""
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise ValueError(f"quiet hours must be 0–23, got {start}–{end}")
    if start == end:
        return None
    local = at.astimezone(zone)
    hour = local.hour
    if start < end:
        quiet, day = start <= hour < end, local.date()
    else:
        quiet = hour >= start or hour < end
        day = local.date() + dt.timedelta(days=1) if hour >= start else local.date()
    if not quiet:
        return None
    return dt.datetime.combine(day, dt.time(end), tzinfo=zone)


def retry_delay_seconds(attempts: int, *, base: int) -> int:
    """Seconds to wait before the next try after `attempts` failed tries (≥ 1): base, 2·base, 4·base… (an
    exponential backoff), at most RETRY_MAX_SECONDS."""
    return min(base * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)


def signature(secret: str, body: bytes) -> str:
    """The value of SIGNATURE_HEADER for `body`: "sha256=" + hex HMAC-SHA256 of the raw bytes with `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is the signature of `body` with `secret` (constant-time); False for an empty
    secret (an unconfigured provider accepts nothing) or a missing header."""
    if not secret or not header:
        return False
    return hmac.compare_digest(signature(secret, body), header.strip())


def is_stop(text: str | None) -> bool:
    """True when an inbound reply asks to stop messages ("STOP", "Стоп", " unsubscribe ")."""
    return (text or "").strip().strip(".!").lower() in STOP_WORDS
