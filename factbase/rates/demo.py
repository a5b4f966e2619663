"""The demo's exchange rates and US dollar values, for load_demo."""

from collections import Counter
from pathlib import Path

from .ecb import read_rates_file
from .filling import fill_usd
from .loading import load_rates

SAMPLE = Path(__file__).resolve().parent / "data" / "eurofxref-hist-sample.csv"


def fill_demo_usd(report, *, sources, user=None, reason: str) -> None:
    """Load the sample rates and fill the US dollar values of the money facts `sources`
    cite, through the same service as `fill_usd`, counting both in the demo's `report`
    (its LoadReport): a second run finds them all present and writes nothing."""
    loaded = load_rates(read_rates_file(SAMPLE))
    report.counts.setdefault("exchange rates", Counter()).update(
        created=loaded.added + loaded.updated, present=loaded.unchanged
    )
    filled = fill_usd(user=user, reason=reason, sources=sources)
    report.counts.setdefault("US dollar values", Counter()).update(
        created=filled.filled.total(), present=filled.had_usd.total()
    )
