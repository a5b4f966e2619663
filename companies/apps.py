from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _after_migrate(sender, **kwargs):
    from .vocabulary import ensure_platforms

    ensure_platforms()


class CompaniesConfig(AppConfig):
    name = "companies"
    verbose_name = "Companies, products and people"

    def ready(self):
        from factbase.kinds import register

        from .kinds import KINDS

        register(*KINDS)
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="companies_vocabulary")
