from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _after_migrate(sender, **kwargs):
    from .feed import ensure_clock
    from .groups import ensure_groups
    from .kinds import record_apps
    from .seeds import ensure_seeds

    # post_migrate runs app by app: an app's vocabularies are seeded once its tables
    # exist, and since an app's permissions exist once its own signal has run, the
    # groups are set up after the last app that holds kinds.
    if sender.label in record_apps():
        ensure_seeds(sender.label)
    if sender.label == record_apps()[-1]:
        ensure_clock(kwargs.get("using") or "default")
        ensure_groups()


class CoreConfig(AppConfig):
    """The provenance core. Its label stays "factbase": the tables, permissions, content
    types and snapshots name it so."""

    name = "factbase.core"
    label = "factbase"
    verbose_name = "Provenance"

    def ready(self):
        from django.db.backends.signals import connection_created
        from simple_history.signals import pre_create_historical_record

        from factbase.api import schema  # noqa: F401  (registers the OpenAPI extensions)

        from . import kinds
        from .feed import number_version
        from .models import Citation, Source
        from .text import read_long_csv_cells
        from .timestamps import read_timestamps_in_c

        kinds.register(kinds.Kind(Source, "sources"), kinds.Kind(Citation, "citations"))
        post_migrate.connect(_after_migrate, dispatch_uid="factbase_groups")
        pre_create_historical_record.connect(number_version, dispatch_uid="factbase_feed")
        connection_created.connect(read_timestamps_in_c, dispatch_uid="factbase_timestamps")
        read_long_csv_cells()
