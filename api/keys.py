"""API client keys: 256 random bits, shown once, stored only as a SHA-256 digest."""

import hashlib
import secrets

KEY_BYTES = 32
PREFIX_LENGTH = 8  # shown in the console so that staff can tell keys apart


def key_generate() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
