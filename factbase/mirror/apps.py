from django.apps import AppConfig


class MirrorConfig(AppConfig):
    """Mirroring another Factbase: the `mirror` command and where each origin's feed was
    left. Its table is this database's own bookkeeping: no history, not in snapshots."""

    name = "factbase.mirror"
    label = "mirror"
    verbose_name = "Mirroring"
