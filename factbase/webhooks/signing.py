"""The signature of a delivery, as a receiver checks it (docs/api.md shows how).

`X-Factbase-Timestamp` is the Unix time of the attempt, and `X-Factbase-Signature` is
`sha256=` followed by the hex HMAC-SHA256, keyed with the subscription's secret, of the
timestamp, a dot and the body's bytes. Signing the timestamp with the body lets a
receiver refuse an old request replayed by someone who recorded it.
"""

import hashlib
import hmac
import secrets
import time

from django.core.exceptions import ValidationError

SIGNATURE_HEADER = "X-Factbase-Signature"
TIMESTAMP_HEADER = "X-Factbase-Timestamp"
DELIVERY_HEADER = "X-Factbase-Delivery"
PREFIX = "sha256="
TOLERANCE = 300  # seconds a receiver should accept between the timestamp and its clock
SECRET_MIN = 16
SECRET_MAX = 200


def new_secret() -> str:
    """A random secret: 32 bytes, URL-safe text."""
    return secrets.token_urlsafe(32)


def validate_secret(secret) -> None:
    """A secret given by its subscriber: long enough to be hard to guess, and plain
    text that a receiver's configuration can hold as it is."""
    if not isinstance(secret, str) or not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise ValidationError(
            f"Between {SECRET_MIN} and {SECRET_MAX} characters, or none to have one made."
        )
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in secret):
        raise ValidationError("No spaces or control characters.")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    body: bytes,
    timestamp: str,
    signed: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE,
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    if not (timestamp.isascii() and timestamp.isdigit()):
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), signed)
