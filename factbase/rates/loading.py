"""Storing the rates a file holds: added, updated where the file says otherwise, and left
alone where it says the same, in one transaction. Rates the file does not hold are kept:
a file may be a sample or the latest day only."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .ecb import RatesFile
from .models import ECB_SOURCE, ExchangeRate

BATCH = 2000


@dataclass(frozen=True)
class Change:
    currency: str
    day: datetime.date
    old: Decimal
    new: Decimal
    old_source: str
    new_source: str


@dataclass
class LoadResult:
    read: int = 0
    added: int = 0
    unchanged: int = 0
    changes: list[Change] = field(default_factory=list)

    @property
    def updated(self) -> int:
        return len(self.changes)


@transaction.atomic
def load_rates(rates: RatesFile, *, source: str = ECB_SOURCE) -> LoadResult:
    """Store `rates` (read by ecb.read_rates_file) as coming from `source`."""
    source = source.strip()
    limit = ExchangeRate._meta.get_field("source").max_length
    if not source or len(source) > limit:
        raise ValueError(f"a source is named in 1 to {limit} characters")
    result = LoadResult(read=rates.count)
    stored = {
        (row.currency, row.day): row
        for row in ExchangeRate.objects.filter(
            day__range=(min(rates.days), max(rates.days)), currency__in=rates.currencies
        ).select_for_update()
    }
    now = timezone.now()
    new, changed = [], []
    for day, by_currency in rates.days.items():
        for currency, rate in by_currency.items():
            row = stored.get((currency, day))
            if row is None:
                new.append(
                    ExchangeRate(
                        currency=currency, day=day, rate=rate, source=source, loaded_at=now
                    )
                )
            elif row.rate != rate or row.source != source:
                result.changes.append(Change(currency, day, row.rate, rate, row.source, source))
                row.rate, row.source, row.loaded_at = rate, source, now
                changed.append(row)
            else:
                result.unchanged += 1
    ExchangeRate.objects.bulk_create(new, batch_size=BATCH)
    ExchangeRate.objects.bulk_update(changed, ["rate", "source", "loaded_at"], batch_size=BATCH)
    result.added = len(new)
    return result
