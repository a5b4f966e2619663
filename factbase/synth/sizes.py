"""What a run is asked to generate: how many records of each kind; and the error for
options or a database that do not allow it."""

from dataclasses import dataclass


class SynthError(Exception):
    """The options or the database do not allow generating the data."""


@dataclass
class Sizes:
    """How many records of each kind. None means: derived from the companies/metrics."""

    companies: int = 1000
    metrics: int = 10_000
    products: int | None = None
    people: int | None = None
    sources: int | None = None
    partnerships: int | None = None
    funding_rounds: int | None = None
    events: int | None = None
    citations_per_fact: float = 1.0
    metric_versions: int = 1

    def check(self) -> None:
        if not self.companies and (self.metrics or self.products or self.funding_rounds):
            raise SynthError("Metrics, products and funding rounds need --companies above 0.")
        if self.metrics and not self.sources:
            raise SynthError("Every metric is cited: --sources cannot be 0 with metrics.")
        if self.citations_per_fact < 0:
            raise SynthError("--citations-per-fact cannot be negative.")
        if self.metric_versions < 1:
            raise SynthError("--metric-versions is at least 1: the version that created it.")

    def resolved(self) -> "Sizes":
        c = self.companies

        def pick(value, default):
            return default if value is None else value

        return Sizes(
            companies=c,
            metrics=self.metrics,
            products=pick(self.products, 2 * c),
            people=pick(self.people, c),
            sources=pick(self.sources, max(10, self.metrics // 4 + c // 2)),
            partnerships=pick(self.partnerships, c // 2),
            funding_rounds=pick(self.funding_rounds, c),
            events=pick(self.events, c // 5),
            citations_per_fact=self.citations_per_fact,
            metric_versions=self.metric_versions,
        )
