"""How many snapshots one person may take in an hour (SNAPSHOT_QUOTA_PER_HOUR).

A snapshot reads every table and writes a file as large as the database: an editor's
script taking one in a loop would fill the storage and keep a core busy. Superusers are
not counted; 0 lifts the quota."""

import datetime

from django.conf import settings
from django.utils import timezone

from factbase.core.models import Snapshot

WINDOW = datetime.timedelta(hours=1)


class SnapshotQuotaExceeded(Exception):
    def __init__(self, limit: int, retry_after: int):
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(
            f"You have taken {limit} snapshots in the last hour, the most allowed; "
            f"the next one can be taken in {retry_after} s."
        )


def snapshot_quota_check(user) -> None:
    """Raise SnapshotQuotaExceeded if `user` has used up the hour's snapshots."""
    limit = settings.SNAPSHOT_QUOTA_PER_HOUR
    if not limit or user is None or user.is_superuser:
        return
    now = timezone.now()
    taken = list(
        Snapshot.objects.filter(created_by=user, created_at__gt=now - WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(taken) >= limit:
        frees_up = taken[-1] + WINDOW  # when the oldest of those leaves the window
        raise SnapshotQuotaExceeded(limit, max(1, int((frees_up - now).total_seconds()) + 1))
