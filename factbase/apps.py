from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _after_migrate(sender, **kwargs):
    from .groups import ensure_groups

    ensure_groups()


class FactbaseConfig(AppConfig):
    name = "factbase"
    verbose_name = "Provenance"

    def ready(self):
        from . import kinds
        from .api import schema  # noqa: F401  (registers the OpenAPI extensions)
        from .models import Citation, Source

        kinds.register(kinds.Kind(Source, "sources"), kinds.Kind(Citation, "citations"))

        # post_migrate runs app by app; permissions of an app exist once its own signal
        # has run, so the groups are set up on the last of our apps.
        post_migrate.connect(
            _after_migrate, sender=apps.get_app_config("events"), dispatch_uid="factbase_groups"
        )
