from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "companies"
    verbose_name = "Companies, products and people"

    def ready(self):
        from factbase.core.kinds import register

        from .kinds import KINDS

        register(*KINDS)
