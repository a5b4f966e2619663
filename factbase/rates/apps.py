from django.apps import AppConfig


class RatesConfig(AppConfig):
    """Reference exchange rates: reference data loaded from the ECB's files, not records
    with history (each US dollar value filled from them keeps its own rate, day and
    source), so not a kind and not in snapshots."""

    name = "factbase.rates"
    label = "rates"
    verbose_name = "Exchange rates"
