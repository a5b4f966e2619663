from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Bulk imports of facts from CSV, XLSX and JSON lines: no models of its own; an app so
    that its command (import_facts) is found."""

    name = "factbase.imports"
    label = "imports"
