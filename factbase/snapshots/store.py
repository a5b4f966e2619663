"""Snapshots kept in the app: the ZIP in Django's storage, and a `Snapshot` record.

The file goes through the model's FileField, so through the default storage: the media
folder (MEDIA_ROOT) unless STORAGES names another backend, such as object storage.

The SNAPSHOT_PSEUDONYMISE setting (default False) makes the snapshots taken here (from the
admin, the API and `export_snapshot --save`) write usernames as user-<id>.
"""

import datetime
import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction

from factbase.core.models import Snapshot

from .descriptor import FORMAT
from .export import Progress, export_snapshot

logger = logging.getLogger(__name__)


class SnapshotFileMissing(Exception):
    """The record is there, its file is not in the storage (deleted or moved by hand)."""


def snapshot_filename(created: datetime.datetime) -> str:
    return f"factbase-{created.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}.zip"


def pseudonymise_by_default() -> bool:
    return bool(getattr(settings, "SNAPSHOT_PSEUDONYMISE", False))


def snapshot_take(
    *, user=None, progress: Progress | None = None, pseudonymise: bool | None = None
) -> Snapshot:
    """Write a snapshot of the whole database, store its ZIP and record it.

    Call it outside any transaction: the export then reads every table at one moment
    (on PostgreSQL at REPEATABLE READ) without holding the caller's transaction open for
    the length of the export. The ZIP is written to a temporary folder first (TMPDIR), then
    copied into the storage as snapshots/factbase-<UTC time>.zip; the storage picks
    another name if that one is taken. If the record cannot be saved, the stored file is deleted.

    Usernames are pseudonymised (user-<id>) when `pseudonymise` is true, or when it is None
    and the SNAPSHOT_PSEUDONYMISE setting is true.
    """
    if pseudonymise is None:
        pseudonymise = pseudonymise_by_default()
    with tempfile.TemporaryDirectory(prefix="factbase-snapshot-") as folder:
        path = Path(folder) / "snapshot.zip"
        summary = export_snapshot(path, format="zip", progress=progress, pseudonymise=pseudonymise)
        snapshot = Snapshot(
            created_at=summary["created"],
            created_by=user,
            size=summary["bytes"],
            sha256=summary["sha256"],
            tables=summary["tables"],
            rows=summary["rows"],
            row_counts=summary["row_counts"],
            seconds=summary["seconds"],
            format_version=FORMAT,
        )
        with open(path, "rb") as file:
            snapshot.file.save(snapshot_filename(summary["created"]), File(file), save=False)
    try:
        snapshot.save()
    except BaseException:
        _delete_file(snapshot.file.name, snapshot.file.storage)
        raise
    return snapshot


def snapshot_open(snapshot: Snapshot):
    """The stored ZIP, opened for reading. Raises SnapshotFileMissing when the storage no
    longer has it."""
    storage = snapshot.file.storage
    try:
        return storage.open(snapshot.file.name, "rb")
    except (FileNotFoundError, OSError) as error:
        # Object storage backends raise their own errors; FileSystemStorage raises these.
        if snapshot.file.name and storage.exists(snapshot.file.name):
            raise
        raise SnapshotFileMissing(
            f"The file of snapshot {snapshot.pk} ({snapshot.file.name}) is missing from "
            "the storage."
        ) from error


def snapshot_delete(snapshot: Snapshot) -> None:
    """Delete the record, and its file once the deletion is committed (a deletion rolled
    back keeps its file)."""
    name, storage = snapshot.file.name, snapshot.file.storage
    with transaction.atomic():
        snapshot.delete()
        transaction.on_commit(lambda: _delete_file(name, storage))


def _delete_file(name: str, storage) -> None:
    if not name:
        return
    try:
        storage.delete(name)
    except Exception:
        # The record is gone either way; a file left over is only space.
        logger.exception("Could not delete the snapshot file %s", name)
