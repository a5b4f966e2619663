"""Starting a mirror: an empty database loads a snapshot of the origin, and remembers the
last change it holds, from which the origin's feed is followed."""

import tempfile
from collections.abc import Callable
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from factbase.core.feed import last_number
from factbase.core.kinds import by_name
from factbase.snapshots.importer import import_snapshot
from factbase.snapshots.problems import SnapshotInvalid
from factbase.snapshots.tables import snapshot_tables
from factbase.snapshots.writer import occupied_tables

from .client import SNAPSHOT_TIMEOUT, HTTPStatus, Origin
from .errors import MirrorError
from .models import MirrorOrigin


def is_empty() -> bool:
    """This database holds no record but the vocabulary `migrate` seeds, as a snapshot
    import asks."""
    return not occupied_tables(connections[DEFAULT_DB_ALIAS], snapshot_tables())


def start(origin: Origin, *, log: Callable[[str], None] = lambda text: None) -> MirrorOrigin:
    """Load a snapshot of the origin into this empty database and record where its feed
    is to be followed from, in one transaction."""
    snapshot = _snapshot(origin, log)
    with tempfile.TemporaryDirectory(prefix="factbase-mirror-") as folder:
        path = Path(folder) / "snapshot.zip"
        log(f"Downloading the snapshot of {snapshot['created_at']} ({snapshot['size']:,} bytes).")
        origin.download(snapshot["download_url"], path, sha256=snapshot["sha256"])
        with transaction.atomic():
            try:
                report = import_snapshot(path)
            except SnapshotInvalid as error:
                raise MirrorError(f"The origin's snapshot does not load here.\n{error}") from error
            cursor = _snapshot_cursor(origin, last_number(DEFAULT_DB_ALIAS), log)
            state = MirrorOrigin.objects.create(
                url=origin.url, cursor=cursor, last_run=timezone.now()
            )
    log(f"Loaded the snapshot: {report.rows:,} rows; the origin's feed goes on after {cursor}.")
    return state


def _snapshot(origin: Origin, log) -> dict:
    """The snapshot to start from: a new one, if the token may take one; otherwise the
    newest the origin lists."""
    if origin.token:
        try:
            return _checked(origin.post_json(origin.api("snapshots/"), timeout=SNAPSHOT_TIMEOUT))
        except HTTPStatus as error:
            if error.status not in (403, 429):
                raise
            log(f"{error} Starting from the newest snapshot it lists.")
    page = origin.get_json(origin.api("snapshots/", limit=1))
    results = page.get("results")
    if not isinstance(results, list):
        raise MirrorError(f"The origin's answer to {origin.api('snapshots/')} is not a list.")
    if not results:
        raise MirrorError(
            f"The origin {origin.url} lists no snapshot to start from: give --token, the API "
            "token of one of its editors, so that the mirror asks it to take one."
        )
    return _checked(results[0])


def _checked(snapshot) -> dict:
    wanted = ("download_url", "sha256", "created_at", "size")
    if (
        not isinstance(snapshot, dict)
        or any(key not in snapshot for key in wanted)
        or type(snapshot["size"]) is not int
    ):
        raise MirrorError(f"The origin's snapshot is not described as a snapshot: {snapshot!r}")
    return snapshot


def _snapshot_cursor(origin: Origin, last: int, log) -> int:
    """The origin's number of the snapshot's last version: where its feed goes on.

    The import keeps the numbers the snapshot's versions carry and sets the change clock
    after the last one (`last`). Versions the origin had not numbered (written in bulk)
    are numbered after it: those numbers are this database's, and the origin's feed has
    other changes under them. A number is the origin's when its change there is the same
    version here (same kind and history id); the numbers that are form a prefix, found by
    bisection, a few requests."""
    if _same_version(origin, last):
        return last
    same, other = 0, last
    while other - same > 1:
        middle = (same + other) // 2
        if _same_version(origin, middle):
            same = middle
        else:
            other = middle
    if same == 0:
        raise MirrorError(
            f"The snapshot's versions are not the changes of the origin's feed: is it a "
            f"snapshot of {origin.url}?"
        )
    unnumbered = last - same
    log(
        f"The snapshot holds {unnumbered:,} version{'s' if unnumbered != 1 else ''} the "
        "origin's feed does not number (written in bulk): their records are as the snapshot "
        "has them."
    )
    return same


def _same_version(origin: Origin, number: int) -> bool:
    """The origin's change `number` is the version numbered so here."""
    answer = origin.get_json(origin.api("changes/", after=number - 1, limit=1))
    entries = answer.get("results")
    entry = entries[0] if isinstance(entries, list) and entries else None
    if not isinstance(entry, dict) or entry.get("cursor") != str(number):
        return False
    kind = by_name().get(entry.get("kind"))
    return kind is not None and (
        kind.model.history.filter(history_id=entry.get("history_id"), change_seq=number).exists()
    )
