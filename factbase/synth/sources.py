"""The sources every citation quotes: articles, press releases, filings and the like, by
weighted publishers, each in its publisher's language."""

import datetime
import random

from django.utils.text import slugify

from factbase.core.models import Source

from .choices import pick_source_kind
from .dates import LAST_YEAR, partial_date
from .facts import flush
from .state import Run
from .words import (
    AUTHORS,
    HEADLINE_WORDS,
    PRODUCT_WORDS,
    PUBLISHER_DOMAINS,
    PUBLISHERS,
    STEMS_A,
    STEMS_B,
    pick_publisher,
)
from .writer import CHUNK, Table


def make_sources(run: Run, rng: random.Random):
    run.sources = table = Table(run.writer, Source)
    langs = run.pools.source_langs
    for i in range(run.sizes.sources):
        sid = table.next_id()
        publisher_index = pick_publisher(rng)
        publisher, language = PUBLISHERS[publisher_index]
        published_on, precision = partial_date(rng, 2012, LAST_YEAR)
        title = (
            f"{rng.choice(STEMS_A)}{rng.choice(STEMS_B)} {rng.choice(HEADLINE_WORDS)} "
            f"{rng.choice(PRODUCT_WORDS).lower()} plans"
        )
        year = published_on.year if published_on else "archive"
        now = run.now()
        table.add(
            id=sid,
            title=title,
            publisher=publisher,
            author=rng.choice(AUTHORS),
            url=f"https://{PUBLISHER_DOMAINS[publisher_index]}/{year}/{slugify(title)}-{sid}",
            published_on=published_on,
            published_precision=precision,
            language=language,
            kind=pick_source_kind(rng),
            retrieved_at=now - datetime.timedelta(days=rng.randint(1, 30)),
            created_at=now,
            updated_at=now,
        )
        langs.append(language)
        if i % CHUNK == CHUNK - 1:
            flush(run, table)
    flush(run, table)
    run.writer.copy_history(table)
