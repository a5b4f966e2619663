"""The changes a subscription has yet to receive, each as the change feed shows it
(`GET /api/v1/changes/?after=<cursor>&kind=...`): the feed's own filters and entries
(factbase.api.changes), so a webhook and the feed cannot disagree."""

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS

from factbase.api.changes import Filters, entries
from factbase.core.feed import last_number
from factbase.core.kinds import by_name

from . import conf
from .models import Subscription


@dataclass
class Batch:
    entries: list[dict]  # the feed's entries, oldest first
    upto: int  # every change up to this cursor was looked at: the cursor to go on from
    complete: bool  # nothing more after `upto`, as of the read


class Site:
    """What `entries` asks of a request: the address records' URLs are built on."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def build_absolute_uri(self, location: str) -> str:
        return self.base + location


def site() -> Site | None:
    base = conf.get("WEBHOOKS_SITE_URL")
    return Site(base) if base else None


def pending(subscription: Subscription, limit: int) -> Batch:
    """The first `limit` changes after the subscription's cursor, of its kinds."""
    # Read before the changes: every change up to it is visible to the next statement
    # (factbase.core.feed), so when fewer than `limit` come back, none up to it is left.
    last = last_number(DEFAULT_DB_ALIAS)
    params = {"after": str(subscription.cursor)}
    if subscription.kinds:
        known = [name for name in subscription.kinds if name in by_name()]
        if not known:  # its kinds have all left the registry: nothing is for it
            return Batch([], max(last, subscription.cursor), True)
        params["kind"] = ",".join(known)
    filters = Filters(params)
    rows = list(filters.queryset(top=limit)[:limit])
    found = entries(site(), filters, rows)
    complete = len(rows) < limit
    seen = rows[-1][-1] if rows else subscription.cursor
    upto = max(seen, last) if complete else seen
    return Batch(found, max(upto, subscription.cursor), complete)
