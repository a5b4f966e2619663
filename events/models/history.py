"""The history manager the models of this package declare."""

from factbase.core.feed import HistoricalRecords as BaseHistoricalRecords


class HistoricalRecords(BaseHistoricalRecords):
    """The numbered history manager (factbase.core.feed), with each historical model
    kept in `events.models`.

    For a model defined outside its app's `models` module (here `events.models.metrics`),
    simple-history names the historical class's module "events" but sets the class on the
    defining module, so nothing imports it by its own name: pickling it, or a queryset of
    history rows, fails (django-simple-history issue #343). Registering in `events.models`
    keeps `events.models.HistoricalMetric` real, as it was before the package split.
    """

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        self.module = "events.models"
