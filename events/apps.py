from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _after_migrate(sender, **kwargs):
    from .vocabulary import ensure_metric_types

    ensure_metric_types()


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Partnerships, funding, metrics and events"

    def ready(self):
        from factbase.kinds import register

        from .kinds import KINDS

        register(*KINDS)
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="events_vocabulary")
