"""What the stages of one run share: its random streams, its clock, the tables of the
records later stages refer to, and what they need to know about those records."""

import datetime
import random
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType

from .sizes import Sizes
from .writer import CHANGE_REASON, Table, Writer

# Every timestamp is this plus one second per record, so that reruns give the same rows.
BASE_TIME = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


@dataclass
class Pools:
    """What later stages need to know about earlier records, by position (id = start + 1
    + position, ids being consecutive)."""

    source_langs: list[str] = field(default_factory=list)
    person_names: list[str] = field(default_factory=list)
    company_names: list[str] = field(default_factory=list)
    company_countries: list[str] = field(default_factory=list)
    company_years: list[int] = field(default_factory=list)
    investors: list[int] = field(default_factory=list)  # positions of investor companies
    company_products: dict[int, list[int]] = field(default_factory=dict)
    product_names: list[str] = field(default_factory=list)
    product_companies: list[int] = field(default_factory=list)
    summits: list[int] = field(default_factory=list)  # event positions


class Run:
    """One run of the generator, as its stages see it. Each stage makes one kind of
    record and refers only to records made before it: by their table (for the ids) and
    by the pools."""

    def __init__(self, connection, sizes: Sizes, seed: int = 1, reason: str = CHANGE_REASON):
        self.connection = connection
        self.sizes = sizes  # resolved and checked
        self.seed = seed
        self.reason = reason
        self.ticks = 0
        self.pools = Pools()
        # The vocabulary that `migrate` creates, read before the stages run.
        self.platforms: dict[str, int] = {}
        self.metric_types: list[tuple] = []
        self.content_types: dict = {}
        self.writer: Writer | None = None  # once the transaction is open
        # Set by their stages, for the stages after them.
        self.citations: Table | None = None
        self.sources: Table | None = None
        self.people: Table | None = None
        self.companies: Table | None = None
        self.products: Table | None = None
        self.events: Table | None = None

    def rng(self, stage: str) -> random.Random:
        # A string seed is hashed with SHA-512: stable across runs and processes.
        return random.Random(f"{self.seed}:{stage}")

    def now(self) -> datetime.datetime:
        """The creation time of the next record: one second after the previous one."""
        self.ticks += 1
        return BASE_TIME + datetime.timedelta(seconds=self.ticks)

    def company_position(self, rng) -> int:
        """A company, the first ones more often: a few companies have many records."""
        return int(self.sizes.companies * rng.random() ** 2)

    def content_type(self, model) -> int:
        # Asked once per model: every citation of its facts needs it.
        if model not in self.content_types:
            manager = ContentType.objects.db_manager(self.connection.alias)
            self.content_types[model] = manager.get_for_model(model).id
        return self.content_types[model]
