"""The tunables of delivery, from Django settings (tests override them there) or the
environment, read when used so that a changed setting applies at once."""

import os

from django.conf import settings

DEFAULTS = {
    # Seconds between two looks at the feed for subscriptions with changes to deliver.
    "WEBHOOKS_POLL_SECONDS": 1.0,
    # Retries wait RETRY_BASE * 2**(failures - 1) seconds, at most RETRY_MAX.
    "WEBHOOKS_RETRY_BASE_SECONDS": 1.0,
    "WEBHOOKS_RETRY_MAX_SECONDS": 600.0,
    # After this many failed attempts in a row a subscription is marked failing.
    "WEBHOOKS_FAILING_AFTER": 8,
    # Seconds a receiver has to connect, and then to answer each read.
    "WEBHOOKS_TIMEOUT_SECONDS": 10.0,
    # The delivery log keeps attempts this many days.
    "WEBHOOKS_LOG_DAYS": 30,
    # Where the records' `url` in a payload point: the site's address, as clients reach
    # it (https://factbase.example.org); empty gives paths (/api/v1/companies/3/).
    "WEBHOOKS_SITE_URL": "",
}


def get(name: str):
    default = DEFAULTS[name]
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        return default
    return type(default)(value)


def retry_delay(failures: int) -> float:
    """Seconds before the next attempt after `failures` failed ones in a row."""
    base = get("WEBHOOKS_RETRY_BASE_SECONDS")
    ceiling = get("WEBHOOKS_RETRY_MAX_SECONDS")
    return min(base * 2 ** min(max(failures - 1, 0), 60), ceiling)


def claim_seconds() -> float:
    """How long a worker holds a subscription it delivers for: past one attempt's
    longest wait (connect, then read), so that no other worker takes it meanwhile; a
    worker that died lets go when it runs out."""
    return 3 * get("WEBHOOKS_TIMEOUT_SECONDS") + 30
