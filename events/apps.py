from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Partnerships, funding, metrics and events"

    def ready(self):
        from factbase.core.kinds import register

        from .kinds import KINDS

        register(*KINDS)
