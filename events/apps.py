from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Partnerships, funding, metrics and events"

    def ready(self):
        from factbase.core.kinds import register

        from .kinds import KINDS

        register(*KINDS)

        # The admin index counts the open conflicts among the work waiting.
        from factbase.admin.dashboard import Waiting, add_waiting

        from .conflicts import metric_conflicts
        from .models import Metric

        conflicts = Waiting(
            "open conflicts between metrics",
            Metric,
            "admin:events_metric_conflicts",
            lambda: metric_conflicts().count(),
        )
        add_waiting(conflicts)
