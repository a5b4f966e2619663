from django.apps import AppConfig


class SnapshotsConfig(AppConfig):
    """Whole-database snapshots: no models of its own (the Snapshot record is the core's);
    an app so that its commands are found."""

    name = "factbase.snapshots"
    label = "snapshots"
